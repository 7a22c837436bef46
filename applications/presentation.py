"""How a stored application reads to a person: the form as entered, the bank account.

Pure functions over an :class:`~applications.models.Application` and the form catalogue,
shared by the review admin and the member pages. Labels come from the form definition of the
version the application was filed with, in the order of the form.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l

from applications.bank import ACCOUNT_TYPES
from applications.forms_catalogue import FieldSpec, FormDefinition, UnknownFormError, get_form
from core.jp.era import format_wareki, format_wareki_year_month
from core.jp.errors import JapaneseValueError

EMPTY = "—"


@dataclass(frozen=True)
class Row:
    label: str
    value: str
    multiline: bool = False


def form_of(code: str, version: int) -> FormDefinition | None:
    try:
        return get_form(code, version)
    except UnknownFormError:
        return None


def form_name(code: str, version: int | None = None) -> str:
    """The form's Japanese name; the code itself for an unknown form."""
    try:
        return get_form(code, version).name
    except UnknownFormError:
        try:
            return get_form(code).name
        except UnknownFormError:
            return code


def person_label(user: Any) -> str:
    """氏名 in Japanese order (山田 太郎), else the username."""
    return f"{user.last_name} {user.first_name}".strip() or user.username


def applicant_label(user: Any) -> str:
    """Who filed, as staff read it: 「本人」 for a member, 「社会保険労務士 山田 太郎」 for an
    attorney; never a login name when a name is known."""
    if user is None:
        return EMPTY
    if getattr(user, "is_attorney", False):
        return f"{_('社会保険労務士')} {person_label(user)}"
    if getattr(user, "is_member", False):
        return _("本人")
    return person_label(user)


def wareki_datetime(moment: datetime) -> str:
    """「令和8年3月10日 14:05」 in Japan time."""
    local = timezone.localtime(moment)
    try:
        day = format_wareki(local.date())
    except JapaneseValueError:
        day = local.date().isoformat()
    return f"{day} {local:%H:%M}"


def wareki_and_iso(d: date) -> str:
    """「令和7年4月1日（2025-04-01）」."""
    try:
        return f"{format_wareki(d)}（{d.isoformat()}）"
    except JapaneseValueError:
        return d.isoformat()


def format_value(spec: FieldSpec, value: Any) -> str:
    """One stored (cleaned) value as text, by the field's type."""
    if value is None or value == "":
        return EMPTY
    try:
        match spec.type:
            case "date":
                return wareki_and_iso(date.fromisoformat(str(value)))
            case "month":
                first = date.fromisoformat(f"{value}-01")
                return f"{format_wareki_year_month(first)}（{value}）"
            case "choice":
                return dict(spec.choices).get(str(value), str(value))
            case "boolean":
                return _("はい") if value is True else _("いいえ") if value is False else str(value)
            case "money":
                return f"¥{int(value):,}"
            case "integer":
                return f"{int(value):,}" if abs(int(value)) >= 10_000 else str(int(value))
    except (ValueError, TypeError, JapaneseValueError):
        return str(value)
    return str(value)


def entered_rows(code: str, version: int, data: dict[str, Any]) -> tuple[list[Row], list[Row]]:
    """(rows in the order of the form, rows for keys the form does not know)."""
    form = form_of(code, version)
    data = data or {}
    if form is None:
        return [], [Row(str(k), str(v)) for k, v in data.items()]
    rows = [
        Row(spec.label, format_value(spec, data.get(spec.name)), spec.type == "multiline")
        for spec in form.fields
    ]
    known = set(form.field_names)
    extra = [Row(str(k), str(v)) for k, v in data.items() if k not in known]
    return rows, extra


def attachment_labels(code: str, version: int) -> dict[str, str]:
    form = form_of(code, version)
    return {a.code: a.label for a in form.attachments} if form else {}


#: Bank account keys as stored, with their labels, in display order.
BANK_FIELDS: tuple[tuple[str, Any], ...] = (
    ("bank_code", _l("金融機関コード")),
    ("bank_name", _l("金融機関名")),
    ("branch_code", _l("支店コード（店番）")),
    ("branch_name", _l("支店名")),
    ("account_type", _l("預金種目")),
    ("account_number", _l("口座番号")),
    ("holder_kana", _l("口座名義（カナ）")),
    ("holder_name", _l("口座名義")),
    ("yucho_symbol", _l("ゆうちょ銀行 記号")),
    ("yucho_number", _l("ゆうちょ銀行 番号")),
)


def bank_rows(account: dict[str, Any] | None) -> list[Row]:
    """The payee account as label/value rows (empty when the form pays nothing)."""
    if not account:
        return []
    rows = []
    for key, label in BANK_FIELDS:
        value = account.get(key)
        if value in (None, ""):
            continue
        if key == "account_type":
            value = ACCOUNT_TYPES.get(str(value), str(value))
        rows.append(Row(str(label), str(value)))
    known = {k for k, _label in BANK_FIELDS}
    known |= {"bank_kana", "branch_kana", "account_type_label"}
    rows += [Row(str(k), str(v)) for k, v in account.items() if k not in known and v]
    return rows
