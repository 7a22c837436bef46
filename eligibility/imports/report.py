"""The error report: a CSV in UTF-8 with BOM (Excel opens it) with 行, 列, 値, エラー内容.

No cell of it carries a My Number in full: the 個人番号 column keeps at most its last four
digits, and every other value and message goes through
:func:`core.personal_ids.mask_my_numbers` (a number typed in the wrong column, or echoed
in a message). Only errors pass here: the rows without error cost nothing.
"""

from __future__ import annotations

import csv
import functools
import tempfile
from pathlib import Path

from core.personal_ids import mask_my_numbers
from eligibility.imports.errors import RowError

HEADER = ("行", "列", "値", "エラー内容")
#: Columns whose values are never written in full (the My Number).
MASKED_COLUMNS = frozenset({"個人番号"})
#: Cells longer than this are shortened in the report.
MAX_VALUE_LENGTH = 100


def mask_my_number(value: str) -> str:
    """At most the last four digits of what was given, never more."""
    digits = "".join(c for c in value if c.isdigit())
    return f"********{digits[-4:]}" if len(digits) >= 8 else "****"


@functools.lru_cache(maxsize=256)
def _masked_message(message: str) -> str:
    """Messages come from a few templates, repeated on many rows: masked once each."""
    return mask_my_numbers(message)


class ErrorReport:
    """Collects errors into a temporary CSV file; counts errors and rows with errors."""

    def __init__(self) -> None:
        self._file = tempfile.NamedTemporaryFile(  # noqa: SIM115 (closed in close())
            mode="w", encoding="utf-8-sig", newline="", suffix=".csv", delete=False
        )
        self._writer = csv.writer(self._file)
        self._writer.writerow(HEADER)
        self.error_count = 0
        self._rows: set[int | None] = set()
        self.first_messages: list[str] = []

    @property
    def path(self) -> Path:
        return Path(self._file.name)

    @property
    def error_rows(self) -> int:
        return len(self._rows)

    def add(self, error: RowError) -> None:
        value = error.value
        if error.column in MASKED_COLUMNS and value:
            value = mask_my_number(value)
        else:
            value = mask_my_numbers(value)
            if len(value) > MAX_VALUE_LENGTH:
                value = value[:MAX_VALUE_LENGTH] + "…"
        column, message = mask_my_numbers(error.column), _masked_message(error.message)
        line = "" if error.line is None else error.line
        self._writer.writerow((line, column, value, message))
        self.error_count += 1
        self._rows.add(error.line)
        if len(self.first_messages) < 5:
            where = f"{error.line}行目 " if error.line else ""
            label = f"「{column}」" if column else ""
            self.first_messages.append(f"{where}{label}{message}")

    def extend(self, errors: list[RowError]) -> None:
        for error in errors:
            self.add(error)

    def close(self) -> None:
        if not self._file.closed:
            self._file.close()

    def discard(self) -> None:
        self.close()
        self.path.unlink(missing_ok=True)
