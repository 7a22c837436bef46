"""The error raised when what a member entered does not fit a form (or a bank account)."""

from __future__ import annotations


class FormDataError(ValueError):
    """Invalid input, field by field.

    ``errors`` maps a field name (or attachment code) to one or more Japanese messages that
    tell the member what to correct. ``str(error)`` lists them all, one per line.
    """

    def __init__(self, errors: dict[str, list[str]]) -> None:
        if not errors:
            raise ValueError("FormDataError needs at least one error")
        self.errors = {name: list(messages) for name, messages in errors.items()}
        lines = [f"{name}: {message}" for name, ms in self.errors.items() for message in ms]
        super().__init__("\n".join(lines))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.errors!r})"
