"""Memoised cell parsers: the same cell text always gives the same value or error.

Member files repeat a lot (birth dates, dates of acquisition, フリガナ of common names), and
a million rows go through the parsers per import, so a dict look-up replaces most parses.
The memo is bounded (cleared when full) to keep memory flat on any file.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

from eligibility.imports.errors import FieldError

T = TypeVar("T")

#: Distinct cell texts kept per parser before the memo is cleared.
MEMO_LIMIT = 100_000


class _Failed:
    """A remembered FieldError: the message only (a fresh exception is raised each time,
    so tracebacks do not pile up on one shared exception object)."""

    __slots__ = ("message",)

    def __init__(self, message: str) -> None:
        self.message = message


class Memo(Generic[T]):
    def __init__(self, parse: Callable[[str], T], limit: int = MEMO_LIMIT) -> None:
        self._parse = parse
        self._limit = limit
        self._known: dict[str, T | _Failed] = {}

    def __call__(self, text: str) -> T:
        known = self._known.get(text, _MISSING)
        if known is _MISSING:
            try:
                known = self._parse(text)
            except FieldError as exc:
                known = _Failed(exc.message)
            if len(self._known) >= self._limit:
                self._known.clear()
            self._known[text] = known
        if isinstance(known, _Failed):
            raise FieldError(known.message)
        return known  # type: ignore[return-value]


_MISSING: object = object()
