"""The error raised when what a member entered does not fit a form (or a bank account)."""

from __future__ import annotations

from core.errors import INVALID_INPUT_MESSAGE, ServiceError


class FormDataError(ServiceError, ValueError):
    """Invalid input, field by field.

    ``errors`` maps a field name (or attachment code) to one or more Japanese messages that
    tell the member what to correct. ``str(error)`` lists them all, one per line.
    """

    code = "invalid"
    status = 400

    def __init__(self, errors: dict[str, list[str]]) -> None:
        if not errors:
            raise ValueError("FormDataError needs at least one error")
        copied = {name: list(messages) for name, messages in errors.items()}
        super().__init__(INVALID_INPUT_MESSAGE, field_errors=copied)

    @property
    def errors(self) -> dict[str, list[str]]:
        return self.field_errors

    def __str__(self) -> str:
        return "\n".join(f"{name}: {m}" for name, ms in self.field_errors.items() for m in ms)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.errors!r})"
