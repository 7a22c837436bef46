"""Reads of persons and eligibility records: member view, staff lookups, current record, 負担割合.

Every staff read goes through :func:`core.scoping.branch_scope`; every member read through
:func:`records_for_member`. Query counts do not depend on the number of records: what the
serializers need is fetched with ``select_related``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from functools import cache
from typing import Any, Protocol, TypeVar

from django.db import connections
from django.db.models import Exists, OuterRef, Q, QuerySet

from core.jp.errors import JapaneseValueError
from core.jp.kana import normalize_digits, normalize_kana, validate_katakana
from core.scoping import branch_scope
from eligibility.models import EligibilityRecord, Person
from eligibility.rules.burden import burden_ratio
from eligibility.rules.dates import is_eligible_on

Kind = EligibilityRecord.Kind

#: Related rows the record serializers and the 負担割合 read (one JOIN, no query per row).
RECORD_RELATED = ("branch", "insured_record")

#: Collations in which strings sort by code point: there a kana prefix is also a range,
#: which the (branch, name_kana) B-tree index answers (PostgreSQL uses a B-tree for LIKE only
#: under the "C" collation, and "C.UTF-8" is not recognised as such before PostgreSQL 17).
_CODE_POINT_COLLATIONS = frozenset({"c", "posix", "c.utf-8", "c.utf8", "ucs_basic"})


class _Period(Protocol):
    pk: Any
    acquired_on: date
    lost_on: date | None


P = TypeVar("P", bound=_Period)


# --- members --------------------------------------------------------------------------


def records_for_member(*, user: Any) -> QuerySet[EligibilityRecord]:
    """The signed-in member's own records (through Person.user); nobody else's."""
    if not getattr(user, "is_authenticated", False) or not getattr(user, "is_member", False):
        return EligibilityRecord.objects.none()
    return EligibilityRecord.objects.filter(person__user_id=user.pk).select_related(*RECORD_RELATED)


def current_record_id_for_member(*, user: Any, on: date) -> int | None:
    """Id of the member's current record on ``on`` (one small query on three columns)."""
    periods = (
        records_for_member(user=user).select_related(None).only("id", "acquired_on", "lost_on")
    )
    current = pick_current(periods, on=on)
    return current.pk if current is not None else None


# --- current record -------------------------------------------------------------------


def pick_current(records: Iterable[P], *, on: date) -> P | None:
    """The record eligible on ``on``, else the latest one; None when there is none.

    "Latest" is the highest 資格取得年月日 (then the highest id); among several records
    eligible the same day (which the data should not have), the latest one wins too.
    """
    best: P | None = None
    best_key: tuple[bool, date, int] | None = None
    for record in records:
        eligible = is_eligible_on(acquired=record.acquired_on, lost=record.lost_on, on=on)
        key = (eligible, record.acquired_on, record.pk or 0)
        if best_key is None or key > best_key:
            best, best_key = record, key
    return best


def current_record(person: Person, *, on: date) -> EligibilityRecord | None:
    """The person's record eligible on ``on``, else the latest. Uses a prefetch when present
    (``prefetch_related("records")``), otherwise one query."""
    return pick_current(person.records.all(), on=on)


# --- staff ----------------------------------------------------------------------------


def records_for_staff(
    *,
    user: Any,
    symbol: str | None = None,
    number: str | None = None,
    branch_number: str | None = None,
    kana: str | None = None,
    branch_code: int | None = None,
) -> QuerySet[EligibilityRecord]:
    """Records a staff user may see, narrowed by 記号・番号・枝番 and/or a フリガナ prefix.

    Inputs are normalised (full-width digits, one-digit 枝番, half-width kana, hiragana).
    ``branch_code`` narrows headquarters to one branch (a branch's staff are already limited
    to theirs). Callers validate that the search is specific enough.
    """
    qs = branch_scope(EligibilityRecord.objects.all(), user).select_related(*RECORD_RELATED)
    if branch_code is not None:
        qs = qs.filter(branch__code=branch_code)
    if symbol:
        qs = qs.filter(symbol=normalize_digits(symbol))
    if number:
        qs = qs.filter(number=normalize_digits(number))
    if branch_number:
        qs = qs.filter(branch_number=normalize_branch_number(branch_number))
    if kana:
        qs = qs.filter(kana_prefix_q(kana, alias=qs.db))
    return qs


