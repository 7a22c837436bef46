"""Resolve forms by (code, version) and validate what a member entered.

How each field type is cleaned by :func:`validate_form_data` (the result is JSON-ready):

* text / multiline: a string; surrounding spaces (ASCII and full-width) stripped, nothing else
  changed (names and addresses are never NFKC-normalised, see DOMAIN.md); control characters
  refused (multiline allows line breaks, CRLF becomes LF).
* kana: :func:`core.jp.kana.validate_katakana` (half-width → full-width, hiragana → katakana).
* digits: a string; full-width digits made ASCII, hyphens and spaces removed; leading zeros
  kept. Integers are refused (a postal code 0600001 would lose its zero).
* integer: int, or a string of digits (full-width accepted).
* money: int yen ≥ 0 (≤ :data:`MONEY_MAX`), or a string like "１２,０００円" / "¥12,000".
* date: :class:`datetime.date` or "2025-04-01", "2025/4/1", "2025年4月1日", or a 和暦 date
  ("令和7年4月1日", "R7.4.1"); cleaned to ISO "YYYY-MM-DD". Dates before :data:`MIN_DATE` are
  refused as typing errors.
* month: "2025-04", "2025/4", "2025年4月" or "令和7年4月"; cleaned to "YYYY-MM".
* choice: one of the choice values (not the label).
* boolean: bool, or "true"/"false", "1"/"0", "yes"/"no", "on"/"off", "はい"/"いいえ".

Empty values (None, "" or only spaces) count as "not entered"; optional fields not entered come
back as None, so the cleaned dict always has every field of the form.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.utils.translation import get_language
from django.utils.translation import gettext as _

from applications.forms_catalogue.definitions import ALL_DEFINITIONS
from applications.forms_catalogue.errors import FormDataError
from applications.forms_catalogue.schema import Condition, FieldSpec, FormDefinition
from core.jp.dates import parse_date
from core.jp.errors import JapaneseValueError
from core.jp.kana import normalize_digits, validate_katakana

JST = ZoneInfo("Asia/Tokyo")

#: Upper bound for money fields (a typing error beyond this).
MONEY_MAX = 999_999_999
#: Earliest accepted date (older dates are taken as typing errors).
MIN_DATE = date(1900, 1, 1)

__all__ = [
    "MIN_DATE",
    "MONEY_MAX",
    "FormDataError",
    "FormRegistry",
    "UnknownFormError",
    "all_forms",
    "get_form",
    "validate_attachments",
    "validate_form_data",
]


class UnknownFormError(LookupError):
    """No form with this code (or no such version of it)."""


class FormRegistry:
    """Every version of every form, by code. The latest version is the one offered to new
    applications; older versions stay resolvable for applications filed with them."""

    def __init__(self, definitions: Iterable[FormDefinition] = ()) -> None:
        self._forms: dict[str, dict[int, FormDefinition]] = {}
        for definition in definitions:
            self.register(definition)

    def register(self, definition: FormDefinition) -> None:
        versions = self._forms.setdefault(definition.code, {})
        if definition.version in versions:
            raise ValueError(f"{definition.code} version {definition.version} is already known")
        versions[definition.version] = definition

    def get(self, code: str, version: int | None = None) -> FormDefinition:
        versions = self._forms.get(code)
        if not versions:
            raise UnknownFormError(f"unknown form {code!r}")
        if version is None:
            return versions[max(versions)]
        try:
            return versions[version]
        except KeyError:
            raise UnknownFormError(f"form {code!r} has no version {version}") from None

    def versions(self, code: str) -> tuple[int, ...]:
        return tuple(sorted(self._forms.get(code, {})))

    def all(self) -> tuple[FormDefinition, ...]:
        """The latest version of each form, in registration order."""
        return tuple(versions[max(versions)] for versions in self._forms.values())


REGISTRY = FormRegistry(ALL_DEFINITIONS)


def get_form(code: str, version: int | None = None) -> FormDefinition:
    """The form ``code`` at ``version`` (the latest when None). Raises UnknownFormError."""
    return REGISTRY.get(code, version)


def all_forms() -> tuple[FormDefinition, ...]:
    """The latest version of every form."""
    return REGISTRY.all()


# ---------------------------------------------------------------------------------------------
# Field cleaning
# ---------------------------------------------------------------------------------------------


class _Invalid(Exception):
    def __init__(self, message: str) -> None:
        self.message = message


_BLANK = " \u3000\t\r\n"
_HYPHENS = re.compile("[-‐‑–—−－ー\\s\u3000]")
_YM = re.compile(r"(\d{4})\s*(?:[-/.]|年)\s*(\d{1,2})\s*月?")
_LETTER_YM = re.compile(r"([MTSHRmtshr](?:元|\d{1,3}))([./-])(\d{1,2})")
_TRUE = {"true", "1", "yes", "on", "はい"}
_FALSE = {"false", "0", "no", "off", "いいえ"}


def japanese_active() -> bool:
    """Whether messages are being written in Japanese (the default, and every API client)."""
    return (get_language() or "ja").startswith("ja")


def _label(spec: FieldSpec) -> str:
    """The field's label in the active language (the messages are translated with it)."""
    return _(spec.label)


