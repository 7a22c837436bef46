"""Members (加入者): row validation, matching with what is stored, and the plan of writes.

One batch goes through three steps:

1. each row alone (formats, dates, kana, check digits, branch, kind against 枝番);
2. against the file so far (a duplicate 記号・番号・枝番; a dependent's insured person);
3. against the database, one query per kind of lookup and batch (employers, existing
   records by (支部, 記号, 番号, 枝番) with their persons, persons by My Number hash).

Then each good row is new, changed or unchanged; when writing, the batch goes to the
set-based writer (:mod:`.member_writer`) and each changed record gets an audit event.

Dates travel as ISO texts (``YYYY-MM-DD``) from the parser to the database: they order
like dates, pickle and go into COPY several times cheaper than ``date`` objects (which
cost about 6 µs a row between the processes and 1.3 µs each in COPY), and the ORM and
PostgreSQL accept them as they are.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from operator import itemgetter
from typing import Any

from core.audit import model_changes
from core.personal_ids import keyed_hash
from eligibility.imports import fields
from eligibility.imports.audit import RecordChange
from eligibility.imports.batch import BatchOutcome, Counts
from eligibility.imports.branches import BranchIndex
from eligibility.imports.columns import MEMBER_COLUMNS
from eligibility.imports.errors import FieldError, RowError
from eligibility.imports.member_writer import MemberWriter, NewPerson, record_copy_text
from eligibility.imports.memo import Memo
from eligibility.imports.reader import RawRow
from eligibility.imports.references import lock_references
from eligibility.imports.sql import select_by_keys
from eligibility.models import EligibilityRecord, Employer, Person

Kind = EligibilityRecord.Kind
LABEL = {c.key: c.header for c in MEMBER_COLUMNS}
KEYS = tuple(c.key for c in MEMBER_COLUMNS)
KEY_LABEL = "記号・番号・枝番"

#: Plain str values, not the enum members: a member pickles as a call to the enum, which
#: made unpickling a batch in the importing process twice as slow.
KIND_VALUES: dict[str, str] = {
    "被保険者": Kind.INSURED.value,
    "1": Kind.INSURED.value,
    "被扶養者": Kind.DEPENDENT.value,
    "2": Kind.DEPENDENT.value,
    "任意継続被保険者": Kind.VOLUNTARY.value,
    "任意継続": Kind.VOLUNTARY.value,
    "3": Kind.VOLUNTARY.value,
}
SEX_VALUES = {"1": "1", "男": "1", "男性": "1", "2": "2", "女": "2", "女性": "2"}

#: Record fields compared and written, in this order (the same order as MemberRow.values()).
RECORD_FIELDS = (
    "kind",
    "employer_id",
    "name",
    "name_kana",
    "birth_date",
    "sex",
    "postal_code",
    "address",
    "acquired_on",
    "lost_on",
    "insured_record_id",
    "standard_monthly_remuneration",
    "certificate_requested",
)
INSURED_BRANCH_NUMBER = "00"

Key = tuple[int, str, str, str]
#: A date as its ISO text, YYYY-MM-DD.
IsoDate = str


@dataclass(slots=True, eq=False)
class MemberRow:
    line: int
    key: Key
    kind: str
    name: str
    name_kana: str
    birth_date: IsoDate
    sex: str
    postal_code: str
    address: str
    acquired_on: IsoDate
    lost_on: IsoDate | None
    remuneration: int | None
    my_number_last4: str
    my_number_hash: str
    mynacard_registered_on: IsoDate | None
    certificate_requested: bool
    #: The columns from the file as COPY text in UTF-8 (PostgreSQL; b"" elsewhere): see
    #: member_writer.record_copy_text.
    copy_text: bytes
    employer_id: int | None = None
    record_id: int | None = None
    person_id: int | None = None
    new_person: NewPerson | None = None
    insured_record_id: int | None = None
    insured_row: MemberRow | None = None
    changes: dict[str, list[Any]] = field(default_factory=dict)

    @property
    def branch_id(self) -> int:
        return self.key[0]

    def values(self) -> tuple[Any, ...]:
        return (
            self.kind,
            self.employer_id,
            self.name,
            self.name_kana,
            self.birth_date,
            self.sex,
            self.postal_code,
            self.address,
            self.acquired_on,
            self.lost_on,
            self.insured_record_id,
            self.remuneration,
            self.certificate_requested,
        )


@dataclass(slots=True)
class Stored:
    """An existing record and its person, as read in one batch query."""

    record_id: int
    person_id: int
    values: tuple[Any, ...]
    my_number_last4: str
    my_number_hash: str
    mynacard_registered: bool
    mynacard_registered_on: IsoDate | None

    @property
    def kind(self) -> str:
        return self.values[_KIND]

    @property
    def employer_id(self) -> int | None:
        return self.values[_EMPLOYER_ID]


def _kana(value: str) -> str:
    kana = fields.katakana(value, label="フリガナ")
    if len(kana) > 80:
        raise FieldError("フリガナは80文字以内で入力してください")
    return kana


def _iso(value: Any) -> IsoDate | None:
    """A stored date (a ``date``, or text on some databases) as its ISO text."""
    if value is None:
        return None
    if isinstance(value, date):
        return value.isoformat()
    return str(value)[:10]


def _iso_date(text: str) -> IsoDate:
    return fields.parse_date(fields.required(text)).isoformat()


def _optional_iso_date(text: str) -> IsoDate | None:
    value = fields.optional_date(text)
    return None if value is None else value.isoformat()


#: The positions of RECORD_FIELDS in MemberRow.values() and Stored.values, by name.
_RECORD_POSITION = {name: index for index, name in enumerate(RECORD_FIELDS)}
_KIND = _RECORD_POSITION["kind"]
_EMPLOYER_ID = _RECORD_POSITION["employer_id"]
#: The stored values read as dates (made ISO texts) and as a flag (made bool).
_STORED_DATES = tuple(_RECORD_POSITION[n] for n in ("birth_date", "acquired_on", "lost_on"))
_STORED_FLAG = _RECORD_POSITION["certificate_requested"]

#: MemberRow's init fields without defaults, in declaration order (copy_text last): a parsed
#: row (:data:`RowFields`) is a plain tuple of these, in this order (a tuple pickles and
#: unpickles in C; MemberRow(*row) builds the row). Positions are read from these names.
ROW_FIELDS: tuple[str, ...] = tuple(
    f.name
    for f in dataclasses.fields(MemberRow)
    if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
)
_ROW_POSITION = {name: index for index, name in enumerate(ROW_FIELDS)}
_ROW_KEY = _ROW_POSITION["key"]
#: The arguments of member_writer.record_copy_text, taken from a parsed row by name.
_COPY_ARGUMENTS = itemgetter(
    *(
        _ROW_POSITION[name]
        for name in (
            "kind", "key", "name", "name_kana", "birth_date", "sex", "postal_code", "address",
            "acquired_on", "lost_on", "remuneration", "certificate_requested",
        )
    )
)  # fmt: skip
RowFields = tuple[Any, ...]
#: One parsed row: line, its fields (None when it has errors), its key, compact key, errors.
Parsed = tuple[int, "RowFields | None", "Key | None", int, list[RowError]]


class _NotClean(Exception):
    """Raised by the fast path of MemberImporter.parse: let the careful path decide."""


class MemberImporter:
    columns = MEMBER_COLUMNS

    def __init__(self, *, actor: Any, job_id: int | None, today: date | None = None) -> None:
        self.branches = BranchIndex.load()
        self.actor = actor
        self.job_id = job_id
        self.today = (today or date.today()).isoformat()
        self.writer = MemberWriter()
        # Cell parsers memoised by cell text (see .memo): dates and kana repeat a lot.
        self._required_date = Memo(_iso_date)
        self._optional_date = Memo(_optional_iso_date)
        self._kana = Memo(_kana)
        self._employers: dict[tuple[int, str], int | None] = {}
        self.start_pass()

    def start_pass(self) -> None:
        # Compact key → line of its first row; negative for a good insured row (枝番 00),
        # which its dependents further down may refer to.
        self._seen: dict[int, int] = {}
        # The previous batch's insured rows and new persons: that batch may still be being
        # written (see service.BatchWriter) when this one is checked, so the database may
        # not show them yet.
        self._previous_insured: dict[Key, MemberRow] = {}
        self._previous_new_persons: dict[str, NewPerson] = {}

    def _compact(self, key: Key) -> int:
        """The key as one int (a dict of a million ints is far smaller than one of tuples):
        branch code, then 記号 and 番号 each with its length (so "012" and "12" differ),
        then 枝番. Digits only, so int() reads each part."""
        branch_id, symbol, number, branch_number = key
        code = self.branches.code_of[branch_id]
        return (
            (((code * 10 + len(symbol)) * 10**8 + int(symbol)) * 10 + len(number)) * 10**8
            + int(number)
        ) * 100 + int(branch_number)

    # --- step 1: one row alone -----------------------------------------------------------
    def parse(self, raw: RawRow) -> tuple[RowFields | None, Key | None, list[RowError]]:
        """The row's fields (see :data:`RowFields`) and key, or the errors of its cells.

        A clean row (almost every row of a real file) goes through :meth:`_parse_clean`,
        straight-line code that stops at the first doubt; anything else is parsed again by
        :meth:`_parse_checked`, which names every error. Both call the same cell parsers,
        so a row either gets the same result from both or is left to the second.
        """
        try:
            row = self._parse_clean(raw.line, raw.cells)
        except (FieldError, KeyError, _NotClean):
            return self._parse_checked(raw)
        return row, row[_ROW_KEY], []

    def _parse_clean(self, line: int, cells: tuple[str, ...]) -> RowFields:
        (
            branch, symbol, number, branch_number, kind, name, name_kana, birth, sex, postal,
            address, acquired, lost, remuneration, my_number, registered_on, requested,
        ) = cells  # fmt: skip
        key = (
            self.branches.resolve(branch.strip()),
            fields.digits(symbol, min_len=7, max_len=8, label="記号"),
            fields.digits(number, min_len=1, max_len=8, label="番号"),
            fields.branch_number(branch_number),
        )
        kind = KIND_VALUES[kind]
        if (kind == Kind.DEPENDENT) == (key[3] == INSURED_BRANCH_NUMBER):
            raise _NotClean
        birth = self._required_date[birth]
        acquired = self._required_date[acquired]
        lost = self._optional_date[lost]
        registered_on = self._optional_date[registered_on]
        if (
            birth > self.today
            or birth > acquired
            or (lost is not None and lost <= acquired)
            or (registered_on is not None and registered_on > self.today)
        ):
            raise _NotClean
        remuneration = fields.yen(remuneration, label="標準報酬月額")
        if remuneration is not None and kind == Kind.DEPENDENT:
            raise _NotClean
        number12 = fields.my_number(my_number)  # the full number lives only in this frame
        return (
            line,
            key,
            kind,
            fields.name(name, max_length=60, label="氏名"),
            self._kana[name_kana],
            birth,
            SEX_VALUES[sex],
            fields.postal_code(postal, optional=True),
            fields.text(address, max_length=200, label="住所"),
            acquired,
            lost,
            remuneration,
            "" if number12 is None else number12[-4:],
            "" if number12 is None else keyed_hash(number12),
            registered_on,
            fields.flag(requested, label="資格確認書交付希望"),
        )

    def _parse_checked(self, raw: RawRow) -> tuple[RowFields | None, Key | None, list[RowError]]:
        """Every cell checked on its own, every error recorded against its cell."""
        v = dict(zip(KEYS, raw.cells, strict=True))
        line = raw.line
        errors: list[RowError] = []

        def bad(key: str, message: str) -> None:
            errors.append(RowError(line, LABEL[key], v[key], message))

        def take(key: str, parse: Callable[[str], Any], default: Any = None) -> Any:
            """The cell parsed, or `default` with the error recorded against the cell."""
            try:
                return parse(v[key])
            except FieldError as exc:
                bad(key, exc.message)
                return default

        def not_future(parse: Callable[[str], IsoDate | None], what: str) -> Callable[[str], Any]:
            def parse_not_future(text: str) -> IsoDate | None:
                value = parse(text)
                if value is not None and value > self.today:
                    raise FieldError(f"{what}が未来の日付です")
                return value

            return parse_not_future

        def remuneration_of(text: str) -> int | None:
            value = fields.yen(text, label="標準報酬月額")
            if value is not None and kind == Kind.DEPENDENT:
                raise FieldError("被扶養者には標準報酬月額を入力できません")
            return value

        def protected_my_number(text: str) -> tuple[str, str]:
            number = fields.my_number(text)  # the full number lives only in this frame
            return ("", "") if number is None else (number[-4:], keyed_hash(number))

        branch_id = take("branch", lambda text: self.branches.resolve(text.strip()))
        symbol = take("symbol", lambda t: fields.digits(t, min_len=7, max_len=8, label="記号"))
        number = take("number", lambda t: fields.digits(t, min_len=1, max_len=8, label="番号"))
        branch_number = take("branch_number", fields.branch_number)
        kind = KIND_VALUES.get(v["kind"]) or KIND_VALUES.get(fields.normalize_digits(v["kind"]))
        if kind is None:
            bad(
                "kind",
                "資格区分は「被保険者」「被扶養者」「任意継続被保険者」（または1～3）で"
                "入力してください",
            )
        elif branch_number is not None:
            if kind == Kind.DEPENDENT and branch_number == INSURED_BRANCH_NUMBER:
                bad("branch_number", "被扶養者の枝番は01以上です（00は被保険者）")
            elif kind != Kind.DEPENDENT and branch_number != INSURED_BRANCH_NUMBER:
                bad("branch_number", "被保険者・任意継続被保険者の枝番は00です")
        name = take("name", lambda t: fields.name(t, max_length=60, label="氏名"), "")
        name_kana = take("name_kana", self._kana.__getitem__, "")
        birth = take("birth_date", not_future(self._required_date.__getitem__, "生年月日"))
        sex = SEX_VALUES.get(v["sex"]) or SEX_VALUES.get(fields.normalize_digits(v["sex"]), "")
        if not sex:
            bad("sex", "性別は「1」（男）または「2」（女）で入力してください")
        postal = take("postal_code", lambda t: fields.postal_code(t, optional=True), "")
        address = take("address", lambda t: fields.text(t, max_length=200, label="住所"), "")
        acquired = take("acquired_on", self._required_date.__getitem__)
        lost = take("lost_on", self._optional_date.__getitem__)
        if birth and acquired and birth > acquired:
            bad("birth_date", "生年月日が資格取得年月日より後です")
        if acquired and lost and lost <= acquired:
            bad("lost_on", "資格喪失年月日は資格取得年月日より後の日付にしてください")
        remuneration = take("remuneration", remuneration_of)
        last4, digest = take("my_number", protected_my_number, ("", ""))
        registered_on = take(
            "mynacard_registered_on",
            not_future(self._optional_date.__getitem__, "マイナ保険証利用登録日"),
        )
        requested = take(
            "certificate_requested", lambda t: fields.flag(t, label="資格確認書交付希望"), False
        )

        key: Key | None = None
        if branch_id is not None and symbol and number and branch_number:
            key = (branch_id, symbol, number, branch_number)
        if errors or key is None:
            return None, key, errors
        assert kind is not None and birth is not None and acquired is not None
        row = (
            line, key, kind, name, name_kana, birth, sex, postal, address, acquired, lost,
            remuneration, last4, digest, registered_on, requested,
        )  # fmt: skip
        return row, key, errors

    def prepare(self, batch: list[RawRow]) -> list[Parsed]:
        """Step 1 for a batch. Touches no database and no per-file state, so it may run in
        another process or thread while the previous batch is written. The rows come out
        as plain tuples (:data:`RowFields`): they pickle and unpickle in C."""
        out: list[Parsed] = []
        compact = self._compact
        copy = self.writer.postgresql
        for raw in batch:
            if raw.errors:
                out.append((raw.line, None, None, 0, raw.errors))
                continue
            row, key, errors = self.parse(raw)
            if row is not None:
                row = (*row, self._copy_text(row) if copy else b"")
            out.append((raw.line, row, key, 0 if key is None else compact(key), errors))
        return out

    @staticmethod
    def _copy_text(row: RowFields) -> bytes:
        return record_copy_text(*_COPY_ARGUMENTS(row))

    # --- steps 2 and 3 -------------------------------------------------------------------
    def process(self, prepared: list[Parsed], *, write: bool) -> BatchOutcome:
        outcome = BatchOutcome()
        rows: list[MemberRow] = []
        compact_of: dict[int, int] = {}  # id(row) → compact key
        seen = self._seen
        for line, values, key, compact, errors in prepared:
            if key is not None:
                first = seen.get(compact)
                if first is not None:
                    errors.append(
                        RowError(
                            line,
                            KEY_LABEL,
                            "・".join(key[1:]),
                            f"記号・番号・枝番が{abs(first)}行目と重複しています",
                        )
                    )
                    values = None
                else:
                    seen[compact] = line
            if errors:
                outcome.errors.extend(errors)
            if values is not None:
                row = MemberRow(*values)
                compact_of[id(row)] = compact
                rows.append(row)
        if not rows:
            return outcome

        stored = self._stored(rows)
        employers = self._employer_ids(rows)
        persons = self._persons_by_hash(rows)
        good: list[MemberRow] = []
        batch_insured: dict[Key, MemberRow] = dict(self._previous_insured)
        new_by_hash: dict[str, NewPerson] = dict(self._previous_new_persons)
        for row in rows:
            errors = self._resolve(row, stored, employers, persons, batch_insured, new_by_hash)
            if errors:
                outcome.errors.extend(errors)
                continue
            good.append(row)
            if row.key[3] == INSURED_BRANCH_NUMBER:
                batch_insured[row.key] = row
                compact = compact_of[id(row)]
                self._seen[compact] = -abs(self._seen[compact])
        outcome.counts = self._classify(good, stored)
        outcome.rows = good
        self._previous_insured = {
            row.key: row for row in good if row.key[3] == INSURED_BRANCH_NUMBER
        }
        self._previous_new_persons = {
            row.my_number_hash: row.new_person
            for row in good
            if row.new_person is not None and row.my_number_hash
        }
        if write:
            self.write(good)
        return outcome

    def _stored(self, rows: list[MemberRow]) -> dict[Key, Stored]:
        keys: set[Key] = set()
        for row in rows:
            keys.add(row.key)
            if row.kind == Kind.DEPENDENT:
                keys.add((*row.key[:3], INSURED_BRANCH_NUMBER))
        record = EligibilityRecord._meta.db_table
        person = Person._meta.db_table
        columns = ", ".join(f"r.{name}" for name in RECORD_FIELDS)
        select = (
            f"SELECT r.id, r.person_id, r.branch_id, r.symbol, r.number, r.branch_number, "
            f"{columns}, p.my_number_last4, p.my_number_hash, p.mynacard_registered, "
            f"p.mynacard_registered_on FROM {record} r JOIN {person} p ON p.id = r.person_id"
        )
        found: dict[Key, Stored] = {}
        width = len(RECORD_FIELDS)
        for item in select_by_keys(
            select,
            ("r.branch_id", "r.symbol", "r.number", "r.branch_number"),
            ("bigint", "text", "text", "text"),
            list(keys),  # in file order: sorting them cost more than it saved the server
        ):
            values = list(item[6 : 6 + width])
            for index in _STORED_DATES:
                values[index] = _iso(values[index])
            values[_STORED_FLAG] = bool(values[_STORED_FLAG])
            tail = item[6 + width :]
            found[(item[2], item[3], item[4], item[5])] = Stored(
                record_id=item[0],
                person_id=item[1],
                values=tuple(values),
                my_number_last4=tail[0],
                my_number_hash=tail[1],
                mynacard_registered=bool(tail[2]),
                mynacard_registered_on=_iso(tail[3]),
            )
        return found

    def _employer_ids(self, rows: list[MemberRow]) -> dict[tuple[int, str], int | None]:
        wanted = {(row.key[0], row.key[1]) for row in rows if row.kind == Kind.INSURED}
        missing = sorted(pair for pair in wanted if pair not in self._employers)
        if missing:
            if len(self._employers) > 200_000:
                self._employers.clear()
            table = Employer._meta.db_table
            for pair in missing:
                self._employers[pair] = None
            for pk, branch_id, symbol in select_by_keys(
                f"SELECT id, branch_id, symbol FROM {table}",
                ("branch_id", "symbol"),
                ("bigint", "text"),
                missing,
            ):
                self._employers[(branch_id, symbol)] = pk
        return self._employers

    def _persons_by_hash(self, rows: list[MemberRow]) -> dict[str, tuple[int, bool, Any]]:
        hashes = {row.my_number_hash for row in rows if row.my_number_hash}
        if not hashes:
            return {}
        table = Person._meta.db_table
        return {
            digest: (pk, registered, registered_on)
            for pk, digest, registered, registered_on in select_by_keys(
                f"SELECT id, my_number_hash, mynacard_registered, mynacard_registered_on "
                f"FROM {table}",
                ("my_number_hash",),
                ("text",),
                [(digest,) for digest in sorted(hashes)],
                # The unique index on the hash is partial (blank hashes are not unique):
                # without its predicate the planner sorts the whole table every batch.
                where="my_number_hash <> ''",
            )
        }

    def _resolve(
        self,
        row: MemberRow,
        stored: dict[Key, Stored],
        employers: dict[tuple[int, str], int | None],
        persons: dict[str, tuple[int, bool, Any]],
        batch_insured: dict[Key, MemberRow],
        new_by_hash: dict[str, NewPerson],
    ) -> list[RowError]:
        errors: list[RowError] = []
        line = row.line
        if row.kind == Kind.INSURED:
            row.employer_id = employers.get((row.key[0], row.key[1]))
            if row.employer_id is None:
                errors.append(
                    RowError(
                        line,
                        LABEL["symbol"],
                        row.key[1],
                        "該当する事業所がありません（この支部・記号の事業所が未登録です）",
                    )
                )
        elif row.kind == Kind.DEPENDENT:
            insured_key = (*row.key[:3], INSURED_BRANCH_NUMBER)
            in_batch = batch_insured.get(insured_key)
            in_db = stored.get(insured_key)
            if in_batch is not None:
                row.insured_row = in_batch
                row.employer_id = in_batch.employer_id
                row.insured_record_id = in_batch.record_id
            elif in_db is not None and in_db.kind != Kind.DEPENDENT:
                row.insured_record_id = in_db.record_id
                row.employer_id = in_db.employer_id
            elif self._seen.get(self._compact(insured_key), 0) >= 0:
                errors.append(
                    RowError(
                        line,
                        LABEL["number"],
                        row.key[2],
                        "同じ記号・番号で枝番00の被保険者が見つかりません（被保険者の行を"
                        "被扶養者より前に置くか、被保険者を先に登録してください）",
                    )
                )
        existing = stored.get(row.key)
        digest = row.my_number_hash
        if existing is not None:
            row.record_id = existing.record_id
            row.person_id = existing.person_id
            if existing.kind != row.kind and Kind.DEPENDENT in (existing.kind, row.kind):
                errors.append(
                    RowError(
                        line,
                        LABEL["kind"],
                        row.kind,
                        "登録済みの資格区分（被保険者／被扶養者）は取込では変更できません",
                    )
                )
            if digest and digest != existing.my_number_hash:
                if existing.my_number_hash:
                    errors.append(
                        RowError(
                            line,
                            LABEL["my_number"],
                            row.my_number_last4,
                            "登録済みの個人番号と一致しません（個人番号の変更は取込では"
                            "できません）",
                        )
                    )
                elif digest in persons or digest in new_by_hash:
                    errors.append(
                        RowError(
                            line,
                            LABEL["my_number"],
                            row.my_number_last4,
                            "この個人番号は別の加入者に登録されています",
                        )
                    )
        elif digest and digest in persons:
            row.person_id = persons[digest][0]
        elif digest and digest in new_by_hash:
            row.new_person = new_by_hash[digest]
        else:
            row.new_person = NewPerson(
                my_number_last4=row.my_number_last4,
                my_number_hash=digest,
                mynacard_registered_on=row.mynacard_registered_on,
            )
            if digest:
                new_by_hash[digest] = row.new_person
        return errors

    def _classify(self, rows: list[MemberRow], stored: dict[Key, Stored]) -> Counts:
        counts = Counts()
        for row in rows:
            existing = stored.get(row.key)
            if existing is None:
                counts.created += 1
                continue
            new_values = row.values()
            changes: dict[str, list[Any]] = {}
            if new_values != existing.values:
                before = dict(zip(RECORD_FIELDS, existing.values, strict=True))
                after = dict(zip(RECORD_FIELDS, new_values, strict=True))
                changes = model_changes(before, after)
                if row.insured_row is not None and row.insured_record_id is None:
                    changes["insured_record_id"] = [before["insured_record_id"], "（新規）"]
            if row.my_number_hash and not existing.my_number_hash:
                changes["my_number_last4"] = [existing.my_number_last4 or None, row.my_number_last4]
            registered_on = row.mynacard_registered_on
            if registered_on and (
                registered_on != existing.mynacard_registered_on or not existing.mynacard_registered
            ):
                changes.update(
                    model_changes(
                        {"mynacard_registered_on": existing.mynacard_registered_on},
                        {"mynacard_registered_on": registered_on},
                    )
                )
            if changes:
                row.changes = changes
                counts.updated += 1
            else:
                counts.unchanged += 1
        return counts

    def write(self, rows: list[MemberRow]) -> None:
        new_persons: list[NewPerson] = []
        seen_new: set[int] = set()
        for row in rows:
            person = row.new_person
            # A person created by the previous batch already has its id.
            if person is not None and person.id is None and id(person) not in seen_new:
                seen_new.add(id(person))
                new_persons.append(person)
        self.writer.create_persons(new_persons)
        for row in rows:
            if row.new_person is not None:
                row.person_id = row.new_person.id
        creates = [row for row in rows if row.record_id is None]
        changed = [row for row in rows if row.changes and row.record_id is not None]
        lock_references(creates, changed, new_person_ids={p.id for p in new_persons if p.id})
        # Insured persons first: their dependents in the same batch need their ids.
        self.writer.create_records([r for r in creates if r.kind != Kind.DEPENDENT])
        for row in rows:
            if row.insured_row is not None:
                row.insured_record_id = row.insured_row.record_id
        self.writer.create_records([r for r in creates if r.kind == Kind.DEPENDENT])
        self.writer.update(changed)
        self.writer.audit(
            [
                RecordChange(
                    object_type=EligibilityRecord._meta.label_lower,
                    object_id=row.record_id,
                    branch_id=row.branch_id,
                    changes=self._audit_changes(row),
                )
                for row in changed
                if row.record_id is not None
            ],
            actor=self.actor,
            job_id=self.job_id,
        )

    def _audit_changes(self, row: MemberRow) -> dict[str, list[Any]]:
        changes = dict(row.changes)
        if "insured_record_id" in changes and row.insured_record_id is not None:
            changes["insured_record_id"][1] = row.insured_record_id
        return changes
