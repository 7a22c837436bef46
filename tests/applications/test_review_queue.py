"""The review queue's default view (the work to do), its counts per status, the one click to
everything, and the short form names."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import timezone

from applications import presentation
from applications.admin import count_label
from applications.forms_catalogue import all_forms
from applications.models import ApplicationStatus
from applications.selectors import StatusCount, queue_status_counts
from core.roles import REVIEWER
from tests.factories.applications import ApplicationFactory
from tests.factories.core import BranchStaffFactory

S = ApplicationStatus
pytestmark = pytest.mark.django_db
CHANGELIST = reverse("admin:applications_application_changelist")


def shown(client, params=None) -> list[int]:
    return [a.pk for a in client.get(CHANGELIST, params or {}).context["cl"].result_list]


def test_queue_opens_on_open_work_mine_and_unassigned_oldest_first(client, reviewer, tokyo):
    colleague = BranchStaffFactory(branch=tokyo)
    colleague.groups.add(Group.objects.get(name=REVIEWER))
    now = timezone.now()
    newer = ApplicationFactory(submitted_at=now - timedelta(days=1))
    older = ApplicationFactory(submitted_at=now - timedelta(days=3))
    mine = ApplicationFactory(
        reviewing=True, assigned_reviewer=reviewer, submitted_at=now - timedelta(days=2)
    )
    theirs = ApplicationFactory(reviewing=True, assigned_reviewer=colleague)
    done = ApplicationFactory(completed=True)
    returned = ApplicationFactory(status=S.RETURNED)
    client.force_login(reviewer)

    assert shown(client) == [older.pk, mine.pk, newer.pk]
    # One click for everything: every status, every reviewer, newest first.
    body = client.get(CHANGELIST).content.decode()
    assert 'href="?reviewer=all&amp;status=all"' in body and "すべての申請" in body
    everything = shown(client, {"status": "all", "reviewer": "all"})
    assert set(everything) == {newer.pk, older.pk, mine.pk, theirs.pk, done.pk, returned.pk}
    assert everything[-1] == older.pk
    # Other choices stay one click away.
    assert shown(client, {"reviewer": "all"}) == [older.pk, mine.pk, newer.pk, theirs.pk]
    assert shown(client, {"status": S.COMPLETED, "reviewer": "all"}) == [done.pk]
    assert shown(client, {"reviewer": "me"}) == [mine.pk]


def test_headquarters_queue_opens_on_open_work_of_every_reviewer(client, hq_admin, reviewer):
    from django.contrib.auth.models import Permission

    hq_admin.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_application", "change_application"])
    )
    assigned = ApplicationFactory(reviewing=True, assigned_reviewer=reviewer)
    ApplicationFactory(completed=True)
    client.force_login(hq_admin)
    assert shown(client) == [assigned.pk]


def test_status_tabs_show_counts(client, reviewer, osaka):
    ApplicationFactory.create_batch(2)
    ApplicationFactory(reviewing=True)
    ApplicationFactory(completed=True)
    ApplicationFactory(record__employer__branch=osaka)  # another branch: not counted
    client.force_login(reviewer)
    response = client.get(CHANGELIST)
    tabs = [t["display"] for t in response.context["queue_tabs"]]
    assert tabs == [
        "未処理（受付・審査中）（3）",
        "受付（2）",
        "審査中（1）",
        "審査完了（1）",
        "返戻（0）",
        "すべての状況",
    ]
    assert response.context["queue_tabs"][0]["selected"] is True
    body = response.content.decode()
    assert 'id="queue-tabs"' in body and "受付（2）" in body


def test_counts_are_bounded_beyond_the_limit(reviewer, monkeypatch):
    import applications.selectors as selectors

    monkeypatch.setattr(selectors, "COUNT_LIMIT", 2)
    ApplicationFactory.create_batch(4)
    counts = queue_status_counts(queryset=ApplicationFactory._meta.model.objects.all())
    # Counted 3 = limit + 1: not exact; on PostgreSQL the planner's estimate if higher.
    assert counts[S.RECEIVED].exact is False and counts[S.RECEIVED].count >= 3
    assert counts[S.REVIEWING] == StatusCount(S.REVIEWING, 0, True)
    assert count_label(StatusCount(S.RECEIVED, 1001, False)) == "1,000以上"
    assert count_label(StatusCount(S.RECEIVED, 12345, False)) == "約12,345"
    assert count_label(StatusCount(S.RECEIVED, 7, True)) == "7"


def test_queue_shows_short_form_names_with_the_full_name_on_hover(client, reviewer):
    ApplicationFactory(form_code="kogaku_kaigo_gassan")
    client.force_login(reviewer)
    body = client.get(CHANGELIST).content.decode()
    full = "高額介護合算療養費支給申請書兼自己負担額証明書交付申請書"
    assert f'<span title="{full}">高額介護合算</span>' in body


@pytest.mark.parametrize("form", all_forms(), ids=lambda f: f.code)
def test_every_form_has_a_short_name(form):
    short = presentation.short_form_name(form.code, form.version)
    assert short != form.name and len(short) <= 8


def test_a_search_from_the_default_view_finds_finished_applications(client, reviewer, tokyo):
    colleague = BranchStaffFactory(branch=tokyo)
    colleague.groups.add(Group.objects.get(name=REVIEWER))
    done = ApplicationFactory(completed=True, assigned_reviewer=colleague)
    client.force_login(reviewer)
    response = client.get(CHANGELIST, {"q": done.receipt_number})
    assert [a.pk for a in response.context["cl"].result_list] == [done.pk]
    body = response.content.decode()
    assert "1件" in body and "検索を解除" in body and "全件表示" not in body
    # A filter the reviewer chose still applies to the search.
    assert shown(client, {"q": done.receipt_number, "status": "open"}) == []