def _is_empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and value.strip(_BLANK) == "")


def _require_str(spec: FieldSpec, value: Any) -> str:
    if not isinstance(value, str):
        raise _Invalid(_("%(label)sの値の形式が正しくありません。") % {"label": _label(spec)})
    return value


def _check_length(spec: FieldSpec, text: str, unit: str = "文字") -> None:
    n = len(text)
    lo, hi = spec.min_length, spec.max_length
    digits = unit == "桁"
    values = {"label": _label(spec), "current": n}
    if lo is not None and hi is not None and lo == hi and n != lo:
        message = (
            _("%(label)sは%(count)s桁で入力してください（現在%(current)s桁）。")
            if digits
            else _("%(label)sは%(count)s文字で入力してください（現在%(current)s文字）。")
        )
        raise _Invalid(message % {**values, "count": lo})
    if hi is not None and n > hi:
        message = (
            _("%(label)sは%(count)s桁以内で入力してください（現在%(current)s桁）。")
            if digits
            else _("%(label)sは%(count)s文字以内で入力してください（現在%(current)s文字）。")
        )
        raise _Invalid(message % {**values, "count": hi})
    if lo is not None and n < lo:
        message = (
            _("%(label)sは%(count)s桁以上で入力してください（現在%(current)s桁）。")
            if digits
            else _("%(label)sは%(count)s文字以上で入力してください（現在%(current)s文字）。")
        )
        raise _Invalid(message % {**values, "count": lo})


def _clean_text(spec: FieldSpec, value: Any) -> str:
    text = _require_str(spec, value)
    if spec.type == "multiline":
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = text.strip(_BLANK)
    allowed = "\n" if spec.type == "multiline" else ""
    if any(unicodedata.category(c) in ("Cc", "Cs") and c not in allowed for c in text):
        message = (
            _("%(label)sに改行以外の制御文字は使用できません。")
            if allowed
            else _("%(label)sに改行や制御文字は使用できません。")
        )
        raise _Invalid(message % {"label": _label(spec)})
    _check_length(spec, text)
    return text


def _clean_kana(spec: FieldSpec, value: Any) -> str:
    try:
        kana = validate_katakana(_require_str(spec, value), label=spec.label)
    except JapaneseValueError as exc:
        # core.jp speaks Japanese only (it names the characters refused); in another
        # language the same rule, without the list.
        if not japanese_active():
            raise _Invalid(
                _("%(label)sは全角カタカナで入力してください。") % {"label": _label(spec)}
            ) from None
        raise _Invalid(exc.message.rstrip("。") + "。") from None
    _check_length(spec, kana)
    return kana


