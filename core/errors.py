"""The project's one error type for services: a code, a Japanese message and an HTTP status.

Services raise `ServiceError` (or a subclass that fixes `code` and `status`); the API maps it
once in `core.api.errors.exception_handler`, and the admin once through
`core.errors.admin_message` (a message on the page, never a 500). A subclass sets only class
attributes: it never stores its own message field.

    raise ServiceError("この申請はすでに審査完了です。", code="transition", status=409)
    raise NotAllowed("この申請を扱う権限がありません。")
"""

from __future__ import annotations

from typing import Any, ClassVar

#: The message of an error whose details are per field (``field_errors``).
INVALID_INPUT_MESSAGE = "入力内容に誤りがあります。各項目のメッセージを確認してください。"


class ServiceError(Exception):
    """A service refused an action; ``message`` is Japanese and tells the person what to do."""

    code: ClassVar[str] = "error"
    status: ClassVar[int] = 400

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        status: int | None = None,
        field_errors: dict[str, list[str]] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code  # type: ignore[misc]
        if status is not None:
            self.status = status  # type: ignore[misc]
        self.field_errors: dict[str, list[str]] = field_errors or {}

    def headers(self) -> dict[str, str]:
        """HTTP headers the API adds to the answer (e.g. ``Retry-After``); none by default."""
        return {}

    def as_body(self) -> dict[str, Any]:
        """The API's error body (see core.api.errors)."""
        return {"detail": self.message, "code": self.code, "errors": self.field_errors}


class NotAllowed(ServiceError):
    """The actor may not do this (another branch, another member, no permission)."""

    code = "not_allowed"
    status = 403


class NotFound(ServiceError):
    """The object is not in the actor's scope; says nothing about whether it exists."""

    code = "not_found"
    status = 404


class Conflict(ServiceError):
    """The object changed under the actor, or the action was already done."""

    code = "conflict"
    status = 409


class Unavailable(ServiceError):
    """The service is closed or a dependency is down; try again later."""

    code = "unavailable"
    status = 503


def admin_message(request: Any, error: ServiceError) -> None:
    """Show a service's refusal on the admin page, as an error message (with the messages
    of its fields, when it has any)."""
    from django.contrib import messages

    messages.error(request, error.message)
    for field_messages in error.field_errors.values():
        for text in field_messages:
            if text != error.message:
                messages.error(request, text)
