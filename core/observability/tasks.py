"""Celery signals: the request id follows a request into its tasks; task outcomes, run time
and queue wait become metrics; the worker's log lines carry the task's request id.

Publishing (web process or a task enqueuing another): the current request id and the
publish time go into the message headers (``request_id``, ``published_at``). Running (worker
child): ``task_prerun`` binds that request id for the task's log lines and observes the
queue wait; ``task_postrun`` the run time; success, failure, retry and rejection count as the
task's outcome. :func:`connect` is called once per process (``core.apps``).
"""

from __future__ import annotations

import logging
import time
from typing import Any

from celery import signals

from core.observability import context, logs, metrics

logger = logging.getLogger("core.tasks")

_running: dict[str, tuple[Any, float]] = {}  # task id -> (context token, start)


def add_headers(headers: dict | None = None, **_: Any) -> None:
    if headers is None:
        return
    headers.setdefault("request_id", context.current_request_id() or context.new_request_id())
    headers.setdefault("published_at", time.time())


def _queue(task: Any) -> str:
    info = getattr(task.request, "delivery_info", None) or {}
    return str(info.get("routing_key") or info.get("queue") or "unknown")


def task_started(task_id: str | None = None, task: Any = None, **_: Any) -> None:
    if task is None or task_id is None:
        return
    request_id = getattr(task.request, "request_id", None)
    token = context.bind(context.WorkContext(request_id=context.accept_request_id(request_id)))
    _running[task_id] = (token, time.perf_counter())
    published_at = getattr(task.request, "published_at", None)
    if isinstance(published_at, int | float) and not task.request.is_eager:
        metrics.QUEUE_WAIT.labels(_queue(task)).observe(max(0.0, time.time() - published_at))


def task_finished(task_id: str | None = None, task: Any = None, **_: Any) -> None:
    entry = _running.pop(task_id or "", None)
    if entry is None:
        return
    token, started = entry
    if task is not None:
        metrics.TASK_DURATION.labels(task.name).observe(time.perf_counter() - started)
    try:
        context.reset(token)
    except ValueError:  # bound in another context (thread pools): nothing to restore
        context.bind(None)


def _outcome(outcome: str) -> Any:
    def receiver(sender: Any = None, **kwargs: Any) -> None:
        name = getattr(sender, "name", None)
        if name is None:  # task_rejected / task_revoked: the request or message names it
            request = kwargs.get("request")
            name = getattr(request, "name", None) or getattr(request, "task", None)
            message = kwargs.get("message")
            if name is None and message is not None:
                name = (getattr(message, "headers", None) or {}).get("task")
        metrics.TASKS.labels(str(name or "unknown"), outcome).inc()

    return receiver


_on_success = _outcome("succeeded")
_on_failure = _outcome("failed")
_on_retry = _outcome("retried")
_on_revoked = _outcome("revoked")
_on_rejected = _outcome("rejected")


def connect() -> None:
    signals.before_task_publish.connect(add_headers, dispatch_uid="kyoukai-request-id")
    signals.task_prerun.connect(task_started, dispatch_uid="kyoukai-task-started")
    signals.task_postrun.connect(task_finished, dispatch_uid="kyoukai-task-finished")
    signals.task_success.connect(_on_success, dispatch_uid="kyoukai-task-success")
    signals.task_failure.connect(_on_failure, dispatch_uid="kyoukai-task-failure")
    signals.task_retry.connect(_on_retry, dispatch_uid="kyoukai-task-retry")
    signals.task_revoked.connect(_on_revoked, dispatch_uid="kyoukai-task-revoked")
    signals.task_rejected.connect(_on_rejected, dispatch_uid="kyoukai-task-rejected")
    signals.after_setup_logger.connect(_json_logs, dispatch_uid="kyoukai-json-logs")
    signals.after_setup_task_logger.connect(_json_logs, dispatch_uid="kyoukai-json-task-logs")


def _json_logs(logger: logging.Logger | None = None, **kwargs: Any) -> None:
    from django.conf import settings

    if logger is not None and getattr(settings, "LOG_FORMAT", "plain") == "json":
        logs.use_json_on_celery_handlers(logger)