def _clean_digits(spec: FieldSpec, value: Any) -> str:
    text = _HYPHENS.sub("", normalize_digits(_require_str(spec, value)))
    if not (text.isascii() and text.isdigit()):
        raise _Invalid(_("%(label)sは数字で入力してください。") % {"label": _label(spec)})
    _check_length(spec, text, unit="桁")
    return text


def _check_bounds(spec: FieldSpec, number: int, lo: int | None, hi: int | None) -> None:
    if (lo is not None and number < lo) or (hi is not None and number > hi):
        values = {"label": _label(spec), "lo": f"{lo or 0:,}", "hi": f"{hi or 0:,}"}
        if lo is not None and hi is not None:
            raise _Invalid(_("%(label)sは%(lo)sから%(hi)sまでの範囲で入力してください。") % values)
        if lo is not None:
            raise _Invalid(_("%(label)sは%(lo)s以上で入力してください。") % values)
        raise _Invalid(_("%(label)sは%(hi)s以下で入力してください。") % values)


def _clean_integer(spec: FieldSpec, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise _Invalid(_("%(label)sは整数で入力してください。") % {"label": _label(spec)})
    if isinstance(value, str):
        text = normalize_digits(value)
        if not re.fullmatch(r"-?[0-9]+", text):
            raise _Invalid(
                _("%(label)sは整数（半角または全角の数字）で入力してください。")
                % {"label": _label(spec)}
            )
        value = int(text)
    _check_bounds(spec, value, spec.min_value, spec.max_value)
    return value


def _clean_money(spec: FieldSpec, value: Any) -> int:
    example = _("%(label)sは円単位の整数で入力してください（例: 12000）。") % {
        "label": _label(spec)
    }
    negative = _("%(label)sに負の金額は入力できません。") % {"label": _label(spec)}
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise _Invalid(example)
    if isinstance(value, str):
        text = normalize_digits(value).translate(str.maketrans("", "", ",，円¥￥ \u3000"))
        if text.startswith("-") and text[1:].isdigit():
            raise _Invalid(negative)
        if not (text.isascii() and text.isdigit()):
            raise _Invalid(example)
        value = int(text)
    if value < 0:
        raise _Invalid(negative)
    lo = spec.min_value if spec.min_value is not None else 0
    hi = spec.max_value if spec.max_value is not None else MONEY_MAX
    if value < lo:
        raise _Invalid(
            _("%(label)sは%(yen)s円以上で入力してください。")
            % {"label": _label(spec), "yen": f"{lo:,}"}
        )
    if value > hi:
        raise _Invalid(
            _("%(label)sは%(yen)s円以下で入力してください。")
            % {"label": _label(spec), "yen": f"{hi:,}"}
        )
    return value


def _parse_date(spec: FieldSpec, text: str) -> date:
    """The one date parser (core.jp.dates), its messages named after the field."""
    try:
        return parse_date(text)
    except JapaneseValueError as exc:
        if exc.code == "invalid_date":
            raise _Invalid(_("%(label)sは存在しない日付です。") % {"label": _label(spec)}) from None
        if exc.code == "format":
            raise _Invalid(
                _(
                    "%(label)sは「2025-04-01」（西暦）または「令和7年4月1日」の形式で"
                    "入力してください。"
                )
                % {"label": _label(spec)}
            ) from None
        if not japanese_active():
            raise _Invalid(_("%(label)sは存在しない日付です。") % {"label": _label(spec)}) from None
        raise _Invalid(f"{spec.label}: {exc.message.rstrip('。')}。") from None


def _clean_date(spec: FieldSpec, value: Any, today: date) -> str:
    if isinstance(value, datetime) or not isinstance(value, date | str):
        raise _Invalid(_("%(label)sの値の形式が正しくありません。") % {"label": _label(spec)})
    day = value if isinstance(value, date) else _parse_date(spec, value)
    if day < MIN_DATE:
        raise _Invalid(
            _("%(label)sは%(year)s年以降の日付を入力してください。")
            % {"label": _label(spec), "year": MIN_DATE.year}
        )
    if spec.not_future and day > today:
        raise _Invalid(
            _("%(label)sに未来の日付は入力できません（本日は%(today)sです）。")
            % {
                "label": _label(spec),
                "today": _("%(y)s年%(m)s月%(d)s日")
                % {"y": today.year, "m": today.month, "d": today.day},
            }
        )
    return day.isoformat()


def _clean_month(spec: FieldSpec, value: Any, today: date) -> str:
    text = normalize_digits(_require_str(spec, value))
    match = _YM.fullmatch(text)
    if match:
        year, month = int(match[1]), int(match[2])
    else:
        # 和暦: parse the 1st of the month with the date parser.
        letter = _LETTER_YM.fullmatch(text)
        if letter:
            first = _parse_date(spec, f"{letter[1]}{letter[2]}{letter[3]}{letter[2]}1")
        elif text.endswith("月"):
            first = _parse_date(spec, f"{text}1日")
        else:
            raise _Invalid(
                _("%(label)sは「2025-04」（西暦）または「令和7年4月」の形式で入力してください。")
                % {"label": _label(spec)}
            )
        year, month = first.year, first.month
    if not 1 <= month <= 12:
        raise _Invalid(_("%(label)sの月は1から12で入力してください。") % {"label": _label(spec)})
    if year < MIN_DATE.year:
        raise _Invalid(
            _("%(label)sは%(year)s年以降を入力してください。")
            % {"label": _label(spec), "year": MIN_DATE.year}
        )
    if spec.not_future and (year, month) > (today.year, today.month):
        raise _Invalid(_("%(label)sに未来の月は入力できません。") % {"label": _label(spec)})
    return f"{year:04d}-{month:02d}"


def _clean_choice(spec: FieldSpec, value: Any) -> str:
    if not isinstance(value, str) or value not in dict(spec.choices):
        labels = _("、").join(_("「%s」") % _(label) for _value, label in spec.choices)
        raise _Invalid(
            _("%(label)sは次のいずれかを選択してください: %(choices)s")
            % {"label": _label(spec), "choices": labels}
        )
    return value


def _clean_boolean(spec: FieldSpec, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        key = value.strip(_BLANK).lower()
        if key in _TRUE:
            return True
        if key in _FALSE:
            return False
    raise _Invalid(
        _("%(label)sは「はい」または「いいえ」を選択してください。") % {"label": _label(spec)}
    )


def clean_field(spec: FieldSpec, value: Any, *, today: date) -> Any:
    """Clean one non-empty value of ``spec``; raises ``_Invalid`` with the Japanese message."""
    match spec.type:
        case "text" | "multiline":
            return _clean_text(spec, value)
        case "kana":
            return _clean_kana(spec, value)
        case "digits":
            return _clean_digits(spec, value)
        case "integer":
            return _clean_integer(spec, value)
        case "money":
            return _clean_money(spec, value)
        case "date":
            return _clean_date(spec, value, today)
        case "month":
            return _clean_month(spec, value, today)
        case "choice":
            return _clean_choice(spec, value)
        case "boolean":
            return _clean_boolean(spec, value)
    raise AssertionError(spec.type)  # pragma: no cover - FieldSpec checks the type


def _required_message(spec: FieldSpec) -> str:
    if spec.type in ("choice", "boolean"):
        return _("%(label)sを選択してください。") % {"label": _label(spec)}
    return _("%(label)sを入力してください。") % {"label": _label(spec)}


def value_label(spec: FieldSpec, value: object) -> str:
    """A value as the applicant reads it (はい/いいえ, a choice's label), in the page's language."""
    if isinstance(value, bool):
        return _("はい") if value else _("いいえ")
    if spec.type == "choice" and isinstance(value, str):
        return _(spec.choice_label(value))
    return str(value)


def _condition_text(definition: FormDefinition, condition: Condition) -> str:
    spec = definition.field(condition.field)
    values = _("」または「").join(value_label(spec, v) for v in condition.values)
    return _("「%(field)s」が「%(values)s」") % {"field": _label(spec), "values": values}


def today_jst() -> date:
    return datetime.now(JST).date()


def validate_form_data(
    definition: FormDefinition, data: Mapping[str, Any], *, today: date | None = None
) -> dict[str, Any]:
    """Check and clean ``data`` (field name → raw value) for ``definition``.

    Returns every field of the form, cleaned (None for optional fields left empty). Raises
    :class:`FormDataError` listing, per field, what to correct: unknown fields, missing or
    malformed values, conditional requirements, date order and the form's own checks.
    ``today`` (JST today by default) is the reference for "no future dates".
    """
    today = today or today_jst()
    errors: dict[str, list[str]] = {}
    known = set(definition.field_names)
    for key in data:
        if key not in known:
            errors[str(key)] = [f"「{key}」は{definition.name}にない項目です。"]

    cleaned: dict[str, Any] = {}
    for spec in definition.fields:
        raw = data.get(spec.name)
        if _is_empty(raw):
            cleaned[spec.name] = None
            if spec.required:
                errors.setdefault(spec.name, []).append(_required_message(spec))
            continue
        try:
            cleaned[spec.name] = clean_field(spec, raw, today=today)
        except _Invalid as exc:
            cleaned[spec.name] = None
            errors.setdefault(spec.name, []).append(exc.message)

    for rule in definition.required_when:
        if rule.condition.field in errors or rule.field in errors:
            continue
        spec = definition.field(rule.field)
        holds = rule.condition.holds(cleaned)
        if holds and cleaned[rule.field] is None:
            errors[rule.field] = [
                _("%(condition)sの場合は、%(required)s")
                % {
                    "condition": _condition_text(definition, rule.condition),
                    "required": _required_message(spec),
                }
            ]
        elif not holds and cleaned[rule.field] is not None:
            errors[rule.field] = [
                _("%(label)sは、%(condition)sの場合のみ入力してください。")
                % {
                    "label": _label(spec),
                    "condition": _condition_text(definition, rule.condition),
                }
            ]

    for order in definition.date_orders:
        start, end = cleaned.get(order.start), cleaned.get(order.end)
        if start is None or end is None or order.end in errors or start <= end:
            continue
        start_spec, end_spec = definition.field(order.start), definition.field(order.end)
        message = (
            _("%(end)sは%(start)s以降の月にしてください。")
            if end_spec.type == "month"
            else _("%(end)sは%(start)s以降の日付にしてください。")
        )
        errors[order.end] = [
            _(order.message)
            if order.message
            else message % {"end": _label(end_spec), "start": _label(start_spec)}
        ]

    if not errors:
        for check in definition.extra_checks:
            for name, messages in check(cleaned, today).items():
                errors.setdefault(name, []).extend(messages)

    if errors:
        raise FormDataError(errors)
    return cleaned


def validate_attachments(
    definition: FormDefinition, cleaned: Mapping[str, Any], counts: Mapping[str, int]
) -> None:
    """Check the number of uploaded files per attachment code against the form.

    ``cleaned`` is the result of :func:`validate_form_data` (for ``required_when``). Raises
    :class:`FormDataError` keyed by attachment code.
    """
    errors: dict[str, list[str]] = {}
    specs = {a.code: a for a in definition.attachments}
    for code in counts:
        if code not in specs:
            errors[code] = [f"「{code}」は{definition.name}の添付書類にありません。"]
    for spec in definition.attachments:
        count = counts.get(spec.code, 0)
        needed = spec.required or (spec.required_when and spec.required_when.holds(cleaned))
        if needed and count < 1:
            errors[spec.code] = [_("%(label)sを添付してください。") % {"label": _(spec.label)}]
        elif count > spec.max_count:
            errors[spec.code] = [
                _("%(label)sは%(max)s件まで添付できます（現在%(count)s件）。")
                % {"label": _(spec.label), "max": spec.max_count, "count": count}
            ]
    if errors:
        raise FormDataError(errors)
