"""scripts/serve.sh, the production stack, run whole (PostgreSQL + Redis lane): on private
ports, against a database of its own and with a Redis of its own (append-only file), it
answers /healthz, /readyz and /metrics; /readyz says 503 while its Redis is away and 200 once
it is back, with a message queued before the crash still there; while its database refuses
connections, a request answers a Japanese 503 (not a 500); SIGTERM stops every process it
started."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import psycopg
import pytest
from django.conf import settings

SERVE = Path(settings.BASE_DIR) / "scripts" / "serve.sh"
GUNICORN = Path(settings.BASE_DIR) / ".venv" / "bin" / "gunicorn"
#: collectstatic (about 45 s of CPU) runs once; serve.sh skips it while nothing changed.
STATIC_CACHE = "/tmp/kyoukai-serve-test-static"
READY_WITHIN = 420  # seconds: a first run compresses the static files on a busy machine
STOPPED_WITHIN = 90


def _skip_unless_runnable() -> None:
    engine = settings.DATABASES["default"]["ENGINE"]
    if not engine.endswith("postgresql") or not settings.CELERY_BROKER_URL.startswith("redis"):
        pytest.skip("serve.sh runs on PostgreSQL + Redis: this test runs in that lane only")
    missing = [
        name
        for name, found in (
            ("redis-server", shutil.which("redis-server")),
            ("redis-cli", shutil.which("redis-cli")),
            ("setsid", shutil.which("setsid")),
            ("curl", shutil.which("curl")),
            ("gunicorn", GUNICORN.exists()),
        )
        if not found
    ]
    if missing:
        pytest.skip(f"serve.sh needs {', '.join(missing)}, not installed here")


def _ports() -> tuple[int, int]:
    """SERVE_TEST_PORT_BASE (this port and the next: web, Redis), else two free ports."""
    base = os.environ.get("SERVE_TEST_PORT_BASE")
    if base:
        return int(base), int(base) + 1
    ports = []
    for _ in range(2):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            ports.append(s.getsockname()[1])
    return ports[0], ports[1]


def _get(url: str, headers: dict[str, str] | None = None) -> tuple[int, str, dict]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as r:
            return r.status, r.read().decode(), dict(r.headers)
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode(), dict(e.headers)


def _status(url: str) -> int:
    try:
        return _get(url)[0]
    except OSError:
        return 0


def _descendants(pid: int) -> set[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    found, todo = set(), [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.add(child)
            todo.append(child)
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _redis_cli(port: int, *args: str) -> str:
    return subprocess.run(
        ["redis-cli", "-p", str(port), *args], capture_output=True, text=True, timeout=10
    ).stdout.strip()


def _admin_params() -> dict:
    db = settings.DATABASES["default"]
    return {
        "host": db["HOST"] or "127.0.0.1",
        "port": db["PORT"] or 5432,
        "user": db["USER"] or "postgres",
        "password": db["PASSWORD"] or None,
        "dbname": "postgres",
        "autocommit": True,
    }


def _database(url: str, option: str) -> None:
    name = url.rsplit("/", 1)[1]
    with psycopg.connect(**_admin_params()) as conn:
        conn.execute(f'ALTER DATABASE "{name}" {option}')


def _end_connections(url: str) -> None:
    """End every connection to serve.sh's database (and only those: the pids are chosen
    first, then each is ended on its own)."""
    name = url.rsplit("/", 1)[1]
    with psycopg.connect(**_admin_params()) as conn:
        pids = [
            pid
            for (pid,) in conn.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = %s", [name]
            ).fetchall()
        ]
        for pid in pids:
            conn.execute("SELECT pg_terminate_backend(%s)", [pid])


@pytest.fixture
def serve_database():
    """A database of serve.sh's own (its migrate runs there), dropped afterwards."""
    _skip_unless_runnable()
    db = settings.DATABASES["default"]
    name = f"{db['NAME'].removeprefix('test_')}_serve"
    admin = _admin_params()
    with psycopg.connect(**admin) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    auth = f"{admin['user']}:{db['PASSWORD']}@" if db["PASSWORD"] else f"{admin['user']}@"
    yield f"postgres://{auth}{admin['host']}:{admin['port']}/{name}"
    with psycopg.connect(**admin) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_serve_sh_serves_probes_and_metrics_survives_a_redis_crash_and_stops_cleanly(
    tmp_path, serve_database
):
    web_port, redis_port = _ports()
    base = f"http://127.0.0.1:{web_port}"
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DJANGO_SETTINGS_MODULE", "CELERY_BROKER_URL", "CACHE_URL")
        and not k.startswith(("PROMETHEUS_", "GUNICORN_", "SERVE_"))
    }
    env |= {
        "PORT": str(web_port),
        "SERVE_REDIS_PORT": str(redis_port),
        "DATABASE_URL": serve_database,
        "STATIC_ROOT": STATIC_CACHE,
        "PRIVATE_MEDIA_ROOT": str(tmp_path / "private"),
        "SERVE_RUN_DIR": str(tmp_path / "run"),
        "SERVE_LOG_DIR": str(tmp_path / "log"),
        "SERVE_SECRETS_FILE": str(tmp_path / "serve.secrets"),
        "WEB_CONCURRENCY": "2",
        "WORKERS_INTERACTIVE": "1",
        "WORKERS_BULK": "1",
        "SERVE_STOP_TIMEOUT": "30",
    }
    out = (tmp_path / "serve.out").open("w")
    serve = subprocess.Popen(
        ["bash", str(SERVE)],
        cwd=settings.BASE_DIR,
        env=env,
        stdout=out,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    started: set[int] = set()
    restarted_redis: subprocess.Popen | None = None

    def output() -> str:
        logs = [tmp_path / "serve.out", *sorted((tmp_path / "log").glob("*.log"))]
        return "\n".join(f"--- {p.name}\n{p.read_text()[-2000:]}" for p in logs if p.exists())

    try:
        # --- up: the probes and the metrics answer ---
        deadline = time.monotonic() + READY_WITHIN
        while _status(f"{base}/readyz") != 200:
            assert serve.poll() is None, f"serve.sh ended:\n{output()}"
            assert time.monotonic() < deadline, f"not ready in {READY_WITHIN} s:\n{output()}"
            time.sleep(0.5)
        status, body, headers = _get(f"{base}/healthz")
        assert (status, body) == (200, '{"status": "ok"}')
        assert _get(f"{base}/readyz")[:2] == (200, '{"status": "ok"}')
        status, metrics, _ = _get(f"{base}/metrics")
        assert status == 200
        assert 'kyoukai_celery_queue_length{queue="bulk"}' in metrics
        # A request's JSON access line carries its id (production settings, JSON logs).
        request_id = f"serve-test-{os.getpid()}"
        status, _, headers = _get(
            f"{base}/api/v1/applications/forms/", headers={"X-Request-ID": request_id}
        )
        assert status in (401, 403) and headers["X-Request-ID"] == request_id
        time.sleep(0.5)
        web_lines = [
            json.loads(line)
            for line in (tmp_path / "log" / "web.log").read_text().splitlines()
            if line.startswith("{")
        ]
        assert any(line.get("request_id") == request_id for line in web_lines)
        started = _descendants(serve.pid)
        assert len(started) >= 6, output()  # Redis, 2 workers (+ pool), beat, gunicorn (+ 2)

        # --- its Redis runs with the append-only file ---
        assert _redis_cli(redis_port, "CONFIG", "GET", "appendonly").split() == [
            "appendonly",
            "yes",
        ]
        assert _redis_cli(redis_port, "CONFIG", "GET", "appendfsync").split() == [
            "appendfsync",
            "everysec",
        ]
        # A message waiting in a queue nobody consumes here, then Redis crashes (SIGKILL)
        # more than a second later (appendfsync everysec).
        assert _redis_cli(redis_port, "-n", "0", "LPUSH", "serve-test-queue", "message") == "1"
        time.sleep(1.5)
        [redis_pid] = [
            p
            for p in started
            if Path(f"/proc/{p}/cmdline").read_bytes().startswith(b"redis-server")
        ]
        os.kill(redis_pid, signal.SIGKILL)
        deadline = time.monotonic() + 30
        while _status(f"{base}/readyz") != 503:
            assert time.monotonic() < deadline, "/readyz did not answer 503 without Redis"
            time.sleep(0.2)
        assert _get(f"{base}/readyz")[1] == '{"status": "unavailable"}'
        assert _status(f"{base}/healthz") == 200  # the process itself is fine

        # --- Redis back (as its supervisor would restart it): ready again, message kept ---
        restarted_redis = subprocess.Popen(
            [
                "redis-server", str(Path(settings.BASE_DIR) / "config" / "redis.conf"),
                "--port", str(redis_port), "--dir", str(tmp_path / "run" / "redis"),
                "--daemonize", "no", "--logfile", str(tmp_path / "log" / "redis-restarted.log"),
            ],
        )  # fmt: skip
        deadline = time.monotonic() + 60
        while _status(f"{base}/readyz") != 200:
            assert time.monotonic() < deadline, f"not ready again after Redis:\n{output()}"
            time.sleep(0.2)
        assert _redis_cli(redis_port, "-n", "0", "LRANGE", "serve-test-queue", "0", "-1") == (
            "message"
        )

        # --- its database away (its connections ended, new ones refused, as in a restart of
        # PostgreSQL): a request that needs it answers a Japanese 503, not a 500; back after ---
        _database(serve_database, "ALLOW_CONNECTIONS false")
        try:
            _end_connections(serve_database)
            status, body, headers = _get(
                f"{base}/api/v1/applications/forms/",
                headers={"Authorization": "Token " + "0" * 40},  # looked up in the database
            )
            assert status == 503, (status, body[:500])
            assert headers["Retry-After"] == "5"
            assert json.loads(body)["detail"].startswith("ただいまサービスを一時的に利用できません")
            assert _get(f"{base}/readyz")[:2] == (503, '{"status": "unavailable"}')
        finally:
            _database(serve_database, "ALLOW_CONNECTIONS true")
        deadline = time.monotonic() + 30
        while _status(f"{base}/readyz") != 200:
            assert time.monotonic() < deadline, "not ready again after the database came back"
            time.sleep(0.2)

        # --- SIGTERM: every process it started stops ---
        started = _descendants(serve.pid) | started
        serve.send_signal(signal.SIGTERM)
        serve.wait(timeout=STOPPED_WITHIN)
        assert serve.returncode == 143, output()
        time.sleep(0.5)
        left = sorted(p for p in started if _alive(p))
        assert left == [], [Path(f"/proc/{p}/cmdline").read_bytes()[:100] for p in left]
        assert _status(f"{base}/healthz") == 0  # nothing listens any more
        assert "serve: stopped" in (tmp_path / "serve.out").read_text()
    finally:
        if serve.poll() is None:
            serve.kill()
            serve.wait(timeout=10)
        for pid in started:
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)
        if restarted_redis is not None:
            restarted_redis.terminate()
            restarted_redis.wait(timeout=30)
        out.close()
