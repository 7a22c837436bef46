"""Import jobs on real Celery worker processes (PostgreSQL + Redis lane): a worker killed
with SIGKILL in the middle of an import loses nothing and writes nothing twice; the sweep
runs the job again on another worker once its heartbeat is older than the lease."""

from __future__ import annotations

import os
import signal
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from eligibility.imports import service
from eligibility.models import EligibilityRecord, ImportJob
from tests.factories.eligibility import EmployerFactory
from tests.factories.imports import csv_text, member_row
from tests.worker import start_private_worker, stop, wait_for

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
