"""A real Celery worker process for tests marked `worker` (PostgreSQL + Redis lane).

The worker is started once per session against the test database that pytest-django
created, consumes every queue, and is stopped at the end. Tests marked `worker` get a
transactional database (the worker must see committed rows) and are skipped on the
embedded SQLite lane, where no second process can share the test database.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.conf import settings

WORKER_MEDIA_ROOT = "/tmp/kyoukai-worker-media"


@dataclass
class WorkerProcess:
    process: subprocess.Popen
    media_root: str
    log_path: Path


def pytest_collection_modifyitems(config, items):
    for item in items:
        if item.get_closest_marker("worker"):
            item.add_marker(pytest.mark.django_db(transaction=True))
            item.fixturenames.append("celery_worker_process")


def _lane_has_real_services() -> bool:
    engine = settings.DATABASES["default"]["ENGINE"]
    return engine.endswith("postgresql") and settings.CELERY_BROKER_URL.startswith("redis")


@pytest.fixture(scope="session")
def celery_worker_process(django_db_setup, django_db_blocker, tmp_path_factory):
    if not _lane_has_real_services():
        pytest.skip("a real worker needs the PostgreSQL + Redis lane (see .ci/run)")
    from django.db import connection

    from config.celery import app

    db = connection.settings_dict
    url = (
        f"postgres://{db['USER'] or ''}:{db['PASSWORD'] or ''}@{db['HOST'] or '127.0.0.1'}:"
        f"{db['PORT'] or 5432}/{db['NAME']}"
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": url,
        "PRIVATE_MEDIA_ROOT": WORKER_MEDIA_ROOT,
        "PYTHONUNBUFFERED": "1",  # its log is read by the tests
    }
    with app.connection_for_write() as conn:  # nothing left over from an earlier run
        for queue in settings.CELERY_QUEUES_ALL.split(","):
            conn.default_channel.queue_purge(queue)
    log_path = tmp_path_factory.mktemp("worker") / "worker.log"
    name = f"test-{os.getpid()}@%h"
    log = log_path.open("w")
    process = subprocess.Popen(
        [
            sys.executable, "-m", "celery", "-A", "config", "worker",
            "-Q", settings.CELERY_QUEUES_ALL, "-n", name, "-c", "2", "-l", "INFO",
            "--without-gossip", "--without-mingle",
        ],
        cwd=settings.BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"Celery worker exited at start:\n{log_path.read_text()}")
        if app.control.ping(timeout=0.5):
            break
    else:
        process.terminate()
        pytest.fail(f"Celery worker did not answer within 60 s:\n{log_path.read_text()}")
    yield WorkerProcess(process=process, media_root=WORKER_MEDIA_ROOT, log_path=log_path)
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
    log.close()


def lane_database_url() -> str:
    """This lane's test database, as a URL for a process of its own."""
    from django.db import connection

    db = connection.settings_dict
    return (
        f"postgres://{db['USER'] or ''}:{db['PASSWORD'] or ''}@{db['HOST'] or '127.0.0.1'}:"
        f"{db['PORT'] or 5432}/{db['NAME']}"
    )


def start_private_worker(
    log_path: Path, *, queue: str, name: str, env: dict[str, str] | None = None
) -> subprocess.Popen:
    """A Celery worker of the test's own (solo pool) on ``queue``, which the session's
    worker does not consume, with ``env`` added to its environment; it logs to
    ``log_path``. The caller stops it (SIGTERM, or SIGKILL for a fault)."""
    full_env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": lane_database_url(),
        "PYTHONUNBUFFERED": "1",
        **(env or {}),
    }
    log = log_path.open("a")
    return subprocess.Popen(
        [
            sys.executable, "-m", "celery", "-A", "config", "worker", "-Q", queue,
            "-n", f"{name}-{os.getpid()}@%h", "-P", "solo", "-l", "INFO",
            "--without-gossip", "--without-mingle", "--without-heartbeat",
        ],
        cwd=settings.BASE_DIR, env=full_env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def wait_for(predicate, *, timeout: float = 60.0, interval: float = 0.2):
    """Poll `predicate` until it returns a truthy value (the worker runs asynchronously)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout} s")
