"""Import jobs on real Celery worker processes (PostgreSQL + Redis lane): a worker killed
with SIGKILL in the middle of an import loses nothing and writes nothing twice; the sweep
runs the job again on another worker once its heartbeat is older than the lease. An import
running when PostgreSQL restarts (its connections ended, new ones refused for a while) is
put back in the queue by its own worker once the database answers, and completes."""

from __future__ import annotations

import os
import signal
import time
from datetime import timedelta
from pathlib import Path

import psycopg
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.utils import timezone

from eligibility.imports import service
from eligibility.models import EligibilityRecord, ImportJob
from tests.factories.eligibility import EmployerFactory
from tests.factories.imports import csv_text, member_row
from tests.worker import lane_database_url, start_private_worker, stop, wait_for

QUEUE = f"imports-test-{os.getpid()}"  # the session's worker does not listen here
SYMBOL = "13000001"
ROWS = 30_000
BATCH = 500


@pytest.mark.worker
@pytest.mark.parametrize("mode", [ImportJob.Mode.GOOD_ROWS, ImportJob.Mode.ALL_OR_NOTHING])
def test_a_worker_killed_mid_import_loses_nothing_and_writes_nothing_twice(
    settings, tokyo, tmp_path, mode
):
    settings.IMPORT_QUEUE = QUEUE
    settings.MEDIA_ROOT = str(tmp_path / "media")
    EmployerFactory(symbol=SYMBOL, branch=tokyo)
    data = csv_text([member_row(SYMBOL, str(n)) for n in range(1, ROWS + 1)]).encode()
    job = service.submit_job(
        kind=ImportJob.Kind.MEMBERS,
        mode=mode,
        upload=SimpleUploadedFile("members.csv", data),
        user=None,
    )  # queued on commit (this test's database is not in a transaction)
    env = {
        "IMPORT_QUEUE": QUEUE,
        "IMPORT_BATCH_SIZE": str(BATCH),
        "PRIVATE_MEDIA_ROOT": settings.MEDIA_ROOT,
    }
    log = tmp_path / "workers.log"
    jobs = ImportJob.objects.filter(pk=job.pk)

    first = start_private_worker(log, queue=QUEUE, name="import-first", env=env)
    try:
        wait_for(lambda: jobs.get().processed_rows >= 2 * BATCH, timeout=120, interval=0.05)
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=30)
    finally:
        stop(first)
    killed = jobs.get()
    assert killed.status == ImportJob.Status.RUNNING, log.read_text()[-3000:]
    assert 0 < killed.processed_rows < ROWS, "the kill must fall in the middle of the import"
    assert killed.attempts == 1
    written_before = EligibilityRecord.objects.count()
    if mode == ImportJob.Mode.ALL_OR_NOTHING:
        assert written_before == 0  # its one transaction died with the worker
    else:
        assert written_before >= 2 * BATCH  # the committed batches stay

    second = start_private_worker(log, queue=QUEUE, name="import-second", env=env)
    try:
        settings.IMPORT_LEASE = 1
        wait_for(lambda: timezone.now() - jobs.get().heartbeat > timedelta(seconds=1.5))
        assert service.sweep_jobs().rerun == 1  # beat's sweep queues the job again
        done = wait_for(lambda: jobs.filter(status__in=ImportJob.FINISHED).first(), timeout=300)
    finally:
        stop(second)
    assert done.status == ImportJob.Status.SUCCEEDED, (done.message, log.read_text()[-3000:])
    assert done.attempts == 2
    assert done.created_count + done.unchanged_count == ROWS
    assert done.unchanged_count == written_before  # what the first run committed
    assert "2回目の実行で完了しました" in done.message
    numbers = EligibilityRecord.objects.values_list("number", flat=True)
    assert numbers.count() == ROWS == len(set(numbers))  # none lost, none twice
    assert not list((Path(settings.MEDIA_ROOT) / "imports" / "source").rglob("*.csv"))


@pytest.mark.worker
@pytest.mark.parametrize("mode", [ImportJob.Mode.GOOD_ROWS, ImportJob.Mode.ALL_OR_NOTHING])
def test_an_import_running_when_postgresql_restarts_completes_on_its_own(
    settings, tokyo, tmp_path, mode
):
    """What a restart does to a client, on this lane's shared server (which the test may
    not restart): every connection of the worker is ended by the server (57P01, as at a
    shutdown), and the database refuses new connections for three seconds."""
    settings.IMPORT_QUEUE = QUEUE
    settings.MEDIA_ROOT = str(tmp_path / "media")
    EmployerFactory(symbol=SYMBOL, branch=tokyo)
    data = csv_text([member_row(SYMBOL, str(n)) for n in range(1, ROWS + 1)]).encode()
    job = service.submit_job(
        kind=ImportJob.Kind.MEMBERS,
        mode=mode,
        upload=SimpleUploadedFile("members.csv", data),
        user=None,
    )
    app_name = f"import-fault-{os.getpid()}"
    env = {
        "IMPORT_QUEUE": QUEUE,
        "IMPORT_BATCH_SIZE": str(BATCH),
        "IMPORT_RECONNECT_WAIT": "60",
        "PRIVATE_MEDIA_ROOT": settings.MEDIA_ROOT,
        "DATABASE_URL": f"{lane_database_url()}?application_name={app_name}",
    }
    log = tmp_path / "worker.log"
    jobs = ImportJob.objects.filter(pk=job.pk)
    name = connection.settings_dict["NAME"]
    params = {**connection.get_connection_params(), "dbname": "postgres", "autocommit": True}

    def admin(sql: str, args: list | None = None) -> list[tuple]:
        with psycopg.connect(**params) as conn:
            cursor = conn.execute(sql, args)
            return cursor.fetchall() if cursor.description else []

    worker = start_private_worker(log, queue=QUEUE, name="import-restart", env=env)
    try:
        wait_for(lambda: jobs.get().processed_rows >= 2 * BATCH, timeout=120, interval=0.05)
        admin(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
        # The worker's connections only (by their application_name and database), each
        # ended by its pid: never a condition beside pg_terminate_backend in one query,
        # which the planner may evaluate for every row of the server.
        pids = [
            pid
            for (pid,) in admin(
                "SELECT pid FROM pg_stat_activity WHERE datname = %s AND application_name = %s",
                [name, app_name],
            )
        ]
        assert pids
        for pid in pids:
            admin("SELECT pg_terminate_backend(%s)", [pid])
        time.sleep(3)
        admin(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
        done = wait_for(lambda: jobs.filter(status__in=ImportJob.FINISHED).first(), timeout=300)
    finally:
        try:
            stop(worker)
        finally:
            admin(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
    text = log.read_text()
    assert "interrupted: the database went away" in text, text[-3000:]
    assert done.status == ImportJob.Status.SUCCEEDED, (done.message, text[-3000:])
    assert done.attempts == 2
    assert done.created_count + done.unchanged_count == ROWS
    assert "2回目の実行で完了しました" in done.message
    numbers = EligibilityRecord.objects.values_list("number", flat=True)
    assert numbers.count() == ROWS == len(set(numbers))  # none lost, none twice
    assert worker.returncode is not None  # (stopped) and no restart of the worker was needed
