"""Import jobs under fault: a running job saves a heartbeat with its progress; one whose
heartbeat stops (its worker was killed, the database restarted under it) is run again by
the sweep after a short lease, or failed with its reason after its last attempt; a run that
finds the database gone puts its job back in the queue itself; a run whose job was taken
over stops without touching it."""

from __future__ import annotations

from datetime import timedelta
from unittest import mock

import psycopg
import pytest
from django.db import OperationalError, connection
from django.urls import reverse
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerError

from core.models import AuditEvent
from eligibility import tasks
from eligibility.imports import admin as _imports_admin  # noqa: F401 (registers the admin)
from eligibility.imports import service
from eligibility.imports.members import MemberImporter
from eligibility.models import EligibilityRecord, ImportJob
from tests.eligibility.test_import_jobs import SYMBOL, source_files, submit
from tests.factories.eligibility import EmployerFactory
from tests.factories.imports import member_row

ROWS = [member_row(SYMBOL, str(n)) for n in range(1, 11)]
MODES = [ImportJob.Mode.ALL_OR_NOTHING, ImportJob.Mode.GOOD_ROWS]


@pytest.fixture
def employer(tokyo):
    return EmployerFactory(symbol=SYMBOL, branch=tokyo)


@pytest.fixture
def small_batches(settings):
    settings.IMPORT_BATCH_SIZE = 2  # 10 rows: 5 batches, a heartbeat each


def heartbeat_of(job: ImportJob):
    return ImportJob.objects.values_list("heartbeat", flat=True).get(pk=job.pk)


def claimed_then_killed(job: ImportJob) -> ImportJob:
    """What a worker killed right after its claim leaves: the job running, nothing else."""
    with mock.patch.object(service, "run_job"):
        service.run_job_by_id(job.pk)
    job.refresh_from_db()
    assert job.status == ImportJob.Status.RUNNING and job.claim and job.attempts == 1
    return job


# --- the heartbeat ----------------------------------------------------------------------------
@pytest.mark.parametrize("mode", MODES)
def test_progress_saves_a_heartbeat_and_a_beating_job_is_not_swept(employer, small_batches, mode):
    job = submit(ROWS, mode=mode)
    beats, sweeps = [], []

    def on_progress(_job: ImportJob) -> None:
        beats.append(heartbeat_of(job))
        sweeps.append(
            service.sweep_jobs(now=timezone.now() + service.lease() - timedelta(seconds=10))
        )

    with mock.patch.object(tasks.run_import, "apply_async"):
        service.run_job_by_id(job.pk, on_progress=on_progress)
    job.refresh_from_db()
    assert job.status == ImportJob.Status.SUCCEEDED and job.created_count == 10
    assert len(beats) == 5
    assert beats == sorted(beats) and len(set(beats)) == 5  # a new heartbeat every batch
    assert all((s.rerun, s.failed) == (0, 0) for s in sweeps)
    assert job.claim == "" and job.attempts == 1


# --- the sweep --------------------------------------------------------------------------------
def test_the_sweep_runs_again_a_job_whose_heartbeat_stopped(
    employer, django_capture_on_commit_callbacks, caplog
):
    job = claimed_then_killed(submit(ROWS, mode=ImportJob.Mode.GOOD_ROWS))
    ImportJob.objects.filter(pk=job.pk).update(processed_rows=4, created_count=4)

    assert service.sweep_jobs().rerun == 0  # within its lease: it may still be running
    later = job.heartbeat + service.lease() + timedelta(seconds=1)
    with (
        mock.patch.object(tasks.run_import, "apply_async") as apply_async,
        django_capture_on_commit_callbacks(execute=True),
    ):
        result = service.sweep_jobs(now=later)
    assert (result.rerun, result.failed, result.deleted_files) == (1, 0, 0)
    apply_async.assert_called_once()
    assert apply_async.call_args.args == ((job.pk,),)
    assert apply_async.call_args.kwargs["queue"] == "bulk"
    job.refresh_from_db()
    assert (job.status, job.claim, job.processed_rows, job.created_count) == ("queued", "", 0, 0)
    assert job.message == service.REQUEUE_WORKER_LOST
    assert len(source_files()) == 1  # kept for the next run
    assert "queued again (run 2 of 3)" in caplog.text
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.IMPORT).exists()

    assert tasks.run_import(job.pk) == ImportJob.Status.SUCCEEDED
    job.refresh_from_db()
    assert (job.attempts, job.created_count) == (2, 10)
    assert "2回目の実行で完了しました" in job.message
    assert source_files() == []
    assert EligibilityRecord.objects.count() == 10


