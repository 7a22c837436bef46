"""Memoised cell parsers: the same cell text always gives the same value.

Member files repeat a lot (birth dates, dates of acquisition, フリガナ of common names), and
a million rows go through the parsers per import, so a dict look-up replaces most parses.
A :class:`Memo` is a dict: ``memo[text]`` is a look-up in C when the text was seen, and
parses it (:meth:`__missing__`) when not. A text that fails to parse is not remembered:
its FieldError is raised each time (errors are rare, values are not). The memo is bounded
(cleared when full) to keep memory flat on any file.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")

#: Distinct cell texts kept per parser before the memo is cleared.
MEMO_LIMIT = 100_000


class Memo(dict[str, T]):
    def __init__(self, parse: Callable[[str], T], limit: int = MEMO_LIMIT) -> None:
        super().__init__()
        self._parse = parse
        self._limit = limit

    def __missing__(self, text: str) -> T:
        value = self._parse(text)  # a FieldError goes to the caller, unremembered
        if len(self) >= self._limit:
            self.clear()
        self[text] = value
        return value
