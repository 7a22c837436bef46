"""Returning with reasons, the package's life (pending, claimed once, ready or failed),
the sweep after a crash before the enqueue, staff retry and regenerate, retention."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path
from unittest import mock

import pytest
from django.core.files.storage import default_storage
from django.utils import timezone

from applications.models import ApplicationStatus
from applications.services.review import application_change_status
from core.errors import Conflict, NotFound, ServiceError
from core.models import AuditEvent
from returns import services
from returns.models import PackageState, ReturnFile, ReturnMessage, ReturnPackage
from tests.factories.applications import ApplicationFactory
from tests.returns.support import built, return_it, reviewing_application

pytestmark = pytest.mark.django_db


def test_return_changes_status_and_records_message_reasons_and_pending_package(reviewer):
    application = reviewing_application()
    message = return_it(application, reviewer)
    application.refresh_from_db()
    assert application.status == ApplicationStatus.RETURNED
    assert "電子ポスト" in application.status_comment
    assert "添付書類の不足" in application.status_comment
    assert message.recipient_id == application.applicant_id
    assert [r.reason.code for r in message.reasons.all()] == ["attachment_missing", "entry_error"]
    assert message.reasons.get(field_name="leave_from").field_label.startswith("療養のため")
    assert message.packages.get().state == PackageState.PENDING


def test_build_is_enqueued_on_commit(reviewer, django_capture_on_commit_callbacks):
    application = reviewing_application()
    with (
        mock.patch("returns.tasks.build_package.delay") as delay,
        django_capture_on_commit_callbacks(execute=True),
    ):
        message = return_it(application, reviewer)
    delay.assert_called_once_with(message.packages.get().pk)


def test_unknown_reason_or_field_returns_nothing(reviewer):
    application = reviewing_application()
    with pytest.raises(ServiceError) as caught:
        return_it(
            application,
            reviewer,
            reasons=[
                services.ReasonInput("no-such-reason"),
                services.ReasonInput("entry_error", "no_such_field"),
            ],
        )
    assert set(caught.value.field_errors) == {"reasons.0.code", "reasons.1.field_name"}
    application.refresh_from_db()
    assert application.status == ApplicationStatus.REVIEWING
    assert not ReturnMessage.objects.exists()


def test_no_reason_is_refused(reviewer):
    with pytest.raises(ServiceError):
        return_it(reviewing_application(), reviewer, reasons=[])


def test_other_branch_reviewer_gets_not_found(osaka_reviewer):
    application = reviewing_application()
    with pytest.raises(NotFound):
        return_it(application, osaka_reviewer)
    assert not ReturnMessage.objects.exists()


def test_stale_version_is_a_conflict(reviewer):
    application = reviewing_application()
    application.version -= 1
    with pytest.raises(ServiceError) as caught:
        return_it(application, reviewer)
    assert caught.value.status == 409
    assert not ReturnMessage.objects.exists()


def test_a_redelivered_or_duplicated_build_yields_one_package(reviewer):
    message = return_it(reviewing_application(), reviewer)
    package = message.packages.get()
    assert services.package_build(package.pk) == "ready"
    files = ReturnFile.objects.filter(package=package).count()
    assert services.package_build(package.pk) == "skipped"
    assert ReturnFile.objects.filter(package=package).count() == files
    assert ReturnPackage.objects.count() == 1


def test_failure_leaves_no_file_and_a_failed_state_staff_can_retry(reviewer, settings):
    message = return_it(reviewing_application(), reviewer)
    package = message.packages.get()
    with mock.patch(  # fails after the files were written, before the rows
        "returns.services.ReturnFile.objects.bulk_create", side_effect=RuntimeError("font missing")
    ):
        assert services.package_build(package.pk) == "failed"
    package.refresh_from_db()
    assert package.state == PackageState.FAILED
    assert "font missing" in package.error
    assert not ReturnFile.objects.exists()
    written = [f for _d, _s, files in os.walk(Path(settings.MEDIA_ROOT) / "returns") for f in files]
    assert written == []  # the files written before the failure were removed
    message.application.refresh_from_db()
    assert message.application.status == ApplicationStatus.RETURNED

    services.package_retry(package_id=package.pk, actor=reviewer)
    package.refresh_from_db()
    assert package.state == PackageState.PENDING
    assert services.package_build(package.pk) == "ready"


def test_retry_only_failed_and_only_in_scope(reviewer, osaka_reviewer):
    package = built(return_it(reviewing_application(), reviewer))
    with pytest.raises(Conflict):
        services.package_retry(package_id=package.pk, actor=reviewer)
    with pytest.raises(NotFound):
        services.package_retry(package_id=package.pk, actor=osaka_reviewer)


def test_crash_before_enqueue_is_picked_up_by_the_sweep(reviewer):
    # The return committed but the enqueue never happened (no on-commit callbacks run here).
    message = return_it(reviewing_application(), reviewer)
    package = message.packages.get()
    assert services.packages_to_sweep() == []  # too recent: the enqueue may still come
    later = timezone.now() + timedelta(minutes=5)
    assert services.packages_to_sweep(now=later) == [package.pk]
    with mock.patch("returns.tasks.build_package.delay") as delay:
        from returns.tasks import sweep_packages

        with mock.patch("returns.services.timezone.now", return_value=later):
            assert sweep_packages() == 1
    delay.assert_called_once_with(package.pk)


def test_sweep_resets_a_build_whose_worker_died(reviewer):
    package = return_it(reviewing_application(), reviewer).packages.get()
    started = timezone.now()
    assert services._claim(package.pk, started)
    assert services.packages_to_sweep(now=started + timedelta(seconds=30)) == []
    later = started + timedelta(hours=1)
    assert services.packages_to_sweep(now=later) == [package.pk]
    assert services.package_build(package.pk) == "ready"


def test_regenerate_adds_a_version_and_keeps_the_old_one(reviewer):
    message = return_it(reviewing_application(), reviewer)
    first = built(message)
    second = services.package_regenerate(message_id=message.pk, actor=reviewer)
    assert second.version == 2 and second.state == PackageState.PENDING
    with pytest.raises(Conflict):  # one build at a time
        services.package_regenerate(message_id=message.pk, actor=reviewer)
    assert services.package_build(second.pk) == "ready"
    first.refresh_from_db()
    assert first.state == PackageState.READY and first.files.exists()
    assert AuditEvent.objects.filter(object_type="returns.returnpackage").exists()


def test_plain_status_change_to_returned_gets_a_message_through_the_signal(
    reviewer, django_capture_on_commit_callbacks
):
    application = ApplicationFactory(reviewing=True)
    with (
        mock.patch("returns.tasks.build_package.delay") as delay,
        django_capture_on_commit_callbacks(execute=True),
    ):
        application_change_status(
            application_id=application.pk,
            to_status=ApplicationStatus.RETURNED,
            comment="証明欄が空欄です。",
            actor=reviewer,
            expected_version=application.version,
        )
    message = ReturnMessage.objects.get(application=application)
    reason = message.reasons.get()
    assert reason.reason.code == "other" and reason.text == "証明欄が空欄です。"
    assert delay.called
    # Idempotent: a second signal does not make a second message.
    assert services.ensure_message(application_id=application.pk) == message


def test_retention_deletes_old_packages_files_and_audits(reviewer, settings):
    settings.RETURNS_RETENTION_DAYS = 30
    package = built(return_it(reviewing_application(), reviewer))
    names = [f.file.name for f in package.files.all()]
    assert services.packages_delete_expired() == 0
    assert services.packages_delete_expired(now=timezone.now() + timedelta(days=31)) == 1
    package.refresh_from_db()
    assert package.state == PackageState.DELETED
    assert not package.files.exists()
    event = AuditEvent.objects.get(object_type="returns.returnpackage", action="delete")
    assert event.changes["reason"] == "retention"
    assert names  # files are removed on commit (not run inside this test transaction)


def test_a_build_overtaken_by_a_newer_claim_neither_wins_nor_fails_it(reviewer):
    package = return_it(reviewing_application(), reviewer).packages.get()
    slow_start = timezone.now() - timedelta(hours=1)
    real_build_files = services.build_files

    def sweep_meanwhile(message, *, now):
        files = real_build_files(message, now=now)
        # While this (slow) worker builds, the sweep takes the package back and another
        # worker claims it.
        services.packages_to_sweep(now=timezone.now())
        assert services._claim(package.pk, timezone.now())
        return files

    with mock.patch("returns.services.build_files", side_effect=sweep_meanwhile):
        assert services.package_build(package.pk, now=slow_start) == "failed"
    package.refresh_from_db()
    assert package.state == PackageState.BUILDING  # the newer claim is untouched
    assert not ReturnFile.objects.exists()


def test_retention_removes_the_files_from_storage(
    reviewer, settings, django_capture_on_commit_callbacks
):
    settings.RETURNS_RETENTION_DAYS = 30
    package = built(return_it(reviewing_application(), reviewer))
    names = [f.file.name for f in package.files.all()]
    assert names and all(default_storage.exists(n) for n in names)
    with django_capture_on_commit_callbacks(execute=True):
        services.packages_delete_expired(now=timezone.now() + timedelta(days=31))
    assert not any(default_storage.exists(n) for n in names)