def test_headquarters_sees_the_runs_and_the_last_heartbeat(employer, client, hq_admin):
    job = claimed_then_killed(submit(ROWS))
    later = job.heartbeat + service.lease() + timedelta(seconds=1)
    with mock.patch.object(tasks.run_import, "apply_async"):
        service.sweep_jobs(now=later)
    client.force_login(hq_admin)
    page = client.get(reverse("admin:eligibility_importjob_change", args=[job.pk]))
    text = page.content.decode()
    assert "実行回数" in text and "最終応答日時" in text
    assert service.REQUEUE_WORKER_LOST in text


def test_the_sweep_fails_a_job_whose_file_is_gone(employer):
    job = claimed_then_killed(submit(ROWS))
    for path in source_files():
        path.unlink()
    later = job.heartbeat + service.lease() + timedelta(seconds=1)
    assert service.sweep_jobs(now=later).failed == 1
    job.refresh_from_db()
    assert job.status == ImportJob.Status.FAILED
    assert job.message.startswith(service.SOURCE_GONE)
    assert job.message.endswith("データは一切書き込まれていません。")


def test_the_sweep_does_not_take_a_job_that_beat_meanwhile(employer):
    job = claimed_then_killed(submit(ROWS))
    later = job.heartbeat + service.lease() + timedelta(seconds=1)
    # The run saved its progress between the sweep's read and its update.
    ImportJob.objects.filter(pk=job.pk).update(heartbeat=later)
    assert service._requeue(job, reason="x", stale_before=later - service.lease()) is False
    assert ImportJob.objects.get(pk=job.pk).status == ImportJob.Status.RUNNING


# --- a run whose job was taken over -----------------------------------------------------------
def test_a_run_whose_job_was_taken_over_stops_and_leaves_the_job(employer, small_batches, caplog):
    job = submit(ROWS, mode=ImportJob.Mode.GOOD_ROWS)
    calls = []

    def taken_over(_job: ImportJob) -> None:
        calls.append(1)
        if len(calls) == 1:  # the sweep thought the run dead and queued the job again
            ImportJob.objects.filter(pk=job.pk).update(
                status=ImportJob.Status.QUEUED, claim="", message="requeued"
            )

    service.run_job_by_id(job.pk, on_progress=taken_over)
    assert len(calls) == 1  # stopped at the next heartbeat
    job.refresh_from_db()
    assert (job.status, job.message, job.claim) == ("queued", "requeued", "")
    assert len(source_files()) == 1  # still the job's: its new run needs it
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.IMPORT).exists()
    assert "taken over by a new run" in caplog.text
    assert EligibilityRecord.objects.count() == 2  # the first batch, committed


def test_a_run_taken_over_at_its_very_end_does_not_overwrite_the_job(employer, caplog):
    job = submit(ROWS)
    real_finish = service._finish

    def taken_over_first(job: ImportJob, report) -> None:
        ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.QUEUED, claim="")
        real_finish(job, report)

    with mock.patch.object(service, "_finish", taken_over_first):
        assert tasks.run_import(job.pk) == ImportJob.Status.SUCCEEDED  # what this run found
    job.refresh_from_db()
    assert (job.status, job.finished_at) == ("queued", None)
    assert len(source_files()) == 1  # its new run needs it
    assert "taken over by a new run before it ended" in caplog.text
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.IMPORT).exists()


# --- the database goes away mid-run -----------------------------------------------------------
def connection_lost() -> OperationalError:
    try:
        try:
            raise psycopg.OperationalError("consuming input failed: server closed the connection")
        except psycopg.OperationalError as exc:
            raise OperationalError(str(exc)) from exc
    except OperationalError as wrapped:
        return wrapped


def statement_error(sqlstate: str) -> OperationalError:
    cause = psycopg.errors.lookup(sqlstate)("deadlock detected")
    try:
        raise OperationalError(str(cause)) from cause
    except OperationalError as wrapped:
        return wrapped


def test_database_gone_is_told_from_a_failed_statement():
    assert service.database_gone(connection_lost())
    assert service.database_gone(statement_error("57P01"))  # terminated by a restart
    assert service.database_gone(statement_error("08006"))
    assert not service.database_gone(statement_error("40P01"))  # a deadlock
    assert not service.database_gone(statement_error("57014"))  # a statement timeout
    assert not service.database_gone(ValueError("x"))


