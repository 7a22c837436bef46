"""What every importer shares: the outcome of one batch and the per-file state."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from eligibility.imports.columns import Column
from eligibility.imports.errors import RowError
from eligibility.imports.reader import RawRow


@dataclass
class Counts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0

    def add(self, other: Counts) -> None:
        self.created += other.created
        self.updated += other.updated
        self.unchanged += other.unchanged


@dataclass
class BatchOutcome:
    counts: Counts = field(default_factory=Counts)
    errors: list[RowError] = field(default_factory=list)
    #: The checked rows to write (new, changed and unchanged), for :meth:`Importer.write`.
    rows: list[Any] = field(default_factory=list)


class Importer(Protocol):
    """Validates (and, when ``write``, writes) one batch of rows at a time, in file order."""

    columns: tuple[Column, ...]

    def start_pass(self) -> None:
        """Forget what earlier rows of the file taught (duplicates, insured persons)."""

    def prepare(self, batch: list[RawRow]) -> list[Any]:
        """Row-by-row checks only: no database, no per-file state (runs in another process
        or thread). What it returns is pickled to the importing process: plain tuples of
        str, int and None where there are many rows (they pickle in C)."""
        ...

    def process(self, prepared: list[Any], *, write: bool) -> BatchOutcome:
        """Checks against the file so far and the database; writes when ``write``.
        Without ``write`` the batch can still be written later by :meth:`write`, before the
        next batch is written, even once the next batch has been checked."""
        ...

    def write(self, rows: list[Any]) -> None:
        """Write the rows of a checked batch (``BatchOutcome.rows``), in the caller's
        transaction."""
        ...


def error(line: int, column: str, value: Any, message: str) -> RowError:
    return RowError(
        line=line, column=column, value="" if value is None else str(value), message=message
    )
