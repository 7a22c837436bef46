"""applications.services.review: transitions, comments, versions, scope, bulk, on-commit hook."""

from __future__ import annotations

import itertools

import pytest
from django.contrib.auth.models import Group

from applications.models import Application, ApplicationStatus, StatusChange
from applications.services import review
from applications.signals import application_returned
from core.models import AuditEvent
from core.roles import REVIEWER
from tests.factories.applications import ApplicationFactory
from tests.factories.core import BranchStaffFactory, HeadquartersStaffFactory

S = ApplicationStatus
pytestmark = pytest.mark.django_db


ALLOWED = {
    (S.RECEIVED, S.REVIEWING),
    (S.RECEIVED, S.RETURNED),
    (S.REVIEWING, S.COMPLETED),
    (S.REVIEWING, S.RETURNED),
}


def _app(status: str, **kwargs) -> Application:
    if status == S.DRAFT:
        return ApplicationFactory(draft=True, **kwargs)
    return ApplicationFactory(status=status, **kwargs)


@pytest.mark.parametrize(("from_status", "to_status"), list(itertools.product(S.values, S.values)))
def test_transition_table_is_exactly_the_seed_workflow(reviewer, from_status, to_status):
    application = _app(from_status)
    before = StatusChange.objects.filter(application=application).count()
    call = lambda: review.application_change_status(  # noqa: E731
        application_id=application.pk,
        to_status=to_status,
        comment="理由を記載します。",
        actor=reviewer,
        expected_version=application.version,
    )
    if (from_status, to_status) in ALLOWED:
        changed = call()
        assert changed.status == to_status
        assert changed.version == application.version + 1
        assert changed.status_comment == "理由を記載します。"
        last = StatusChange.objects.filter(application=application).order_by("-id").first()
        assert (last.from_status, last.to_status, last.actor) == (from_status, to_status, reviewer)
        event = AuditEvent.objects.get(action=AuditEvent.Action.STATUS)
        assert event.object_id == str(application.pk)
        assert event.changes["status"] == [from_status, to_status]
        assert event.branch_id == application.branch_id
    else:
        with pytest.raises(review.TransitionError) as caught:
            call()
        assert "には変更できません" in caught.value.message
        application.refresh_from_db()
        assert application.status == from_status
        assert StatusChange.objects.filter(application=application).count() == before
        assert not AuditEvent.objects.filter(action=AuditEvent.Action.STATUS).exists()


def test_allowed_next_statuses_follow_the_table():
    assert review.allowed_next_statuses(S.RECEIVED) == (S.REVIEWING, S.RETURNED)
    assert review.allowed_next_statuses(S.REVIEWING) == (S.COMPLETED, S.RETURNED)
    for final in (S.COMPLETED, S.RETURNED, S.DRAFT):
        assert review.allowed_next_statuses(final) == ()


@pytest.mark.parametrize("comment", ["", "   ", "\u3000"])
def test_returning_needs_a_comment(reviewer, comment):
    application = ApplicationFactory(reviewing=True)
    with pytest.raises(review.CommentRequiredError) as caught:
        review.application_change_status(
            application_id=application.pk,
            to_status=S.RETURNED,
            comment=comment,
            actor=reviewer,
            expected_version=application.version,
        )
    assert "状況コメント" in caught.value.message
    application.refresh_from_db()
    assert application.status == S.REVIEWING


def test_comment_length_is_bounded(reviewer):
    application = ApplicationFactory()
    with pytest.raises(review.ReviewError):
        review.application_change_status(
            application_id=application.pk,
            to_status=S.REVIEWING,
            comment="あ" * (review.COMMENT_MAX_LENGTH + 1),
            actor=reviewer,
            expected_version=application.version,
        )


def test_stale_version_is_a_conflict_with_a_japanese_message(reviewer):
    application = ApplicationFactory()
    review.application_change_status(
        application_id=application.pk,
        to_status=S.REVIEWING,
        comment="",
        actor=reviewer,
        expected_version=application.version,
    )
    with pytest.raises(review.ConflictError) as caught:
        review.application_change_status(
            application_id=application.pk,
            to_status=S.RETURNED,
            comment="不足があります。",
            actor=reviewer,
            expected_version=application.version,  # the version shown before
        )
    assert "他の審査担当者" in caught.value.message
    application.refresh_from_db()
    assert application.status == S.REVIEWING
    assert application.version == 2


