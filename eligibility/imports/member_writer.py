"""Set-based writes of members: persons and records created in bulk, changed ones updated.

PostgreSQL: ids are taken from the sequences in one query, then rows go in with COPY
(persons, insured records, dependents), which is what reaches a million rows in about a
minute. Other databases (SQLite): ``bulk_create`` / ``bulk_update``. Both run inside the
caller's transaction, so a failure leaves no half-written batch.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db import connection
from django.utils import timezone

from eligibility.imports.audit import RecordChange, record_changes
from eligibility.imports.sql import is_postgresql
from eligibility.models import EligibilityRecord, Person

if TYPE_CHECKING:
    from eligibility.imports.members import MemberRow

ORM_BATCH = 1000


@dataclass(slots=True, eq=False)
class NewPerson:
    my_number_last4: str
    my_number_hash: str
    mynacard_registered_on: str | None  # ISO date
    id: int | None = None


#: Record columns in COPY: first those the import resolves against the database, then
#: those taken from the file (:func:`record_copy_text`, formatted by the parser). The
#: timestamps are left to the columns' defaults (the server's clock), in persons too.
_RECORD_COLUMNS = (
    "id", "person_id", "employer_id", "insured_record_id",
    "kind", "branch_id", "symbol", "number", "branch_number", "name", "name_kana",
    "birth_date", "sex", "postal_code", "address", "acquired_on", "lost_on",
    "standard_monthly_remuneration", "income_reduction_applied", "certificate_requested",
)  # fmt: skip
#: Rows per write to the COPY stream: the server works on one chunk while the next is
#: joined.
COPY_CHUNK = 1000
NULL = "\\N"
NULL_BYTES = NULL.encode()
_PERSON_COLUMNS = (
    "id", "my_number_last4", "my_number_hash", "mynacard_registered",
    "mynacard_registered_on",
)  # fmt: skip
_UPDATE_FIELDS = [
    "kind", "employer", "name", "name_kana", "birth_date", "sex", "postal_code", "address",
    "acquired_on", "lost_on", "insured_record", "standard_monthly_remuneration",
    "certificate_requested", "updated_at",
]  # fmt: skip


_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy_value(value: Any) -> str:
    """One value in COPY's text format."""
    if value is None:
        return NULL
    if value is True or value is False:
        return "t" if value else "f"
    text = str(value)
    if "\\" in text or "\t" in text or "\n" in text or "\r" in text:
        return text.translate(_ESCAPES)
    return text


def record_copy_text(
    kind: str,
    key: tuple[int, str, str, str],
    name: str,
    name_kana: str,
    birth_date: str,
    sex: str,
    postal_code: str,
    address: str,
    acquired_on: str,
    lost_on: str | None,
    remuneration: int | None,
    certificate_requested: bool,
) -> bytes:
    """The columns of a new record that come from the file alone, as COPY text in UTF-8:
    formatted and encoded where the file is parsed (another process), so the writer only
    joins bytes (which also cross between the processes cheaper than text)."""
    branch_id, symbol, number, branch_number = key
    return "\t".join(
        [
            kind, str(branch_id), symbol, number, branch_number, _copy_value(name),
            _copy_value(name_kana), birth_date, sex, postal_code, _copy_value(address),
            acquired_on, _copy_value(lost_on), _copy_value(remuneration), "f",
            _copy_value(certificate_requested),
        ]
    ).encode()  # fmt: skip