def persons_for_staff(*, user: Any) -> QuerySet[Person]:
    """Persons with at least one record in the user's branch (all for headquarters).

    An EXISTS subquery, not a JOIN: a person with several records appears once.
    """
    qs = Person.objects.all()
    if not getattr(user, "is_authenticated", False) or not user.is_staff:
        return qs.none()
    if user.is_headquarters:
        return qs
    if user.branch_id is None:
        return qs.none()
    in_branch = branch_scope(EligibilityRecord.objects.filter(person=OuterRef("pk")), user)
    return qs.filter(Exists(in_branch))


def persons_in_scope(*, user: Any) -> QuerySet[Person]:
    """Persons a staff user may write or refer a record to: those with a record in the user's
    branch and those with no record at all yet (just registered); all for headquarters."""
    qs = Person.objects.all()
    if not getattr(user, "is_authenticated", False) or not user.is_staff:
        return qs.none()
    if user.is_headquarters:
        return qs
    if user.branch_id is None:
        return qs.none()
    in_branch = EligibilityRecord.objects.filter(person=OuterRef("pk"), branch_id=user.branch_id)
    any_record = EligibilityRecord.objects.filter(person=OuterRef("pk"))
    return qs.filter(Exists(in_branch) | ~Exists(any_record))


def normalize_branch_number(value: str) -> str:
    """枝番 as stored: two digits, zero-padded ("1" or "１" → "01")."""
    digits = normalize_digits(value)
    return digits.zfill(2) if digits.isascii() and digits.isdigit() else digits


def kana_prefix_q(kana: str, *, alias: str = "default") -> Q:
    """A フリガナ prefix match (input normalised) that an index on name_kana can answer.

    ``startswith`` keeps the result exact in every collation; where the database sorts by
    code point, the equivalent range ``k <= name_kana < successor(k)`` is added, which a
    B-tree index on (branch, name_kana) can scan.
    """
    prefix = normalize_kana(kana)
    q = Q(name_kana__startswith=prefix)
    upper = _successor(prefix)
    if prefix and upper is not None and _code_point_collation(alias):
        q &= Q(name_kana__gte=prefix, name_kana__lt=upper)
    return q


def _successor(prefix: str) -> str | None:
    """The smallest string above every string starting with ``prefix`` (code point order)."""
    if not prefix or ord(prefix[-1]) >= 0x10FFFF:
        return None
    return prefix[:-1] + chr(ord(prefix[-1]) + 1)


def _code_point_collation(alias: str) -> bool:
    connection = connections[alias]
    if connection.vendor == "sqlite":
        return True  # BINARY collation: UTF-8 byte order is code point order
    if connection.vendor != "postgresql":
        return False
    return _postgresql_collation(connection.settings_dict["NAME"], alias) in (
        _CODE_POINT_COLLATIONS
    )


@cache
def _postgresql_collation(name: str, alias: str) -> str:
    """The database's default collation, read once per process and database ("icu" for an
    ICU default, which never sorts by code point)."""
    with connections[alias].cursor() as cursor:
        cursor.execute("SELECT * FROM pg_database WHERE datname = current_database()")
        columns = [c.name for c in cursor.description]
        row = cursor.fetchone()
    if row is None:
        return ""
    database = dict(zip(columns, row, strict=True))
    provider = database.get("datlocprovider")  # PostgreSQL 15+: c (libc), i (ICU), b (builtin)
    if provider == "i":
        return "icu"
    if provider == "b":  # builtin "C" and "C.UTF-8" both sort by code point
        return "c"
    return str(database.get("datcollate") or "").lower()


#: What may separate 記号, 番号 and 枝番 (and the two halves of a 受付番号).
SEARCH_SEPARATOR = "[-‐‑–—−－/／・･\\s\u3000]+"
_SEARCH_SYMBOL_NUMBER = re.compile(
    rf"([0-9]{{1,8}}){SEARCH_SEPARATOR}([0-9]{{1,8}})(?:{SEARCH_SEPARATOR}([0-9]{{1,2}}))?"
)
_SEARCH_RECEIPT = re.compile(rf"[0-9]{{8}}(?:{SEARCH_SEPARATOR})?[0-9]{{8}}")


@dataclass(frozen=True, slots=True)
class SearchTerm:
    """What a staff member typed into a search box, read once by :func:`parse_search_term`.

    ``kind`` is one of:

    * ``""``: nothing to search (empty or only spaces);
    * ``"receipt"``: a 受付番号, 16 digits (a separator allowed after the 8-digit date);
      ``digits`` holds the 16 digits, and ``symbol``/``number`` the two halves;
    * ``"symbol_number"``: 記号 (1–8 digits), 番号 (1–8 digits) and optionally 枝番 (1–2
      digits, in ``branch_number`` zero-padded), separated by ・, -, /, a space or a dash;
    * ``"digits"``: digits only (``digits``);
    * ``"kana"``: a reading (katakana, hiragana, half-width kana, spaces): ``kana``,
      normalised to full-width katakana;
    * ``"name"``: anything else, ``text``.

    ``text`` is the term with full-width digits made ASCII and surrounding spaces removed.
    """

    kind: str
    text: str
    digits: str = ""
    symbol: str = ""
    number: str = ""
    branch_number: str = ""
    kana: str = ""


