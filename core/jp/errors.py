"""The validation error raised by everything under :mod:`core.jp` and the eligibility rules."""

from __future__ import annotations


class JapaneseValueError(ValueError):
    """A value that breaks a Japanese format or rule.

    ``code`` is a short English slug for programs (forms, APIs, tests);
    ``message`` is the Japanese sentence to show to people. ``str(error)`` is the message.
    """

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message

    def __repr__(self) -> str:
        return f"{type(self).__name__}(code={self.code!r}, message={self.message!r})"
