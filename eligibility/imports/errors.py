"""Errors found while importing: per cell (row and column) or for the whole file."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class RowError:
    """One error in one cell. ``line`` is the line number in the file (the header is 1)."""

    line: int | None
    column: str
    value: str
    message: str


class FieldError(ValueError):
    """A cell value that cannot be accepted; ``message`` is Japanese, without the value."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ImportFileError(Exception):
    """The file as a whole cannot be read (encoding, header, broken CSV, truncated)."""

    def __init__(self, message: str, *, line: int | None = None, column: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column

    def as_row_error(self) -> RowError:
        return RowError(line=self.line, column=self.column, value="", message=self.message)
