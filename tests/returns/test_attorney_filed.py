"""An application a 社会保険労務士 filed: the return goes to the attorney's mailbox, and the
member on whose record it was filed follows it read-only in their own list."""

from __future__ import annotations

import pytest
from django.urls import reverse

from eligibility.models import Person
from tests.factories.applications import ApplicationFactory
from tests.factories.core import AttorneyFactory, MemberUserFactory
from tests.returns.support import return_it, reviewing_application

pytestmark = pytest.mark.django_db


@pytest.fixture
def filed_by_attorney(reviewer):
    member = MemberUserFactory()
    attorney = AttorneyFactory()
    application = reviewing_application(applicant=attorney)
    Person.objects.filter(pk=application.record.person_id).update(user=member)
    message = return_it(application, reviewer)
    return member, attorney, application, message


def test_member_sees_it_read_only_and_marked(client, filed_by_attorney):
    member, attorney, application, message = filed_by_attorney
    assert message.recipient == attorney
    own = ApplicationFactory(applicant=member, record=application.record)
    client.force_login(member)
    page = client.get(reverse("applications:member-list")).content.decode()
    assert application.receipt_number in page and own.receipt_number in page
    assert "社会保険労務士による代理申請" in page  # the card's mark
    detail = client.get(reverse("applications:member-detail", args=[application.pk]))
    assert detail.status_code == 200
    text = detail.content.decode()
    assert 'id="by-attorney"' in text and "返戻" in text
    application.refresh_from_db()
    assert application.status_comment[:20] in text
    # Read-only: the API's change endpoints still only know the member's own applications.
    api = client.patch(
        reverse("api-application", args=[application.pk]), {}, content_type="application/json"
    )
    assert api.status_code == 404
    # The message stays the attorney's.
    assert client.get(reverse("returns:message", args=[message.pk])).status_code == 404


def test_other_members_and_the_attorneys_other_clients_see_nothing(client, filed_by_attorney):
    member, attorney, application, _message = filed_by_attorney
    client.force_login(MemberUserFactory())
    assert (
        application.receipt_number
        not in client.get(reverse("applications:member-list")).content.decode()
    )
    assert (
        client.get(reverse("applications:member-detail", args=[application.pk])).status_code == 404
    )
    other_client = reviewing_application(applicant=attorney)
    client.force_login(member)
    assert (
        other_client.receipt_number
        not in client.get(reverse("applications:member-list")).content.decode()
    )
