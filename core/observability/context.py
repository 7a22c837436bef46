"""The request id and the user kind of the work in progress, in a context variable.

Set by :class:`core.observability.middleware.ObservabilityMiddleware` for a web request and
by the Celery ``task_prerun`` signal for a task (the id travels in the task's headers), read
by the log formatter. A request id is an opaque token: never anything about the member.
"""

from __future__ import annotations

import re
import uuid
from contextvars import ContextVar
from dataclasses import dataclass

#: An incoming ``X-Request-ID`` (set by the proxy in front) is kept only when it looks like
#: an id: letters, digits, ``-`` and ``_``, 8–64 characters. Anything else is replaced.
_VALID_ID = re.compile(r"[A-Za-z0-9_-]{8,64}")


@dataclass(frozen=True, slots=True)
class WorkContext:
    request_id: str
    user_kind: str = ""  # member / attorney / staff / anonymous; "" for a task


_current: ContextVar[WorkContext | None] = ContextVar("kyoukai_work_context", default=None)


def new_request_id() -> str:
    return uuid.uuid4().hex


def accept_request_id(value: str | None) -> str:
    """The incoming id if it is a well-formed one, else a new id."""
    if value and _VALID_ID.fullmatch(value):
        return value
    return new_request_id()


def current() -> WorkContext | None:
    return _current.get()


def current_request_id() -> str | None:
    ctx = _current.get()
    return ctx.request_id if ctx else None


def bind(ctx: WorkContext | None):  # -> Token
    return _current.set(ctx)


def reset(token) -> None:
    _current.reset(token)