def test_other_branch_and_non_reviewers_are_refused(osaka_reviewer, osaka, reviewer):
    application = ApplicationFactory()  # Tokyo
    with pytest.raises(review.NotAllowedError):
        review.application_change_status(
            application_id=application.pk,
            to_status=S.REVIEWING,
            comment="",
            actor=osaka_reviewer,
            expected_version=application.version,
        )
    clerk = BranchStaffFactory(branch=application.branch, username="clerk")  # no permission
    with pytest.raises(review.NotAllowedError):
        review.application_change_status(
            application_id=application.pk,
            to_status=S.REVIEWING,
            comment="",
            actor=clerk,
            expected_version=application.version,
        )
    with pytest.raises(review.NotAllowedError):
        review.application_change_status(
            application_id=application.pk + 10_000,
            to_status=S.REVIEWING,
            comment="",
            actor=reviewer,
            expected_version=1,
        )


def test_headquarters_reviewer_may_change_any_branch(osaka):
    hq = HeadquartersStaffFactory(username="hq-reviewer")
    hq.groups.add(Group.objects.get(name=REVIEWER))
    application = ApplicationFactory(record__employer__branch=osaka)
    changed = review.application_change_status(
        application_id=application.pk,
        to_status=S.REVIEWING,
        comment="",
        actor=hq,
        expected_version=application.version,
    )
    assert changed.status == S.REVIEWING


def test_returned_signal_is_sent_on_commit_only(reviewer, django_capture_on_commit_callbacks):
    application = ApplicationFactory(reviewing=True)
    received: list[dict] = []

    def receiver(sender, **kwargs):
        received.append(kwargs)

    application_returned.connect(receiver)
    try:
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            review.application_change_status(
                application_id=application.pk,
                to_status=S.RETURNED,
                comment="領収書を添付してください。",
                actor=reviewer,
                expected_version=application.version,
            )
        assert received == []  # not before the commit
        assert len(callbacks) == 1
        callbacks[0]()
        assert received == [
            {
                "signal": application_returned,
                "application_id": application.pk,
                "actor_id": reviewer.pk,
            }
        ]
    finally:
        application_returned.disconnect(receiver)


def test_no_returned_signal_for_other_statuses(reviewer, django_capture_on_commit_callbacks):
    """審査完了 sends application_completed (the notices' reissue), never application_returned."""
    application = ApplicationFactory(reviewing=True)
    received: list[dict] = []

    def receiver(sender, **kwargs):
        received.append(kwargs)

    application_returned.connect(receiver)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            review.application_change_status(
                application_id=application.pk,
                to_status=S.COMPLETED,
                comment="",
                actor=reviewer,
                expected_version=application.version,
            )
    finally:
        application_returned.disconnect(receiver)
    assert received == []


def test_a_failing_receiver_does_not_break_the_change(reviewer, django_capture_on_commit_callbacks):
    application = ApplicationFactory(reviewing=True)

    def broken(sender, **kwargs):
        raise RuntimeError("queue down")

    application_returned.connect(broken)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            review.application_change_status(
                application_id=application.pk,
                to_status=S.RETURNED,
                comment="不足",
                actor=reviewer,
                expected_version=application.version,
            )
    finally:
        application_returned.disconnect(broken)
    application.refresh_from_db()
    assert application.status == S.RETURNED


def test_assign_to_branch_reviewer_only(reviewer, osaka_reviewer):
    application = ApplicationFactory()
    changed = review.application_assign(
        application_id=application.pk,
        reviewer=reviewer,
        actor=reviewer,
        expected_version=application.version,
    )
    assert changed.assigned_reviewer == reviewer
    assert changed.version == application.version + 1
    event = AuditEvent.objects.get(action=AuditEvent.Action.UPDATE)
    assert event.changes["assigned_reviewer"] == [None, reviewer.pk]
    with pytest.raises(review.InvalidReviewerError):
        review.application_assign(
            application_id=application.pk,
            reviewer=osaka_reviewer,
            actor=reviewer,
            expected_version=changed.version,
        )
    clerk = BranchStaffFactory(branch=application.branch, username="clerk2")
    with pytest.raises(review.InvalidReviewerError):
        review.application_assign(
            application_id=application.pk,
            reviewer=clerk,
            actor=reviewer,
            expected_version=changed.version,
        )
    with pytest.raises(review.ConflictError):
        review.application_assign(
            application_id=application.pk,
            reviewer=None,
            actor=reviewer,
            expected_version=application.version,
        )
    unassigned = review.application_assign(
        application_id=application.pk,
        reviewer=None,
        actor=reviewer,
        expected_version=changed.version,
    )
    assert unassigned.assigned_reviewer is None


