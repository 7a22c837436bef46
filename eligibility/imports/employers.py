"""Employers (事業所): row validation, matching by (支部, 記号), set-based writes."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone

from core.audit import model_changes
from eligibility.imports import fields
from eligibility.imports.audit import RecordChange, record_changes
from eligibility.imports.batch import BatchOutcome, Counts
from eligibility.imports.branches import BranchIndex
from eligibility.imports.columns import EMPLOYER_COLUMNS
from eligibility.imports.errors import FieldError, RowError
from eligibility.imports.reader import RawRow
from eligibility.imports.sql import select_by_keys
from eligibility.models import Employer

LABEL = {c.key: c.header for c in EMPLOYER_COLUMNS}
KEYS = tuple(c.key for c in EMPLOYER_COLUMNS)
FIELDS = ("name", "name_kana", "postal_code", "address", "phone")
ORM_BATCH = 1000


@dataclass(slots=True, eq=False)
class EmployerRow:
    line: int
    branch_id: int
    symbol: str
    name: str
    name_kana: str
    postal_code: str
    address: str
    phone: str
    pk: int | None = None
    changes: dict[str, list[Any]] = field(default_factory=dict)

    def values(self) -> tuple[str, ...]:
        return (self.name, self.name_kana, self.postal_code, self.address, self.phone)


#: One parsed row: line, the row (None when it has errors), its key (支部, 記号), errors.
Parsed = tuple[int, "EmployerRow | None", "tuple[int, str] | None", list[RowError]]


class EmployerImporter:
    columns = EMPLOYER_COLUMNS

    def __init__(self, *, actor: Any, job_id: int | None) -> None:
        self.branches = BranchIndex.load()
        self.actor = actor
        self.job_id = job_id
        self.start_pass()

    def start_pass(self) -> None:
        self._seen: dict[tuple[int, str], int] = {}

    def parse(
        self, raw: RawRow
    ) -> tuple[EmployerRow | None, tuple[int, str] | None, list[RowError]]:
        v = dict(zip(KEYS, raw.cells, strict=True))
        errors: list[RowError] = []

        def bad(key: str, message: str) -> None:
            errors.append(RowError(raw.line, LABEL[key], v.get(key, ""), message))

        branch_id = None
        symbol = name = kana = postal = address = phone = ""
        try:
            branch_id = self.branches.resolve(v.get("branch", "").strip())
        except FieldError as exc:
            bad("branch", exc.message)
        try:
            symbol = fields.digits(v.get("symbol", ""), min_len=7, max_len=8, label="記号")
        except FieldError as exc:
            bad("symbol", exc.message)
        try:
            name = fields.name(v.get("name", ""), max_length=120, label="事業所名称")
        except FieldError as exc:
            bad("name", exc.message)
        try:
            raw_kana = v.get("name_kana", "").strip()
            kana = fields.katakana(raw_kana, label="カナ") if raw_kana else ""
            if len(kana) > 160:
                raise FieldError("カナは160文字以内で入力してください")
        except FieldError as exc:
            bad("name_kana", exc.message)
        try:
            postal = fields.postal_code(v.get("postal_code", ""), optional=False)
        except FieldError as exc:
            bad("postal_code", exc.message)
        try:
            address = fields.text(
                fields.required(v.get("address", "")), max_length=200, label="所在地"
            )
        except FieldError as exc:
            bad("address", exc.message)
        try:
            phone = fields.phone(v.get("phone", ""))
        except FieldError as exc:
            bad("phone", exc.message)
        key = (branch_id, symbol) if branch_id is not None and symbol else None
        if errors or branch_id is None:
            return None, key, errors
        row = EmployerRow(raw.line, branch_id, symbol, name, kana, postal, address, phone)
        return row, key, []

    def prepare(self, batch: list[RawRow]) -> list[Parsed]:
        out: list[Parsed] = []
        for raw in batch:
            if raw.errors:
                out.append((raw.line, None, None, raw.errors))
            else:
                out.append((raw.line, *self.parse(raw)))
        return out

    def process(self, prepared: list[Parsed], *, write: bool) -> BatchOutcome:
        outcome = BatchOutcome()
        rows: list[EmployerRow] = []
        for line, row, key, errors in prepared:
            if key is not None:
                first = self._seen.get(key)
                if first is not None:
                    errors = [
                        *errors,
                        RowError(
                            line,
                            LABEL["symbol"],
                            key[1],
                            f"支部・記号が{first}行目と重複しています",
                        ),
                    ]
                    row = None
                else:
                    self._seen[key] = line
            outcome.errors.extend(errors)
            if row is not None:
                rows.append(row)
        stored = {
            (branch_id, symbol): (pk, tuple(values))
            for pk, branch_id, symbol, *values in select_by_keys(
                f"SELECT id, branch_id, symbol, {', '.join(FIELDS)} FROM {Employer._meta.db_table}",
                ("branch_id", "symbol"),
                ("bigint", "text"),
                sorted({(row.branch_id, row.symbol) for row in rows}),
            )
        }
        counts = Counts()
        for row in rows:
            found = stored.get((row.branch_id, row.symbol))
            if found is None:
                counts.created += 1
                continue
            row.pk, old = found
            if old == row.values():
                counts.unchanged += 1
                continue
            row.changes = model_changes(
                dict(zip(FIELDS, old, strict=True)), dict(zip(FIELDS, row.values(), strict=True))
            )
            counts.updated += 1
        outcome.counts = counts
        outcome.rows = rows
        if write:
            self.write(rows)
        return outcome

    def write(self, rows: list[EmployerRow]) -> None:
        now = timezone.now()

        def build(row: EmployerRow) -> Employer:
            return Employer(
                pk=row.pk,
                branch_id=row.branch_id,
                symbol=row.symbol,
                name=row.name,
                name_kana=row.name_kana,
                postal_code=row.postal_code,
                address=row.address,
                phone=row.phone,
                updated_at=now,
            )

        Employer.objects.bulk_create(
            [build(row) for row in rows if row.pk is None], batch_size=ORM_BATCH
        )
        changed = [row for row in rows if row.changes]
        Employer.objects.bulk_update(
            [build(row) for row in changed], [*FIELDS, "updated_at"], batch_size=ORM_BATCH
        )
        record_changes(
            [
                RecordChange(Employer._meta.label_lower, row.pk, row.branch_id, row.changes)
                for row in changed
                if row.pk is not None
            ],
            actor=self.actor,
            job_id=self.job_id,
        )
