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
from core.jp.era import format_wareki, format_wareki_and_iso, format_wareki_year_month
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
    return user.get_full_name() or user.username


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


#: Short names for the review queue (a column of 8 characters at most, the full name on
#: hover). Every form of the catalogue has one (tests/applications/test_review_queue.py).
SHORT_FORM_NAMES: dict[str, str] = {
    "shobyo_teate": "傷病手当金",
    "shussan_teate": "出産手当金",
    "shussan_ikuji_ichijikin": "出産育児一時金",
    "shussan_ikuji_uchibarai": "出産一時金内払",
    "maisoryo": "埋葬料(費)",
    "ryoyohi_tatekae": "療養費(立替)",
    "ryoyohi_sogu": "療養費(装具)",
    "kogaku_ryoyohi": "高額療養費",
    "nini_keizoku_shutoku": "任継 取得",
    "nini_keizoku_soshitsu": "任継 喪失",
    "gendogaku": "限度額認定",
    "gendogaku_gengaku": "限度額・減額",
    "nini_keizoku_shutoku_chien": "任継 取得遅延",
    "nini_keizoku_henko": "任継 変更届",
    "nini_keizoku_fuyo_ido": "任継 扶養異動",
    "nini_keizoku_fuyo_henko": "任継 扶養変更",
    "koreijukyu_saikofu": "高齢受給者証",
    "tokutei_shippei": "特定疾病",
    "kijun_shunyu_shinki": "基準収入(新規)",
    "kijun_shunyu_teiki": "基準収入(定期)",
    "kaigai_ryoyohi": "海外療養費",
    "kogaku_kashitsuke": "高額医療費貸付",
    "shussanhi_kashitsuke": "出産費貸付",
    "isohi": "移送費",
    "kogaku_kaigo_gassan": "高額介護合算",
    "nenkan_kogaku": "年間高額療養費",
    "ho118": "法118条届",
    "shikaku_kakuninsho": "資格確認書",
    "oshirase_kofu": "お知らせ交付",
    "tokutei_kenshin": "特定健診受診券",
    "tokutei_hoken_shido": "保健指導利用券",
}


def short_form_name(code: str, version: int | None = None) -> str:
    """The queue's short name of a form; the full name when it has none."""
    return SHORT_FORM_NAMES.get(code) or form_name(code, version)


def wareki_and_iso(d: date) -> str:
    """「令和7年4月1日（2025-04-01）」."""
    return format_wareki_and_iso(d)


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
