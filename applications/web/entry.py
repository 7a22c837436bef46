"""The entry page generated from the catalogue: one :class:`FieldView` per field of a form
(input type, keyboard, 和暦, ``required_when`` note), the bank account fields, and reading a
POST back into the ``data`` / ``bank_account`` mappings the filing services take.

Labels, help texts and choice labels of the catalogue are Japanese data; they are shown
through ``gettext`` so that a language's catalogue file translates them (the msgids are the
Japanese texts, listed for translators by ``manage.py catalogue_messages``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.http import QueryDict
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from applications.forms_catalogue import FieldSpec, FormDefinition
from applications.forms_catalogue.registry import value_label
from applications.forms_catalogue.schema import Condition
from core.jp.era import format_wareki, format_wareki_year_month
from core.jp.errors import JapaneseValueError

#: How each field type is typed on a phone: (input type, inputmode, autocomplete hint).
INPUTS: dict[str, tuple[str, str]] = {
    "text": ("text", ""),
    "kana": ("text", ""),
    "digits": ("text", "numeric"),
    "integer": ("text", "numeric"),
    "money": ("text", "numeric"),
    "date": ("date", ""),
    "month": ("month", ""),
}
#: Choice fields with at most this many options are radio buttons, longer ones a select.
RADIO_LIMIT = 5


@dataclass(slots=True)
class Choice:
    value: str
    label: str
    checked: bool


@dataclass(slots=True)
class FieldView:
    """One input as the template draws it."""

    name: str  # the HTML name, also the services' error key (``data.<field>``)
    id: str
    label: str
    kind: str  # "input", "textarea", "radios", "select"
    input_type: str = "text"
    inputmode: str = ""
    value: str = ""
    required: bool = False
    help: str = ""
    errors: list[str] = field(default_factory=list)
    choices: list[Choice] = field(default_factory=list)
    when_text: str = ""  # shown beside a conditional field
    when_field: str = ""  # HTML name of the field the condition is on (for the script)
    when_values: str = ""  # space-separated values that make it required
    wareki: str = ""  # 和暦 of a date or month value
    maxlength: int | None = None
    pattern: str = ""


def _t(text: str) -> str:
    """A catalogue text in the page's language (the Japanese text when not translated)."""
    return _(text) if text else ""


def condition_text(form: FormDefinition, condition: Condition) -> str:
    spec = form.field(condition.field)
    values = _("」または「").join(value_label(spec, v) for v in condition.values)
    return _("「%(field)s」が「%(values)s」の場合に入力してください。") % {
        "field": _t(spec.label),
        "values": values,
    }


