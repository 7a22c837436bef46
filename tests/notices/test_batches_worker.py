"""Mailing batches through real Celery worker processes (PostgreSQL + Redis lane): a worker
killed with SIGKILL in the middle of a chunk loses nothing and duplicates nothing."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from datetime import timedelta

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from notices.batches import services
from notices.batches.models import Kind, MailingBatch, MailingItem
from tests.factories.eligibility import (
    DependentRecordFactory,
    EmployerFactory,
    InsuredRecordFactory,
    VoluntaryRecordFactory,
)
from tests.worker import wait_for

QUEUE = f"bulk-test-{os.getpid()}"  # the session's worker does not listen here
PER_PART = 4
# Many small files to their own addresses (a renderer child compiles up to 4 files, and the
# worker marks them in a burst), so that the chunk outlasts the poll before the kill.
VOLUNTARY = 100
TOTAL = 40 + VOLUNTARY + 10


def start_worker(tmp_path, name: str) -> subprocess.Popen:
    db = connection.settings_dict
    url = (
        f"postgres://{db['USER'] or ''}:{db['PASSWORD'] or ''}@{db['HOST'] or '127.0.0.1'}:"
        f"{db['PORT'] or 5432}/{db['NAME']}"
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": url,
        "PRIVATE_MEDIA_ROOT": str(tmp_path / "media"),
        "NOTICE_PART_ITEMS": str(PER_PART),
        "NOTICE_CHUNK_PARTS": "100",  # one chunk: the kill falls inside it
        "NOTICE_CHUNK_LEASE": "1",
        "NOTICE_QUEUE": QUEUE,
        "PYTHONUNBUFFERED": "1",
    }
    log = (tmp_path / f"{name}.log").open("w")
    return subprocess.Popen(
        [
            sys.executable, "-m", "celery", "-A", "config", "worker", "-Q", QUEUE,
            "-n", f"{name}-{os.getpid()}@%h", "-P", "solo", "-l", "INFO",
            "--without-gossip", "--without-mingle", "--without-heartbeat",
        ],
        cwd=settings.BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip


@pytest.mark.worker
def test_a_worker_killed_mid_chunk_loses_nothing_and_duplicates_nothing(
    settings, operator, tokyo, tmp_path
):
    settings.NOTICE_PART_ITEMS = PER_PART
    settings.NOTICE_CHUNK_PARTS = 100
    settings.NOTICE_QUEUE = QUEUE
    settings.MEDIA_ROOT = str(tmp_path / "media")
    employer = EmployerFactory(branch=tokyo)
    for _ in range(40):
        InsuredRecordFactory(employer=employer)
    voluntary = VoluntaryRecordFactory.create_batch(VOLUNTARY, branch=tokyo)
    for insured in voluntary[:10]:
        DependentRecordFactory(insured_record=insured)
    batch = services.define_batch(actor=operator, kind=Kind.NOTICE_ALL, as_of=timezone.localdate())
    services.launch(batch.pk, actor=operator)  # queued on commit
    batch.refresh_from_db()
    assert batch.planned == TOTAL and batch.chunks.count() == 1
    items = MailingItem.objects.filter(batch=batch)

    first = start_worker(tmp_path, "first")
    try:
        wait_for(
            lambda: items.filter(state="rendered").count() >= 2 * PER_PART,
            timeout=120,
            interval=0.02,
        )
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=30)
    finally:
        if first.poll() is None:
            first.kill()
    rendered_before = items.filter(state="rendered").count()
    assert 0 < rendered_before < TOTAL, "the kill must fall in the middle of the chunk"
    assert batch.chunks.get().state == "running"  # left behind by the dead worker

    second = start_worker(tmp_path, "second")
    try:
        wait_for(lambda: timezone.now() - batch.chunks.get().heartbeat > timedelta(seconds=1.5))
        settings.NOTICE_CHUNK_LEASE = 1
        assert services.sweep()["queued"] == 1  # beat's sweep queues the chunk again
        wait_for(
            lambda: MailingBatch.objects.get(pk=batch.pk).status == MailingBatch.Status.DONE,
            timeout=180,
        )
    finally:
        second.terminate()
        second.wait(timeout=30)
    assert items.count() == TOTAL
    assert items.filter(state="rendered", render_count=1).count() == TOTAL
    assert batch.chunks.get().attempts == 2
    media = tmp_path / "media" / "mailings" / str(batch.pk)
    assert (media / "manifest-cp932.csv").exists()
    assert len(list(media.glob("notice-*.pdf"))) == len(set(items.values_list("file", flat=True)))
