"""Redis restarted in the middle of a mailing batch (PostgreSQL + Redis lane): the batch
finishes once the broker is back, every item rendered exactly once.

The test runs its own redis-server (never the shared one), a real worker and a real
``celery beat`` against it. Redis is stopped while a chunk renders (the queued chunk
messages vanish with it: no persistence), a reissue is launched while it is down (its chunk
must be recorded pending, and the launch must not fail), then Redis starts again on the same
port: the worker reconnects and beat's sweep queues the chunks whose messages were lost.

``TEST_REDIS_PORT`` chooses the private server's port (a free one by default)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.db import connection
from django.utils import timezone

from config.celery import app
from notices.batches import services
from notices.batches.models import Kind, MailingBatch, MailingChunk, MailingItem
from tests.factories.eligibility import VoluntaryRecordFactory
from tests.worker import wait_for

QUEUE = f"bulk-restart-{os.getpid()}"
PER_PART = 4
MEMBERS = 32  # 8 files of 4, one chunk each

pytestmark = pytest.mark.skipif(
    shutil.which("redis-server") is None,
    reason="redis-server is not installed: this test restarts a private Redis of its own",
)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class PrivateRedis:
    """A redis-server of this test only, without persistence (a restart loses the queues)."""

    def __init__(self, port: int, folder: Path) -> None:
        self.port, self.folder = port, folder
        self.process: subprocess.Popen | None = None
        self.url = f"redis://127.0.0.1:{port}/0"

    def start(self) -> None:
        log = (self.folder / "redis.log").open("a")
        self.process = subprocess.Popen(
            [
                "redis-server", "--port", str(self.port), "--bind", "127.0.0.1",
                "--save", "", "--appendonly", "no", "--dir", str(self.folder),
            ],
            stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as sock:
                    sock.sendall(b"PING\r\n")
                    if sock.recv(16).startswith(b"+PONG"):
                        return
            except OSError:
                time.sleep(0.1)
        raise AssertionError(f"private redis-server did not start on port {self.port}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=20)
        self.process = None


@contextmanager
def broker(url: str) -> Iterator[None]:
    """This process publishes to ``url`` (the app's connection pools are rebuilt)."""

    def reset() -> None:
        app._pool = None
        app.amqp._producer_pool = None

    old = app.conf.get("broker_write_url")
    reset()
    app.conf.broker_write_url = url  # the CELERY_BROKER_URL of the lane would win over broker_url
    try:
        assert app.connection_for_write().as_uri().endswith(f":{url.rsplit(':', 1)[1]}")
        yield
    finally:
        reset()
        app.conf.broker_write_url = old


def start_celery(tmp_path: Path, redis_url: str, *args: str, name: str) -> subprocess.Popen:
    db = connection.settings_dict
    url = (
        f"postgres://{db['USER'] or ''}:{db['PASSWORD'] or ''}@{db['HOST'] or '127.0.0.1'}:"
        f"{db['PORT'] or 5432}/{db['NAME']}"
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": url,
        "CELERY_BROKER_URL": redis_url,
        "PRIVATE_MEDIA_ROOT": str(tmp_path / "media"),
        "NOTICE_PART_ITEMS": str(PER_PART),
        "NOTICE_CHUNK_PARTS": "1",
        "NOTICE_CHUNK_LEASE": "2",
        "NOTICE_SWEEP_INTERVAL": "1",
        "NOTICE_QUEUE": QUEUE,
        "PYTHONUNBUFFERED": "1",
    }
    log = (tmp_path / f"{name}.log").open("w")
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", *args],
        cwd=django_settings.BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


@pytest.fixture
def redis(tmp_path) -> Iterator[PrivateRedis]:
    port = int(os.environ.get("TEST_REDIS_PORT") or 0) or _free_port()
    folder = tmp_path / "redis"
    folder.mkdir()
    server = PrivateRedis(port, folder)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.mark.worker
def test_redis_restarted_mid_batch_the_batch_finishes_once_the_broker_is_back(
    settings, operator, tokyo, tmp_path, redis
):
    settings.NOTICE_PART_ITEMS = PER_PART
    settings.NOTICE_CHUNK_PARTS = 1
    settings.NOTICE_QUEUE = QUEUE
    settings.MEDIA_ROOT = str(tmp_path / "media")
    members = VoluntaryRecordFactory.create_batch(MEMBERS, branch=tokyo)  # home route

    def new_worker() -> subprocess.Popen:
        return start_celery(
            tmp_path, redis.url, "worker", "-Q", f"{QUEUE},default",
            "-n", f"restart-{os.getpid()}-{len(workers)}@%h", "-P", "solo", "-l", "INFO",
            "--without-gossip", "--without-mingle", "--without-heartbeat",
            name=f"worker-{len(workers)}",
        )  # fmt: skip

    workers: list[subprocess.Popen] = []
    workers.append(new_worker())
    beat = start_celery(
        tmp_path, redis.url, "beat", "-l", "INFO", "-s", str(tmp_path / "beat-schedule"),
        "--pidfile", str(tmp_path / "beat.pid"), name="beat",
    )  # fmt: skip
    try:
        with broker(redis.url):
            batch = services.define_batch(
                actor=operator, kind=Kind.NOTICE_ALL, as_of=timezone.localdate()
            )
            services.launch(batch.pk, actor=operator)  # 8 chunk messages in the private Redis
            batch.refresh_from_db()
            assert batch.planned == MEMBERS and batch.chunks.count() == MEMBERS // PER_PART
            items = MailingItem.objects.filter(batch=batch)

            wait_for(lambda: items.filter(state="rendered").exists(), timeout=120)
            redis.stop()  # the queued messages go with it
            rendered_at_stop = items.filter(state="rendered").count()
            assert rendered_at_stop < MEMBERS, "the restart must fall in the middle of the batch"

            # Launched while the broker is away: no error for the operator, and the chunk is
            # recorded pending for the sweep.
            reissue = services.define_batch(
                actor=operator,
                kind=Kind.REISSUE_NOTICE,
                record_id=members[0].pk,
                branch_id=tokyo.pk,
            )
            services.launch(reissue.pk, actor=operator)
            reissue.refresh_from_db()
            assert reissue.status == MailingBatch.Status.RUNNING
            assert reissue.chunks.get().state == MailingChunk.State.PENDING

            time.sleep(2)
            redis.start()  # empty: every message queued before the stop is gone

            def finished() -> bool:
                # As a supervisor would (systemd Restart=always; scripts/serve.sh stops the
                # stack for its supervisor to restart): Celery 5.7 / kombu 5.7 may end the
                # worker with "Unrecoverable error" when Redis vanishes while the worker holds
                # an unacknowledged message (kombu's restore_unacked on a dead connection).
                if workers[-1].poll() is not None:
                    workers.append(new_worker())
                done = MailingBatch.objects.filter(
                    pk__in=[batch.pk, reissue.pk], status=MailingBatch.Status.DONE
                )
                return done.count() == 2

            wait_for(finished, timeout=300)
    except BaseException:
        for log in sorted(tmp_path.glob("*.log")):
            print(f"--- {log.name} ---\n{log.read_text()[-6000:]}")
        raise
    finally:
        stop(beat)
        for worker in workers:
            stop(worker)
    print(
        f"worker processes started: {len(workers)} (restarted after the broker: {len(workers) - 1})"
    )

    everything = MailingItem.objects.filter(batch__in=[batch, reissue])
    assert everything.count() == MEMBERS + 1
    assert everything.filter(state="rendered", render_count=1).count() == MEMBERS + 1
    assert not MailingChunk.objects.filter(batch__in=[batch, reissue]).exclude(state="done")
    media = tmp_path / "media" / "mailings" / str(batch.pk)
    assert (media / "manifest-utf8.csv").exists()
    assert len(list(media.glob("notice-*.pdf"))) == MEMBERS // PER_PART
