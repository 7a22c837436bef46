"""The production entry point: gunicorn with config/gunicorn.conf.py serves the probes and
the metrics, added up over its worker processes (Prometheus multiprocess mode)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings

GUNICORN = Path(sys.executable).with_name("gunicorn")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str) -> tuple[int, str, dict]:
    try:
        with urllib.request.urlopen(url, timeout=5) as r:
            return r.status, r.read().decode(), dict(r.headers)
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode(), dict(e.headers)


@pytest.fixture
def gunicorn(tmp_path):
    port = _free_port()
    (tmp_path / "private").mkdir()
    (tmp_path / "prom").mkdir()
    env = {
        **{k: v for k, v in os.environ.items() if k not in ("DATABASE_URL",)},
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "CELERY_BROKER_URL": "filesystem://",
        "PRIVATE_MEDIA_ROOT": str(tmp_path / "private"),
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "prom"),
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": "2",
        "LOG_FORMAT": "json",
    }
    process = subprocess.Popen(
        [str(GUNICORN), "-c", "config/gunicorn.conf.py"],
        cwd=settings.BASE_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):
            try:
                if _get(f"{base}/healthz")[0] == 200:
                    break
            except OSError:
                pass
            if process.poll() is not None:
                pytest.fail(process.stdout.read().decode()[-3000:])
            time.sleep(0.5)
        yield base
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)


def test_gunicorn_answers_probes_and_metrics_over_its_workers(gunicorn):
    status, body, headers = _get(f"{gunicorn}/healthz")
    assert (status, body) == (200, '{"status": "ok"}')
    assert headers["Cache-Control"] == "no-store"
    status, body, _ = _get(f"{gunicorn}/readyz")
    assert (status, body) == (200, '{"status": "ok"}')
    for _ in range(6):  # spread over both workers
        status, _, headers = _get(f"{gunicorn}/api/v1/applications/forms/")
        assert status in (401, 403)
        assert len(headers["X-Request-ID"]) == 32
    status, text, _ = _get(f"{gunicorn}/metrics")
    assert status == 200
    line = next(
        x
        for x in text.splitlines()
        if x.startswith("kyoukai_http_request_duration_seconds_count")
        and 'view="api-application-forms"' in x
    )
    assert float(line.rsplit(" ", 1)[1]) == 6.0  # added up over the worker processes