@pytest.mark.parametrize("mode", MODES)
def test_a_run_that_finds_the_database_gone_puts_the_job_back_in_the_queue(
    employer, mode, monkeypatch, django_capture_on_commit_callbacks, caplog
):
    job = submit(ROWS, mode=mode)
    monkeypatch.setattr(MemberImporter, "write", mock.Mock(side_effect=connection_lost()))
    with (
        mock.patch.object(tasks.run_import, "apply_async") as apply_async,
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert tasks.run_import(job.pk) == ImportJob.Status.RUNNING  # not failed
    apply_async.assert_called_once()
    job.refresh_from_db()
    assert (job.status, job.claim, job.attempts) == ("queued", "", 1)
    assert job.message == service.REQUEUE_DATABASE_GONE
    assert len(source_files()) == 1
    assert "interrupted: the database went away" in caplog.text
    assert "Traceback" not in caplog.text  # not logged as an internal error

    monkeypatch.undo()
    assert tasks.run_import(job.pk) == ImportJob.Status.SUCCEEDED
    assert ImportJob.objects.get(pk=job.pk).attempts == 2
    assert EligibilityRecord.objects.count() == 10


@pytest.mark.django_db(transaction=True)  # the message is sent when the hand-back commits
def test_a_broker_away_at_the_hand_back_leaves_the_job_queued_for_the_sweep(
    tokyo, settings, monkeypatch, caplog
):
    EmployerFactory(symbol=SYMBOL, branch=tokyo)
    job = submit(ROWS)
    monkeypatch.setattr(MemberImporter, "write", mock.Mock(side_effect=connection_lost()))
    with mock.patch.object(
        tasks.run_import, "apply_async", side_effect=BrokerError("refused")
    ) as refused:
        tasks.run_import(job.pk)
    refused.assert_called_once()
    job.refresh_from_db()
    assert (job.status, job.claim) == ("queued", "")
    assert "its message was not sent; the sweep will" in caplog.text
    waited = job.heartbeat + timedelta(seconds=settings.IMPORT_REQUEUE_AFTER + 1)
    with mock.patch.object(tasks.run_import, "apply_async") as apply_async:
        assert service.sweep_jobs(now=waited).requeued == 1
    apply_async.assert_called_once()


def test_a_failed_statement_still_fails_the_job(employer, monkeypatch):
    job = submit(ROWS)
    monkeypatch.setattr(MemberImporter, "write", mock.Mock(side_effect=statement_error("40P01")))
    assert tasks.run_import(job.pk) == ImportJob.Status.FAILED
    assert "内部エラー" in ImportJob.objects.get(pk=job.pk).message
    assert source_files() == []


def test_the_database_gone_on_the_last_attempt_fails_the_job(employer, settings, monkeypatch):
    settings.IMPORT_MAX_ATTEMPTS = 2
    job = submit(ROWS, mode=ImportJob.Mode.GOOD_ROWS)
    ImportJob.objects.filter(pk=job.pk).update(attempts=1)
    monkeypatch.setattr(MemberImporter, "write", mock.Mock(side_effect=connection_lost()))
    assert tasks.run_import(job.pk) == ImportJob.Status.FAILED
    job.refresh_from_db()
    assert job.message.startswith("取込を2回実行しましたが")
    assert job.finished_at is not None and source_files() == []


def test_a_database_that_stays_away_leaves_the_job_to_the_sweep(employer, settings, monkeypatch):
    settings.IMPORT_RECONNECT_WAIT = 0
    job = submit(ROWS)
    monkeypatch.setattr(MemberImporter, "write", mock.Mock(side_effect=connection_lost()))
    monkeypatch.setattr(service, "_requeue", mock.Mock(side_effect=connection_lost()))
    assert tasks.run_import(job.pk) == ImportJob.Status.RUNNING
    job.refresh_from_db()
    assert job.status == ImportJob.Status.RUNNING and job.claim  # the sweep's, after the lease
    assert len(source_files()) == 1


# --- PostgreSQL: the server really ends the import's connection --------------------------------
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("mode", MODES)
def test_a_connection_ended_by_the_server_mid_import_loses_and_duplicates_nothing(
    tokyo, small_batches, mode
):
    """What a PostgreSQL restart does to a running import: its connection is terminated
    (pg_terminate_backend, as the shutdown does) after the first batch."""
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only: a server that ends a connection")
    EmployerFactory(symbol=SYMBOL, branch=tokyo)
    job = submit(ROWS, mode=mode)
    params = connection.get_connection_params()
    ended = []

    def end_my_connection(_job: ImportJob) -> None:
        if ended:
            return
        pid = connection.connection.info.backend_pid
        with psycopg.connect(**params, autocommit=True) as other:
            other.execute("SELECT pg_terminate_backend(%s)", [pid])
        ended.append(pid)

    with mock.patch.object(tasks.run_import, "apply_async") as apply_async:
        service.run_job_by_id(job.pk, on_progress=end_my_connection)
    assert ended
    apply_async.assert_called_once()  # queued again once the database answered
    job.refresh_from_db()
    assert (job.status, job.attempts) == ("queued", 1)
    assert tasks.run_import(job.pk) == ImportJob.Status.SUCCEEDED
    job.refresh_from_db()
    assert job.attempts == 2
    assert job.created_count + job.unchanged_count == 10
    numbers = list(EligibilityRecord.objects.values_list("number", flat=True))
    assert sorted(numbers, key=int) == [str(n) for n in range(1, 11)]  # none lost, none twice