def test_bulk_take_into_review_reports_successes_and_skips(reviewer, osaka):
    received = ApplicationFactory.create_batch(3)
    done = ApplicationFactory(completed=True)
    theirs = ApplicationFactory(record__employer__branch=osaka)
    result = review.applications_take_into_review(
        ids=[a.pk for a in received] + [done.pk, theirs.pk, received[0].pk], actor=reviewer
    )
    assert sorted(result.succeeded) == sorted(a.pk for a in received)
    skipped = dict(result.skipped)
    assert set(skipped) == {done.pk, theirs.pk}
    assert "審査完了" in skipped[done.pk]
    assert "権限" in skipped[theirs.pk]
    assert Application.objects.filter(status=S.REVIEWING).count() == 3
    assert StatusChange.objects.filter(to_status=S.REVIEWING).count() == 3
    theirs.refresh_from_db()
    assert theirs.status == S.RECEIVED


def test_bulk_is_limited(reviewer, monkeypatch):
    monkeypatch.setattr(review, "BULK_LIMIT", 2)
    with pytest.raises(review.ReviewError):
        review.applications_take_into_review(ids=[1, 2, 3], actor=reviewer)


def test_bulk_assign_to_me(reviewer):
    apps = ApplicationFactory.create_batch(2)
    result = review.applications_assign_to(
        ids=[a.pk for a in apps], reviewer=reviewer, actor=reviewer
    )
    assert sorted(result.succeeded) == sorted(a.pk for a in apps)
    assert set(Application.objects.values_list("assigned_reviewer", flat=True)) == {reviewer.pk}


def test_taking_into_review_assigns_the_reviewer_unless_already_assigned(reviewer, tokyo):
    unassigned = ApplicationFactory()
    changed = review.application_change_status(
        application_id=unassigned.pk,
        to_status=S.REVIEWING,
        comment="",
        actor=reviewer,
        expected_version=unassigned.version,
    )
    assert changed.assigned_reviewer == reviewer
    assert changed.version == unassigned.version + 1  # one change, one version
    event = AuditEvent.objects.get(action=AuditEvent.Action.STATUS)
    assert event.changes["assigned_reviewer"] == [None, reviewer.pk]

    colleague = BranchStaffFactory(branch=tokyo)
    colleague.groups.add(Group.objects.get(name=REVIEWER))
    theirs = ApplicationFactory(assigned_reviewer=colleague)
    changed = review.application_change_status(
        application_id=theirs.pk,
        to_status=S.REVIEWING,
        comment="",
        actor=reviewer,
        expected_version=theirs.version,
    )
    assert changed.assigned_reviewer == colleague


def test_headquarters_taking_into_review_does_not_assign_itself(osaka):
    hq = HeadquartersStaffFactory()
    hq.groups.add(Group.objects.get(name=REVIEWER))
    app = ApplicationFactory(record__employer__branch=osaka)
    changed = review.application_change_status(
        application_id=app.pk, to_status=S.REVIEWING, comment="", actor=hq, expected_version=1
    )
    assert changed.assigned_reviewer is None


def test_returning_straight_from_received_is_one_history_row(reviewer):
    app = ApplicationFactory()
    before = app.status_changes.count()
    changed = review.application_change_status(
        application_id=app.pk,
        to_status=S.RETURNED,
        comment="領収書の添付がありません。添付して再申請してください。",
        actor=reviewer,
        expected_version=app.version,
    )
    assert changed.status == S.RETURNED
    rows = list(app.status_changes.order_by("id").values_list("from_status", "to_status"))
    assert len(rows) == before + 1 and rows[-1] == (S.RECEIVED, S.RETURNED)