def _html_value(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def wareki_of(spec: FieldSpec, value: str) -> str:
    """「令和8年3月6日」 beside a date (or month) in ISO form; empty otherwise."""
    try:
        if spec.type == "date":
            return format_wareki(date.fromisoformat(value))
        if spec.type == "month":
            return format_wareki_year_month(date.fromisoformat(f"{value}-01"))
    except (ValueError, JapaneseValueError):
        return ""
    return ""


def field_views(
    form: FormDefinition, values: Mapping[str, Any], errors: Mapping[str, list[str]]
) -> list[FieldView]:
    conditional = {rule.field: rule.condition for rule in form.required_when}
    views = []
    for spec in form.fields:
        name = f"data.{spec.name}"
        value = _html_value(values.get(spec.name))
        view = FieldView(
            name=name,
            id=f"id_data-{spec.name}",
            label=_t(spec.label),
            kind="input",
            value=value,
            required=spec.required,
            help=_t(spec.help),
            errors=list(errors.get(name, [])),
            maxlength=spec.max_length if spec.type in ("text", "kana", "digits") else None,
        )
        if spec.type == "multiline":
            view.kind = "textarea"
        elif spec.type in ("choice", "boolean"):
            options = (
                [("true", _("はい")), ("false", _("いいえ"))]
                if spec.type == "boolean"
                else [(v, _t(label)) for v, label in spec.choices]
            )
            view.choices = [Choice(v, label, v == value) for v, label in options]
            view.kind = "radios" if len(options) <= RADIO_LIMIT else "select"
        else:
            view.input_type, view.inputmode = INPUTS[spec.type]
            if spec.type == "digits":
                view.pattern = "[0-9]*"
            view.wareki = wareki_of(spec, value)
        condition = conditional.get(spec.name)
        if condition is not None:
            view.when_text = condition_text(form, condition)
            view.when_field = f"data.{condition.field}"
            view.when_values = " ".join(_html_value(v) for v in condition.values)
        views.append(view)
    return views


#: The bank account inputs (applications.bank), with their keyboard.
BANK_INPUTS: tuple[tuple[str, str, str, int], ...] = (
    # key, label, inputmode, max length
    ("bank_code", gettext_noop("金融機関コード（4桁）"), "numeric", 4),
    ("branch_code", gettext_noop("支店コード（店番・3桁）"), "numeric", 3),
    ("account_number", gettext_noop("口座番号（7桁まで）"), "numeric", 8),
    ("holder_name", gettext_noop("口座名義（カナ）"), "", 30),
    ("yucho_symbol", gettext_noop("ゆうちょ銀行の記号（5桁）"), "numeric", 5),
    ("yucho_number", gettext_noop("ゆうちょ銀行の番号（8桁まで）"), "numeric", 8),
)
ACCOUNT_TYPE_CHOICES = (
    ("1", gettext_noop("普通")),
    ("2", gettext_noop("当座")),
    ("4", gettext_noop("貯蓄")),
)
#: The status names as members read them (the model's labels, marked here for the member
#: site's catalogue check).
STATUS_NAMES = (
    gettext_noop("下書き"),
    gettext_noop("受付"),
    gettext_noop("審査中"),
    gettext_noop("審査完了"),
    gettext_noop("返戻"),
)


def bank_views(values: Mapping[str, Any] | None, errors: Mapping[str, list[str]]) -> dict:
    """The bank account inputs by key (the template lays them out with the search)."""
    values = values or {}
    views: dict[str, FieldView] = {}
    for key, label, inputmode, maxlength in BANK_INPUTS:
        name = f"bank_account.{key}"
        views[key] = FieldView(
            name=name,
            id=f"id_bank-{key}",
            label=_(label),
            kind="input",
            inputmode=inputmode,
            pattern="[0-9]*" if inputmode else "",
            value=_html_value(values.get(key)),
            required=key not in ("yucho_symbol", "yucho_number"),
            errors=list(errors.get(name, [])),
            maxlength=maxlength,
        )
    chosen = _html_value(values.get("account_type")) or "1"
    views["account_type"] = FieldView(
        name="bank_account.account_type",
        id="id_bank-account_type",
        label=_("預金種目"),
        kind="radios",
        required=True,
        choices=[Choice(v, _(label), v == chosen) for v, label in ACCOUNT_TYPE_CHOICES],
        errors=list(errors.get("bank_account.account_type", [])),
    )
    return views


def data_from_post(form: FormDefinition, post: QueryDict) -> dict[str, str]:
    """The entered values by field name; fields not sent (a hidden conditional field, an
    unanswered question) are left out, which the services read as "not entered"."""
    data = {}
    for spec in form.fields:
        value = post.get(f"data.{spec.name}")
        if value is not None:
            data[spec.name] = value[:2000]
    return data


def bank_from_post(post: QueryDict) -> dict[str, str] | None:
    keys = [key for key, *_rest in BANK_INPUTS] + ["account_type"]
    entered = {k: post.get(f"bank_account.{k}", "").strip()[:100] for k in keys}
    if not any(v for k, v in entered.items() if k != "account_type"):
        return None
    return {k: v for k, v in entered.items() if v}
