"""The shape of an electronic application form: fields, attachments, cross-field rules.

A :class:`FormDefinition` is pure data: the catalogue (:mod:`.definitions`) lists them and
:mod:`.registry` resolves ``(code, version)`` and validates what a member entered.

Field types (a deliberately small set; :mod:`.registry` documents how each is cleaned):

========== ==========================================================================
text       one line of text (names, addresses, institution names)
multiline  free text with line breaks (reasons, doctor's opinion)
kana       フリガナ: full-width katakana and the full-width space
digits     a string of ASCII digits (postal code, phone number, insurer numbers)
integer    a whole number (counts, years), bounded by ``min_value``/``max_value``
money      yen, a non-negative whole number
date       a calendar day, cleaned to ISO ``YYYY-MM-DD``
month      a calendar month, cleaned to ISO ``YYYY-MM`` (高額療養費 and 限度額 work by month)
choice     one of ``choices`` (value, Japanese label)
boolean    はい / いいえ
========== ==========================================================================

The member fields fetched from the eligibility record (支部, 記号・番号, 氏名, カナ氏名,
性別 where ``shows_sex``, 生年月日; seed 000) are NOT part of ``fields``: they are filled in
automatically. The bank account of a form with ``pays_money`` is validated separately
(:func:`applications.bank.validate_bank_account`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

FieldType = Literal[
    "text",
    "multiline",
    "kana",
    "digits",
    "integer",
    "money",
    "date",
    "month",
    "choice",
    "boolean",
]
FIELD_TYPES: frozenset[str] = frozenset(FieldType.__args__)  # type: ignore[attr-defined]

Category = Literal["benefit", "eligibility", "health"]
CATEGORIES: frozenset[str] = frozenset(Category.__args__)  # type: ignore[attr-defined]

#: Signature of a form-specific check: (cleaned data, today) → field → Japanese messages.
#: It runs only when every field is individually valid.
ExtraCheck = Callable[[Mapping[str, Any], date], dict[str, list[str]]]


@dataclass(frozen=True)
class FieldSpec:
    """One input field of a form.

    ``max_length``/``min_length`` count characters (text, multiline, kana) or digits (digits);
    ``min_value``/``max_value`` bound integer and money fields; ``choices`` is a tuple of
    (value, Japanese label) for choice fields; ``not_future`` forbids dates/months after
    ``today`` (birth, death, days already taken off).
    """

    name: str
    label: str
    type: FieldType
    required: bool = True
    max_length: int | None = None
    min_length: int | None = None
    min_value: int | None = None
    max_value: int | None = None
    choices: tuple[tuple[str, str], ...] = ()
    not_future: bool = False
    help: str = ""

    def __post_init__(self) -> None:
        if self.type not in FIELD_TYPES:
            raise ValueError(f"{self.name}: unknown field type {self.type!r}")
        if (self.type == "choice") != bool(self.choices):
            raise ValueError(f"{self.name}: choices are required for, and only for, choice fields")
        values = [value for value, _ in self.choices]
        if len(values) != len(set(values)):
            raise ValueError(f"{self.name}: duplicate choice values")
        if self.not_future and self.type not in ("date", "month"):
            raise ValueError(f"{self.name}: not_future applies to date and month fields only")

    def choice_label(self, value: str) -> str:
        """The Japanese label of a choice value."""
        return dict(self.choices)[value]


@dataclass(frozen=True)
class Condition:
    """True when the (cleaned) value of ``field`` is one of ``values``."""

    field: str
    values: tuple[object, ...]

    def holds(self, data: Mapping[str, Any]) -> bool:
        value = data.get(self.field)
        # bool is a subclass of int: compare types too so that True never matches 1.
        return any(type(value) is type(v) and value == v for v in self.values)


@dataclass(frozen=True)
class RequiredWhen:
    """``field`` is required when ``condition`` holds, and must be left empty otherwise."""

    field: str
    condition: Condition


@dataclass(frozen=True)
class DateOrder:
    """``start`` ≤ ``end`` (both date or both month fields); skipped when either is empty.

    ``message`` is attached to ``end``; by default 「{end}は{start}以降の日付にしてください。」
    """

    start: str
    end: str
    message: str = ""


@dataclass(frozen=True)
class AttachmentSpec:
    """A document to upload (as JPEG/PNG/HEIC/PDF, see :mod:`core.uploads`).

    ``required_when`` makes an optional attachment required under a condition on the data.
    """

    code: str
    label: str
    required: bool = True
    max_count: int = 5
    required_when: Condition | None = None
    help: str = ""


@dataclass(frozen=True)
class FormDefinition:
    """One version of one application form."""

    code: str
    name: str
    category: Category
    version: int
    fields: tuple[FieldSpec, ...]
    attachments: tuple[AttachmentSpec, ...] = ()
    pays_money: bool = False
    shows_sex: bool = False
    dependents_may_file: bool = False
    attorneys_may_file: bool = True
    required_when: tuple[RequiredWhen, ...] = ()
    date_orders: tuple[DateOrder, ...] = ()
    extra_checks: tuple[ExtraCheck, ...] = field(default=(), compare=False)
    #: For the people who file (shown by the API and the pages).
    note: str = ""
    #: For developers only (why the form is defined this way); never shown or sent.
    dev_note: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        if self.category not in CATEGORIES:
            raise ValueError(f"{self.code}: unknown category {self.category!r}")
        if self.version < 1:
            raise ValueError(f"{self.code}: versions start at 1")
        if self.category == "health" and self.attorneys_may_file:
            # Seed 000: 社会保険労務士 may use the service except for 保健事業.
            raise ValueError(f"{self.code}: attorneys may not file health-related forms")
        names = [f.name for f in self.fields]
        if len(names) != len(set(names)):
            raise ValueError(f"{self.code}: duplicate field names")
        codes = [a.code for a in self.attachments]
        if len(codes) != len(set(codes)):
            raise ValueError(f"{self.code}: duplicate attachment codes")
        known = set(names)
        referenced = [r.field for r in self.required_when]
        referenced += [r.condition.field for r in self.required_when]
        referenced += [o.start for o in self.date_orders] + [o.end for o in self.date_orders]
        referenced += [a.required_when.field for a in self.attachments if a.required_when]
        missing = [n for n in referenced if n not in known]
        if missing:
            raise ValueError(f"{self.code}: rules refer to unknown fields {missing}")
        for rule in self.required_when:
            if self.field(rule.field).required:
                raise ValueError(f"{self.code}: {rule.field} is conditional, so required=False")
        for order in self.date_orders:
            types = {self.field(order.start).type, self.field(order.end).type}
            if len(types) != 1 or types - {"date", "month"}:
                raise ValueError(f"{self.code}: {order} needs two date or two month fields")

    @property
    def key(self) -> tuple[str, int]:
        return (self.code, self.version)

    def field(self, name: str) -> FieldSpec:
        """The field called ``name`` (KeyError when there is none)."""
        for spec in self.fields:
            if spec.name == name:
                return spec
        raise KeyError(name)

    @property
    def field_names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields)
