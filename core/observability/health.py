"""``/healthz`` (the process answers) and ``/readyz`` (PostgreSQL, the broker and the private
storage answer).

Both are answered by :class:`core.observability.middleware.ObservabilityMiddleware` before
any other middleware: no session, no user, no host check, no HTTPS redirect (a load
balancer probes over plain HTTP by address), no database query for ``/healthz``. The body
says only ``ok`` or ``unavailable``: which dependency failed goes to the log, never to the
caller. ``/readyz`` bounds each check (:data:`CHECK_TIMEOUT_SECONDS`), so a probe never
hangs on a dependency that is away.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable

from django.conf import settings
from django.core.files.storage import FileSystemStorage, storages
from django.db import connections
from django.http import HttpResponse, JsonResponse

logger = logging.getLogger("core.health")

CHECK_TIMEOUT_SECONDS = 2


def check_database() -> None:
    """One round trip on the default connection (``SELECT 1``)."""
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def check_broker() -> None:
    """A connection to the Celery broker (Redis: a round trip; filesystem: its folders)."""
    from kombu import Connection

    url = settings.CELERY_BROKER_URL
    if url.startswith("filesystem"):
        folder = settings.CELERY_BROKER_TRANSPORT_OPTIONS.get("data_folder_in", "")
        if not folder or not os.path.isdir(folder):
            raise OSError("broker folder missing")
        return
    options = {
        **settings.CELERY_BROKER_TRANSPORT_OPTIONS,
        "socket_timeout": CHECK_TIMEOUT_SECONDS,
        "socket_connect_timeout": CHECK_TIMEOUT_SECONDS,
    }
    with Connection(url, connect_timeout=CHECK_TIMEOUT_SECONDS, transport_options=options) as conn:
        conn.ensure_connection(
            max_retries=1, interval_start=0, interval_step=0, timeout=CHECK_TIMEOUT_SECONDS
        )
        conn.default_channel  # noqa: B018 - Redis: opening the channel pings the server


def check_storage() -> None:
    """The private storage (attachments, packages) is there and writable."""
    backend = storages["default"]
    if isinstance(backend, FileSystemStorage):
        root = backend.location
        if not (os.path.isdir(root) and os.access(root, os.W_OK | os.X_OK)):
            raise OSError("private storage not writable")
        return
    backend.exists("readyz-probe")  # any other backend: one request that must not fail


CHECKS: dict[str, Callable[[], None]] = {
    "database": check_database,
    "broker": check_broker,
    "storage": check_storage,
}


def _answer(ok: bool) -> HttpResponse:
    response = JsonResponse({"status": "ok" if ok else "unavailable"}, status=200 if ok else 503)
    response["Cache-Control"] = "no-store"
    return response


def healthz() -> HttpResponse:
    return _answer(True)


def readyz() -> HttpResponse:
    failed = []
    for name, check in CHECKS.items():
        started = time.monotonic()
        try:
            check()
        except Exception as error:  # any failure means not ready; the log says which
            failed.append(name)
            logger.warning(
                "readiness check failed: %s (%s, %.0f ms)",
                name,
                type(error).__name__,
                (time.monotonic() - started) * 1000,
            )
    return _answer(not failed)
