"""The member's own applications: list (keyset pages), detail with history, nobody else's."""

from __future__ import annotations

import pytest
from django.urls import reverse

from applications import views
from applications.models import ApplicationStatus
from tests.factories.applications import ApplicationFactory
from tests.factories.core import AttorneyFactory, MemberUserFactory

S = ApplicationStatus
pytestmark = pytest.mark.django_db
LIST = reverse("applications:member-list")


def member_user():
    """A member as stored (the factory sets the unusable password after saving)."""
    user = MemberUserFactory()
    user.refresh_from_db()
    return user


def detail(application) -> str:
    return reverse("applications:member-detail", args=[application.pk])


def test_list_shows_only_own_filed_applications_with_status_and_comment(client):
    member = member_user()
    mine = ApplicationFactory(applicant=member, returned=True, form_code="shobyo_teate")
    received = ApplicationFactory(applicant=member)
    draft = ApplicationFactory(applicant=member, draft=True)
    theirs = ApplicationFactory()
    client.force_login(member)
    response = client.get(LIST)
    assert response.status_code == 200
    body = response.content.decode()
    assert mine.receipt_number in body and received.receipt_number in body
    assert theirs.receipt_number not in body
    assert detail(draft) not in body
    assert "傷病手当金支給申請書" in body
    assert "返戻" in body and "添付書類が不足しています。" in body
    assert body.index(received.receipt_number) < body.index(mine.receipt_number)  # newest first
    assert response["Cache-Control"].startswith("max-age=0")


def test_keyset_pages_without_count(client, django_assert_max_num_queries):
    member = member_user()
    apps = ApplicationFactory.create_batch(views.MEMBER_PAGE_SIZE + 5, applicant=member)
    client.force_login(member)
    # session, user, the member's record ids (for what an attorney filed), the page, drafts
    with django_assert_max_num_queries(5) as ctx:
        response = client.get(LIST)
    assert not any("COUNT(" in q["sql"].upper() for q in ctx.captured_queries)
    first = response.context["items"]
    assert len(first) == views.MEMBER_PAGE_SIZE
    assert first[0]["obj"].pk == apps[-1].pk
    next_before = response.context["next_before"]
    assert f"?before={next_before}" in response.content.decode()
    second = client.get(LIST, {"before": next_before}).context["items"]
    assert [i["obj"].pk for i in second] == [a.pk for a in reversed(apps[:5])]
    assert client.get(LIST, {"before": next_before}).context["next_before"] is None


def test_detail_with_history_and_other_members_get_404(client):
    member = member_user()
    mine = ApplicationFactory(applicant=member, returned=True)
    theirs = ApplicationFactory()
    client.force_login(member)
    response = client.get(detail(mine))
    assert response.status_code == 200
    body = response.content.decode()
    assert "状況の履歴" in body and "返戻" in body and "添付書類が不足しています。" in body
    assert mine.receipt_number in body
    assert client.get(detail(theirs)).status_code == 404
    assert client.get(detail(ApplicationFactory(applicant=member, draft=True))).status_code == 404


def test_attorney_sees_own_filings(client):
    attorney = AttorneyFactory()
    filed = ApplicationFactory(applicant=attorney)
    client.force_login(attorney)
    assert filed.receipt_number in client.get(LIST).content.decode()


def test_staff_and_anonymous_are_sent_home(client, reviewer):
    assert client.get(LIST).status_code == 302
    client.force_login(reviewer)
    assert client.get(LIST).status_code == 302


def test_member_home_links_to_the_list(client):
    member = member_user()
    client.force_login(member)
    assert LIST in client.get(reverse("member-home")).content.decode()
