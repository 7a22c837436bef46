"""gunicorn configuration of the web processes (scripts/serve.sh), from the environment.

GUNICORN_BIND (127.0.0.1:8000), WEB_CONCURRENCY (worker processes: 2 per core + 1),
GUNICORN_THREADS (1), GUNICORN_TIMEOUT (30 s: a request slower than this is killed and the
worker replaced), GUNICORN_GRACEFUL_TIMEOUT (20 s), GUNICORN_MAX_REQUESTS (2000, with jitter:
workers are recycled so no leak grows forever), GUNICORN_BACKLOG (2048).
"""

import multiprocessing
import os


def _int(name: str, default: int) -> int:
    return int(os.environ.get(name) or default)


bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = _int("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1)
threads = _int("GUNICORN_THREADS", 1)
timeout = _int("GUNICORN_TIMEOUT", 30)
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 20)
keepalive = _int("GUNICORN_KEEPALIVE", 5)
max_requests = _int("GUNICORN_MAX_REQUESTS", 2000)
max_requests_jitter = max_requests // 10
backlog = _int("GUNICORN_BACKLOG", 2048)
wsgi_app = "config.wsgi:application"
# The heartbeat file in memory, not on a disk that may stall.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None
# One JSON line per request comes from the application (core.access); no second access log.
accesslog = None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
# Proxies in front are trusted only from the machine itself (the TLS proxy).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")


def child_exit(server, worker) -> None:
    """A worker ended (recycled, killed): its live gauges leave the Prometheus files."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)


def post_worker_init(worker) -> None:
    """Import the broker client before the first /readyz (its first use costs a second)."""
    try:
        from core.observability.health import check_broker

        check_broker()
    except Exception:  # the broker may be away at start: /readyz will say so
        pass