def parse_search_term(term: str) -> SearchTerm:
    """The one reading of a search box (records, persons, applications): see SearchTerm."""
    text = normalize_digits(term).strip(" \u3000")
    if not text:
        return SearchTerm("", "")
    if _SEARCH_RECEIPT.fullmatch(text):
        digits = re.sub("[^0-9]", "", text)
        return SearchTerm("receipt", text, digits=digits, symbol=digits[:8], number=digits[8:])
    match = _SEARCH_SYMBOL_NUMBER.fullmatch(text)
    if match:
        symbol, number, branch = match.groups()
        return SearchTerm(
            "symbol_number",
            text,
            symbol=symbol,
            number=number,
            branch_number=branch.zfill(2) if branch else "",
        )
    if text.isascii() and text.isdigit():
        return SearchTerm("digits", text, digits=text)
    try:
        kana = validate_katakana(text)
    except JapaneseValueError:
        return SearchTerm("name", text)
    return SearchTerm("kana", text, kana=kana)


def record_search_q(term: str, *, alias: str = "default") -> Q:
    """What the admin search box matches on records, from :func:`parse_search_term`:

    - digits: 7–8 digits an exact 記号, fewer an exact 番号 (a 16-digit 受付番号 is neither);
    - ``記号・番号[・枝番]`` the three together;
    - kana: フリガナ prefix (index range);
    - anything else: 氏名 prefix.
    """
    parsed = parse_search_term(term)
    if parsed.kind in ("symbol_number", "receipt"):
        q = Q(symbol=parsed.symbol, number=parsed.number)
        if parsed.branch_number:
            q &= Q(branch_number=parsed.branch_number)
        return q
    if parsed.kind == "digits":
        # 記号 has 7–8 digits; a shorter number is a 番号 (not indexed alone).
        return Q(symbol=parsed.digits) if len(parsed.digits) >= 7 else Q(number=parsed.digits)
    if parsed.kind == "kana":
        return kana_prefix_q(parsed.kana, alias=alias)
    return Q(name__startswith=parsed.text)


# --- 負担割合 ---------------------------------------------------------------------------


def burden_ratio_for(record: EligibilityRecord, *, on: date) -> int | None:
    """The 負担割合 (in tenths: 2 or 3) of a record on ``on``; None when the record does not
    cover that day (before 資格取得, from 資格喪失, from the 75th birthday).

    A dependent's ratio needs the insured person's birth date and 標準報酬月額: select
    ``insured_record`` with the record (:data:`RECORD_RELATED`). A 基準収入額適用申請 is the
    insured person's, so for a dependent the insured record's flag counts too. Raises
    :class:`core.jp.errors.JapaneseValueError` when data the rule needs is missing.
    """
    if on < record.birth_date or not is_eligible_on(
        acquired=record.acquired_on, lost=record.lost_on, on=on
    ):
        return None
    insured = record.insured_record if record.kind == Kind.DEPENDENT else None
    return burden_ratio(
        birth=record.birth_date,
        on=on,
        kind=record.kind,
        standard_monthly_remuneration=record.standard_monthly_remuneration,
        insured_birth=insured.birth_date if insured else None,
        insured_standard_monthly_remuneration=(
            insured.standard_monthly_remuneration if insured else None
        ),
        income_reduction_applied=record.income_reduction_applied
        or bool(insured and insured.income_reduction_applied),
    )


# --- dates ----------------------------------------------------------------------------


def eligible_on_q(on: date) -> Q:
    """Records covering ``on`` (the database side of rules.dates.is_eligible_on)."""
    return Q(acquired_on__lte=on) & (Q(lost_on__isnull=True) | Q(lost_on__gt=on))


def running_import_progress() -> list[Any]:
    """Progress of the CSV imports running now (``kyoukai_batch_items_*`` metrics)."""
    from core.observability.metrics import BatchProgress
    from eligibility.models import ImportJob

    rows = ImportJob.objects.filter(status=ImportJob.Status.RUNNING).values_list(
        "pk", "processed_rows", "total_rows"
    )
    return [BatchProgress("import", str(pk), done, total) for pk, done, total in rows]
