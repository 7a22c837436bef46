"""The first middleware of every request: probes, request id, access log, metrics, 503s.

- ``/healthz``, ``/readyz`` and ``/metrics`` are answered here, before the host check, the
  HTTPS redirect, the session and the user (see :mod:`.health`, :mod:`.metrics`).
- Every other request gets a request id (a well-formed incoming ``X-Request-ID`` from the
  proxy, else a new one), bound for the log lines and the tasks it enqueues, and returned in
  ``X-Request-ID``. One access line (``core.access``) per request: method, path, URL name,
  status, time, query count, user kind; never the query string, a body or a user's name.
- A request that failed because PostgreSQL, Redis or the broker was away (an
  ``OperationalError`` anywhere in the exception's chain, even one raised by another
  middleware) answers 503 with ``Retry-After`` and a Japanese message, not a 500.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from django.core.signals import got_request_exception
from django.db import connections
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.functional import empty

from core.observability import context, health, metrics

access_log = logging.getLogger("core.access")

PROBES: dict[str, Callable[[HttpRequest], HttpResponse]] = {
    "/healthz": lambda request: health.healthz(),
    "/readyz": lambda request: health.readyz(),
    "/metrics": metrics.metrics_view,
}
REQUEST_ID_HEADER = "X-Request-ID"
RETRY_AFTER_SECONDS = 5
UNAVAILABLE_MESSAGE = (
    "ただいまサービスを一時的に利用できません。入力した内容は保存されていない場合があります。"
    "しばらく（数十秒ほど）待ってから、もう一度お試しください。"
)
_EXCEPTION_ATTR = "_kyoukai_uncaught_exception"


def dependency_of(error: BaseException | None) -> str | None:
    """``database``, ``broker`` or ``cache`` when ``error`` (or its cause) says that this
    dependency was away; ``None`` for any other error (a real 500)."""
    import django.db
    import kombu.exceptions
    import redis.exceptions

    seen = 0
    while error is not None and seen < 10:
        if isinstance(error, django.db.OperationalError | django.db.InterfaceError):
            return "database"
        if isinstance(error, kombu.exceptions.OperationalError):
            return "broker"
        if isinstance(error, redis.exceptions.ConnectionError | redis.exceptions.TimeoutError):
            return "cache"
        error = error.__cause__ or error.__context__
        seen += 1
    return None


def _remember_exception(sender: Any, request: HttpRequest | None = None, **_: Any) -> None:
    if request is not None:
        import sys

        setattr(request, _EXCEPTION_ATTR, sys.exc_info()[1])


got_request_exception.connect(_remember_exception, dispatch_uid="kyoukai-remember-exception")


def unavailable_response(request: HttpRequest) -> HttpResponse:
    if request.path.startswith("/api/"):
        response: HttpResponse = JsonResponse(
            {"detail": UNAVAILABLE_MESSAGE, "errors": {}}, status=503
        )
    else:
        page = (
            '<!doctype html><html lang="ja"><meta charset="utf-8">'
            "<title>一時的に利用できません</title>"
            f"<h1>一時的に利用できません</h1><p>{UNAVAILABLE_MESSAGE}</p></html>"
        )
        response = HttpResponse(page, status=503, content_type="text/html; charset=utf-8")
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response


def _user_kind(request: HttpRequest) -> str:
    """The kind of the signed-in user if the request already resolved it (never a query)."""
    user = request.__dict__.get("user")
    if user is None:
        return ""
    if getattr(user, "_wrapped", None) is empty:  # lazy and never read: not worth a query
        return ""
    if not getattr(user, "is_authenticated", False):
        return "anonymous"
    return getattr(user, "kind", "") or ""


class _QueryCounter:
    __slots__ = ("count",)

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, execute: Callable, sql: str, params: Any, many: bool, ctx: Any) -> Any:
        self.count += 1
        return execute(sql, params, many, ctx)


class ObservabilityMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        probe = PROBES.get(request.path_info.rstrip("/") or "/")
        if probe is not None:
            return probe(request)
        request_id = context.accept_request_id(request.META.get("HTTP_X_REQUEST_ID"))
        token = context.bind(context.WorkContext(request_id=request_id))
        counter = _QueryCounter()
        started = time.perf_counter()
        try:
            with connections["default"].execute_wrapper(counter):
                response = self.get_response(request)
            dependency = dependency_of(request.__dict__.get(_EXCEPTION_ATTR))
            if response.status_code == 500 and dependency is not None:
                metrics.HTTP_UNAVAILABLE.labels(dependency).inc()
                response = unavailable_response(request)
            elapsed = time.perf_counter() - started
            match = getattr(request, "resolver_match", None)
            view = (match.view_name if match else "") or "unmatched"
            status_class = f"{response.status_code // 100}xx"
            metrics.HTTP_LATENCY.labels(view, request.method, status_class).observe(elapsed)
            metrics.HTTP_QUERIES.labels(view).observe(counter.count)
            response[REQUEST_ID_HEADER] = request_id
            context.bind(context.WorkContext(request_id, _user_kind(request)))
            access_log.info(
                "%s %s %s",
                request.method,
                request.path,
                response.status_code,
                extra={
                    "method": request.method,
                    "path": request.path,
                    "view": view,
                    "status": response.status_code,
                    "duration_ms": round(elapsed * 1000, 1),
                    "queries": counter.count,
                },
            )
            return response
        finally:
            context.reset(token)
