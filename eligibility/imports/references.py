"""The rows a batch of records refers to, checked and locked where the batch is written.

A record's person, employer and insured person's record have no foreign-key constraint in
the database (see ``EligibilityRecord.person``): PostgreSQL would check each inserted row
with a query and a row lock of its own, at the commit, which was 40 % of its work in an
import. The writer does the same check once per batch instead: every row the batch refers
to and did not create itself is selected ``FOR KEY SHARE`` (the lock a foreign-key check
takes), so none can be deleted until the batch is committed, and a missing one stops the
write before anything of the batch is written. Rows created by the same transaction need
no check, and an updated record is checked only for a reference that changed (as
PostgreSQL does).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db import connection, models

from core.errors import Conflict
from eligibility.imports.sql import MAX_PARAMS, chunks
from eligibility.integrity import LABELS
from eligibility.models import EligibilityRecord, Employer, Person

if TYPE_CHECKING:
    from eligibility.imports.members import MemberRow


class ReferenceGone(Conflict):
    """A row the batch refers to was deleted (by someone else) while the file was being
    imported. ``message`` is Japanese, for the job's outcome."""

    code = "reference_gone"

    def __init__(self, what: str, lines: list[int]) -> None:
        shown = "、".join(f"{line}行目" for line in lines[:5])
        more = "ほか" if len(lines) > 5 else ""
        super().__init__(
            f"取込中に、{shown}{more}が参照する{what}が削除されていました。"
            "その行のある取込単位（バッチ）は書き込んでいません。"
        )


@dataclass(frozen=True, slots=True)
class _Target:
    model: type[models.Model]
    what: str  # for the message


PERSON = _Target(Person, LABELS["person"])
EMPLOYER = _Target(Employer, LABELS["employer"])
INSURED_RECORD = _Target(EligibilityRecord, LABELS["insured_record"])


def lock_references(
    creates: Iterable[MemberRow], changed: Iterable[MemberRow], *, new_person_ids: set[int]
) -> None:
    """Lock what ``creates`` (records about to be created; persons already created, with
    ``new_person_ids``) and ``changed`` (records about to be updated) refer to; raise
    :class:`ReferenceGone` if a row is missing. Call it in the writing transaction, before
    the records are written: insured records still without an id are created with them."""
    wanted: dict[_Target, dict[int, list[int]]] = {PERSON: {}, EMPLOYER: {}, INSURED_RECORD: {}}

    def want(target: _Target, pk: int | None, line: int) -> None:
        if pk is not None:
            wanted[target].setdefault(pk, []).append(line)

    for row in creates:
        if row.person_id not in new_person_ids:
            want(PERSON, row.person_id, row.line)
        want(EMPLOYER, row.employer_id, row.line)
        want(INSURED_RECORD, _insured_record_id(row), row.line)
    for row in changed:
        if "employer_id" in row.changes:
            want(EMPLOYER, row.employer_id, row.line)
        if "insured_record_id" in row.changes:
            want(INSURED_RECORD, _insured_record_id(row), row.line)
    for target, lines_by_id in wanted.items():
        if not lines_by_id:
            continue
        missing = set(lines_by_id) - lock_rows(target.model, sorted(lines_by_id))
        if missing:
            lines = sorted(line for pk in missing for line in lines_by_id[pk])
            raise ReferenceGone(target.what, lines)


def _insured_record_id(row: MemberRow) -> int | None:
    """The insured person's record a dependent refers to, if it exists already: one in the
    database or written by an earlier batch (an insured row of this batch that is new has
    no id yet: it is created with the dependents)."""
    if row.insured_row is not None:
        return row.insured_row.record_id
    return row.insured_record_id


def lock_rows(model: type[models.Model], ids: list[int]) -> set[int]:
    """Of ``ids`` (sorted, so that two writers lock in the same order), those that exist,
    locked ``FOR KEY SHARE`` until the transaction ends (PostgreSQL; SQLite has one writer
    at a time and no row locks)."""
    table = model._meta.db_table
    found: set[int] = set()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"SELECT id FROM {table} WHERE id = ANY(string_to_array(%s, ',')::bigint[]) "
                "ORDER BY id FOR KEY SHARE",
                [",".join(map(str, ids))],
            )
            found.update(pk for (pk,) in cursor.fetchall())
            return found
        for part in chunks(ids, MAX_PARAMS):
            placeholders = ", ".join(["%s"] * len(part))
            cursor.execute(f"SELECT id FROM {table} WHERE id IN ({placeholders})", list(part))
            found.update(pk for (pk,) in cursor.fetchall())
    return found
