"""JSON-lines logs for the web processes and the Celery workers.

One JSON object per line: ``ts`` (UTC, ISO 8601), ``level``, ``logger``, ``message``,
``request_id`` and ``user_kind`` (from :mod:`core.observability.context`), ``task`` and
``task_id`` inside a task, ``exc`` for a traceback, and the extra fields a caller passes
among :data:`EXTRA_FIELDS`. Nothing else of the record is copied: a log line carries no
personal data beyond what a message says, and messages are already masked (My Numbers) by
``core.log_masking`` when the record is made. ``LOG_FORMAT=json`` (production) selects it.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any

from core.log_masking import mask_record
from core.observability import context

#: Extra record attributes copied to the line when a caller sets them (``extra={...}``).
EXTRA_FIELDS = (
    "method",
    "path",
    "view",
    "status",
    "duration_ms",
    "queries",
    "queue",
    "outcome",
    "wait_ms",
)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        mask_record(record)  # records made before the masking factory was installed
        line: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        ctx = context.current()
        if ctx is not None:
            line["request_id"] = ctx.request_id
            if ctx.user_kind:
                line["user_kind"] = ctx.user_kind
        task = _current_task()
        if task is not None:
            line["task"], line["task_id"] = task
        for name in EXTRA_FIELDS:
            value = record.__dict__.get(name)
            if value is not None:
                line[name] = value
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            line["exc"] = record.exc_text
        return json.dumps(line, ensure_ascii=False, default=str)


def _current_task() -> tuple[str, str] | None:
    try:
        from celery import current_task
    except ImportError:  # pragma: no cover
        return None
    task = current_task
    if not task or not getattr(task.request, "id", None):
        return None
    return task.name, task.request.id


def use_json_on_celery_handlers(logger: logging.Logger, **_: Any) -> None:
    """Celery ``after_setup_logger`` / ``after_setup_task_logger``: the worker's own handlers
    write JSON lines too (a worker replaces the root logger's handlers with its own)."""
    formatter = JsonFormatter()
    for handler in logger.handlers:
        handler.setFormatter(formatter)