class MemberWriter:
    def __init__(self) -> None:
        self.postgresql = is_postgresql()
        self._sequences: dict[str, str] = {}

    # --- creates ---------------------------------------------------------------------
    def create_persons(self, persons: Sequence[NewPerson]) -> None:
        if not persons:
            return
        if self.postgresql:
            ids = self._next_ids(Person, len(persons))
            lines = []
            for person, pk in zip(persons, ids, strict=True):
                person.id = pk
                registered_on = person.mynacard_registered_on
                # Digits, a hex digest and an ISO date: nothing to escape.
                lines.append(
                    f"{pk}\t{person.my_number_last4}\t{person.my_number_hash}\t"
                    f"{'f' if registered_on is None else 't'}\t{registered_on or NULL}\n".encode()
                )
            self._copy(Person._meta.db_table, _PERSON_COLUMNS, lines)
            return
        objects = Person.objects.bulk_create(
            [
                Person(
                    my_number_last4=p.my_number_last4,
                    my_number_hash=p.my_number_hash,
                    mynacard_registered=p.mynacard_registered_on is not None,
                    mynacard_registered_on=p.mynacard_registered_on,
                )
                for p in persons
            ],
            batch_size=ORM_BATCH,
        )
        for person, obj in zip(persons, objects, strict=True):
            person.id = obj.pk

    def create_records(self, rows: Sequence[MemberRow]) -> None:
        if not rows:
            return
        if self.postgresql:
            ids = self._next_ids(EligibilityRecord, len(rows))
            lines = []
            for row, pk in zip(rows, ids, strict=True):
                row.record_id = pk
                employer = row.employer_id
                insured = row.insured_record_id
                lines.append(
                    b"%d\t%d\t%b\t%b\t%b\n"
                    % (
                        pk,
                        row.person_id,
                        NULL_BYTES if employer is None else b"%d" % employer,
                        NULL_BYTES if insured is None else b"%d" % insured,
                        row.copy_text,
                    )
                )
            self._copy(EligibilityRecord._meta.db_table, _RECORD_COLUMNS, lines)
            return
        objects = EligibilityRecord.objects.bulk_create(
            [self._record(row) for row in rows], batch_size=ORM_BATCH
        )
        for row, obj in zip(rows, objects, strict=True):
            row.record_id = obj.pk

    # --- updates ---------------------------------------------------------------------
    def update(self, rows: Sequence[MemberRow]) -> None:
        if not rows:
            return
        now = timezone.now()
        records = []
        for row in rows:
            record = self._record(row)
            record.pk = row.record_id
            record.updated_at = now
            records.append(record)
        EligibilityRecord.objects.bulk_update(records, _UPDATE_FIELDS, batch_size=ORM_BATCH)
        numbers: list[Person] = []
        registrations: list[Person] = []
        for row in rows:
            if "my_number_last4" in row.changes:
                numbers.append(
                    Person(
                        pk=row.person_id,
                        my_number_last4=row.my_number_last4,
                        my_number_hash=row.my_number_hash,
                        updated_at=now,
                    )
                )
            if "mynacard_registered_on" in row.changes:
                registrations.append(
                    Person(
                        pk=row.person_id,
                        mynacard_registered=True,
                        mynacard_registered_on=row.mynacard_registered_on,
                        updated_at=now,
                    )
                )
        Person.objects.bulk_update(
            numbers, ["my_number_last4", "my_number_hash", "updated_at"], batch_size=ORM_BATCH
        )
        Person.objects.bulk_update(
            registrations,
            ["mynacard_registered", "mynacard_registered_on", "updated_at"],
            batch_size=ORM_BATCH,
        )

    def audit(self, changes: list[RecordChange], *, actor: Any, job_id: int | None) -> None:
        record_changes(changes, actor=actor, job_id=job_id)

    # --- helpers ---------------------------------------------------------------------
    @staticmethod
    def _record(row: MemberRow) -> EligibilityRecord:
        branch_id, symbol, number, branch_number = row.key
        return EligibilityRecord(
            person_id=row.person_id,
            kind=row.kind,
            branch_id=branch_id,
            employer_id=row.employer_id,
            symbol=symbol,
            number=number,
            branch_number=branch_number,
            name=row.name,
            name_kana=row.name_kana,
            birth_date=row.birth_date,
            sex=row.sex,
            postal_code=row.postal_code,
            address=row.address,
            acquired_on=row.acquired_on,
            lost_on=row.lost_on,
            insured_record_id=row.insured_record_id,
            standard_monthly_remuneration=row.remuneration,
            certificate_requested=row.certificate_requested,
        )

    def _next_ids(self, model: Any, count: int) -> list[int]:
        table = model._meta.db_table
        with connection.cursor() as cursor:
            sequence = self._sequences.get(table)
            if sequence is None:
                cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table])
                sequence = self._sequences[table] = cursor.fetchone()[0]
            # The sequence by name: pg_get_serial_sequence() in the select list would be
            # evaluated for every row (8 % of the server's time in an import).
            cursor.execute(
                "SELECT nextval(%s::regclass) FROM generate_series(1, %s)", [sequence, count]
            )
            return [pk for (pk,) in cursor.fetchall()]

    @staticmethod
    def _copy(table: str, columns: Sequence[str], lines: list[bytes]) -> None:
        """COPY the lines (COPY text format in UTF-8, each ending in a newline)."""
        connection.ensure_connection()
        raw = connection.connection
        with raw.cursor() as cursor:
            statement = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
            with cursor.copy(statement) as copy:
                for start in range(0, len(lines), COPY_CHUNK):
                    copy.write(b"".join(lines[start : start + COPY_CHUNK]))
