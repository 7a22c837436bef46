"""The bank account a benefit is paid into (口座情報; DOMAIN.md "Bank accounts").

:func:`validate_bank_account` checks what a member entered on the 口座情報入力画面 against the
全銀 bank and branch list (the ``zengin-code`` package) and returns a :class:`BankAccount` in
全銀 transfer form. Input keys (strings; full-width digits accepted):

=================  ==========================================================================
``bank_code``      金融機関コード, 4 digits
``branch_code``    支店コード, 3 digits (for ゆうちょ銀行: the 振込用 店番, if no 記号・番号)
``account_type``   預金種目: "1" 普通, "2" 当座, "4" 貯蓄 (or the label 「普通」…)
``account_number`` 口座番号, up to 7 digits
``holder_name``    口座名義 in kana (full-, half-width or hiragana), converted to 全銀 kana
``yucho_symbol``   ゆうちょ銀行 only: the passbook 記号, 5 digits
``yucho_number``   ゆうちょ銀行 only: the passbook 番号, up to 8 digits
=================  ==========================================================================

Interpretations:

* 口座番号 shorter than 7 digits is zero-padded on the left (the 全銀 format right-aligns
  account numbers; banks that issue 6-digit numbers are entered as printed). All zeros refused.
* ゆうちょ銀行 (9900) accepts either the passbook 記号・番号, converted by the rule of
  DOMAIN.md (記号 17300 → 店番 738; 番号 19927651 → 口座番号 1992765; 普通), or the 振込用
  店番 and 口座番号 directly. NOTE: DOMAIN.md's worked example gives 0199276 for 19927651,
  which contradicts its own rule ("the 番号 without its last digit") and ゆうちょ銀行's
  published rule (drop the trailing 1); the rule is implemented, not the example.
  Only 通常貯金 記号 (first digit 1) are converted: 記号 starting with 0 are 振替口座, which
  this service does not accept as a payee account (:data:`YUCHO_ACCEPT_FURIKAE`).
* 口座名義 is limited to :data:`HOLDER_MAX_LENGTH` half-width characters (the 全銀 受取人名 field).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from django.utils.translation import gettext as _

from applications.forms_catalogue.errors import FormDataError
from applications.forms_catalogue.registry import japanese_active
from core.jp.errors import JapaneseValueError
from core.jp.kana import normalize_digits, to_zengin_kana

YUCHO_BANK_CODE = "9900"
#: 預金種目 codes of the 全銀 format.
ACCOUNT_TYPES: dict[str, str] = {"1": "普通", "2": "当座", "4": "貯蓄"}
#: Length of the 全銀 受取人名 field (half-width characters).
HOLDER_MAX_LENGTH = 30
#: 振替口座 (記号 starting with 0) are not accepted as payee accounts (interpretation).
YUCHO_ACCEPT_FURIKAE = False

FIELDS = (
    "bank_code",
    "branch_code",
    "account_type",
    "account_number",
    "holder_name",
    "yucho_symbol",
    "yucho_number",
)

_SEPARATORS = re.compile("[-‐‑–—−－ー\\s\u3000]")


@dataclass(frozen=True)
class BankAccount:
    """A checked payee account, in 全銀 form, with names for display."""

    bank_code: str
    branch_code: str
    account_type: str
    account_number: str
    holder_kana: str
    bank_name: str
    bank_kana: str
    branch_name: str
    branch_kana: str
    yucho_symbol: str | None = None
    yucho_number: str | None = None

    @property
    def account_type_label(self) -> str:
        return ACCOUNT_TYPES[self.account_type]

    @property
    def is_yucho(self) -> bool:
        return self.bank_code == YUCHO_BANK_CODE


@dataclass(frozen=True)
class _Bank:
    name: str
    kana: str
    branches: Mapping[str, tuple[str, str]]  # branch code → (name, kana)


@cache
def _banks() -> Mapping[str, _Bank]:
    """The 全銀 list, loaded on first use (importing ``zengin_code`` reads every branch file)."""
    # Deliberately lazy: importing zengin_code reads every branch file.
    from zengin_code import Bank

    return {
        code: _Bank(
            name=bank.name,
            kana=bank.kana,
            branches={b.code: (b.name, b.kana) for b in bank.branches.values()},
        )
        for code, bank in Bank.all.items()
    }


def yucho_to_zengin(symbol: str, number: str) -> tuple[str, str]:
    """Convert a ゆうちょ passbook 記号 (5 digits) and 番号 (up to 8 digits) to the 振込用
    (店番, 口座番号): 店番 = 2nd–3rd digits of the 記号 + "8"; 口座番号 = the 番号 without its
    last digit, zero-padded to 7. Only checks the shape; raises ValueError.

    >>> yucho_to_zengin("17300", "19927651")
    ('738', '1992765')
    >>> yucho_to_zengin("10530", "123451")
    ('058', '0012345')
    """
    if not (len(symbol) == 5 and symbol.isascii() and symbol.isdigit()):
        raise ValueError(f"bad 記号 {symbol!r}")
    if not (2 <= len(number) <= 8 and number.isascii() and number.isdigit()):
        raise ValueError(f"bad 番号 {number!r}")
    return symbol[1:3] + "8", number[:-1].zfill(7)


def _digits(value: Any) -> str | None:
    """Normalised digit string, None when empty; raises TypeError for non-strings."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise TypeError
    text = _SEPARATORS.sub("", normalize_digits(str(value)))
    return text or None


def _is_digits(text: str) -> bool:
    return text.isascii() and text.isdigit()


def _account_type(value: Any) -> str | None:
    if value is None or value == "":
        return None
    text = normalize_digits(str(value))
    for code, label in ACCOUNT_TYPES.items():
        if text in (code, label, label + "預金"):
            return code
    return "?"


def validate_bank_account(data: Mapping[str, Any]) -> BankAccount:
    """Check and normalise a payee account; raises :class:`FormDataError` (field → messages)."""
    errors: dict[str, list[str]] = {}

    def fail(name: str, message: str) -> None:
        errors.setdefault(name, []).append(message)

    for key in data:
        if key not in FIELDS:
            fail(str(key), _("「%(key)s」は口座情報にない項目です。") % {"key": key})

    raw: dict[str, str | None] = {}
    for name in ("bank_code", "branch_code", "account_number", "yucho_symbol", "yucho_number"):
        try:
            raw[name] = _digits(data.get(name))
        except TypeError:
            raw[name] = None
            fail(name, _("数字で入力してください。"))

    # 金融機関コード
    bank_code = raw["bank_code"]
    bank: _Bank | None = None
    if bank_code is None:
        if "bank_code" not in errors:
            fail("bank_code", _("金融機関コード（4桁）を入力してください。"))
    elif not (_is_digits(bank_code) and len(bank_code) == 4):
        fail("bank_code", _("金融機関コードは4桁の数字で入力してください。"))
    else:
        bank = _banks().get(bank_code)
        if bank is None:
            fail(
                "bank_code",
                _(
                    "金融機関コード「%(code)s」の金融機関は見つかりません。"
                    "通帳やキャッシュカードで金融機関コードを確認してください。"
                )
                % {"code": bank_code},
            )

    account_type = _account_type(data.get("account_type"))
    if account_type == "?":
        fail("account_type", _("預金種目は「普通」「当座」「貯蓄」のいずれかを選択してください。"))

    yucho_symbol, yucho_number = raw["yucho_symbol"], raw["yucho_number"]
    branch_code, account_number = raw["branch_code"], raw["account_number"]
    uses_passbook = yucho_symbol is not None or yucho_number is not None

    if uses_passbook and bank_code != YUCHO_BANK_CODE:
        fail("yucho_symbol", _("記号・番号はゆうちょ銀行の場合のみ入力してください。"))
    elif uses_passbook:
        if branch_code is not None or account_number is not None:
            fail(
                "yucho_symbol",
                _(
                    "ゆうちょ銀行は「記号・番号」か「店番・口座番号」の"
                    "どちらか一方を入力してください。"
                ),
            )
        if yucho_symbol is None:
            fail("yucho_symbol", _("通帳の記号（5桁）を入力してください。"))
        elif not (_is_digits(yucho_symbol) and len(yucho_symbol) == 5):
            fail("yucho_symbol", _("記号は5桁の数字で入力してください。"))
        elif yucho_symbol[0] == "0" and not YUCHO_ACCEPT_FURIKAE:
            fail(
                "yucho_symbol",
                _(
                    "記号が「0」で始まる振替口座は振込先に指定できません。"
                    "記号が「1」で始まる通常貯金の口座を指定してください。"
                ),
            )
        elif yucho_symbol[0] != "1":
            fail(
                "yucho_symbol",
                _("ゆうちょ銀行の記号は「1」で始まる5桁の数字です。通帳の記号を確認してください。"),
            )
        if yucho_number is None:
            fail("yucho_number", _("通帳の番号（8桁まで）を入力してください。"))
        elif not (_is_digits(yucho_number) and 2 <= len(yucho_number) <= 8):
            fail("yucho_number", _("番号は8桁までの数字で入力してください。"))
        elif int(yucho_number[:-1]) == 0:
            fail("yucho_number", _("番号が正しくありません。通帳の番号を確認してください。"))
        if account_type not in (None, "1"):
            fail("account_type", _("ゆうちょ銀行の通常貯金の預金種目は「普通」です。"))
        if (
            yucho_symbol
            and yucho_number
            and not errors.keys() & {"yucho_symbol", "yucho_number", "account_type"}
        ):
            branch_code, account_number = yucho_to_zengin(yucho_symbol, yucho_number)
            account_type = "1"
    else:
        # 支店コード and 口座番号 as printed for transfers.
        if branch_code is None:
            if "branch_code" not in errors:
                fail(
                    "branch_code",
                    _("店番（3桁）（または通帳の記号・番号）を入力してください。")
                    if bank_code == YUCHO_BANK_CODE
                    else _("支店コード（3桁）を入力してください。"),
                )
        elif not (_is_digits(branch_code) and len(branch_code) == 3):
            fail("branch_code", _("支店コードは3桁の数字で入力してください。"))
        if account_number is None:
            if "account_number" not in errors:
                fail("account_number", _("口座番号を入力してください。"))
        elif not (_is_digits(account_number) and len(account_number) <= 7):
            fail("account_number", _("口座番号は7桁までの数字で入力してください。"))
        elif int(account_number) == 0:
            fail(
                "account_number",
                _("口座番号が正しくありません。通帳の口座番号を確認してください。"),
            )
        else:
            account_number = account_number.zfill(7)
        if account_type is None:
            fail("account_type", _("預金種目を選択してください。"))

    branch: tuple[str, str] | None = None
    if (
        bank is not None
        and branch_code is not None
        and not errors.keys() & {"branch_code", "yucho_symbol", "yucho_number"}
    ):
        branch = bank.branches.get(branch_code)
        if branch is None:
            field = "yucho_symbol" if uses_passbook else "branch_code"
            message = (
                _(
                    "%(bank)sに記号から求めた店番「%(code)s」の店舗は見つかりません。"
                    "通帳やキャッシュカードで確認してください。"
                )
                if uses_passbook
                else _(
                    "%(bank)sに支店コード「%(code)s」の店舗は見つかりません。"
                    "通帳やキャッシュカードで確認してください。"
                )
            )
            fail(field, message % {"bank": bank.name, "code": branch_code})

    holder_raw = data.get("holder_name")
    holder = ""
    if not isinstance(holder_raw, str) or not holder_raw.strip(" \u3000"):
        fail("holder_name", _("口座名義をカタカナで入力してください。"))
    else:
        try:
            holder = to_zengin_kana(holder_raw)
        except JapaneseValueError as exc:
            detail = exc.message.rstrip("。") if japanese_active() else ""
            fail(
                "holder_name",
                detail + _("。口座名義は通帳のとおりカタカナで入力してください。")
                if detail
                else _(
                    "口座名義に使用できない文字が含まれています。通帳のとおりカタカナで入力してください。"
                ),
            )
        else:
            if len(holder) > HOLDER_MAX_LENGTH:
                fail(
                    "holder_name",
                    _("口座名義は半角%(max)s文字以内にしてください（現在%(count)s文字）。")
                    % {"max": HOLDER_MAX_LENGTH, "count": len(holder)},
                )

    if errors:
        raise FormDataError(errors)
    assert bank is not None and branch is not None and account_type and account_number
    return BankAccount(
        bank_code=bank_code or "",
        branch_code=branch_code or "",
        account_type=account_type,
        account_number=account_number,
        holder_kana=holder,
        bank_name=bank.name,
        bank_kana=bank.kana,
        branch_name=branch[0],
        branch_kana=branch[1],
        yucho_symbol=yucho_symbol if uses_passbook else None,
        yucho_number=yucho_number if uses_passbook else None,
    )


# --- search (the member site's bank and branch pickers) ----------------------------------------


@dataclass(frozen=True, slots=True)
class BankHit:
    code: str
    name: str
    kana: str


def _matches(term: str, code: str, name: str, kana: str) -> bool:
    return term in code or term in name or term in kana


def search_banks(term: str, *, limit: int = 20) -> list[BankHit]:
    """Banks whose code, name or kana contains ``term`` (digits and kana normalised)."""
    term = normalize_digits(term.strip())
    if not term:
        return []
    hits = [
        BankHit(code, bank.name, bank.kana)
        for code, bank in sorted(_banks().items())
        if _matches(term, code, bank.name, bank.kana)
    ]
    return hits[:limit]


def search_branches(bank_code: str, term: str, *, limit: int = 30) -> list[BankHit]:
    """Branches of ``bank_code`` whose code, name or kana contains ``term`` (all when empty)."""
    bank = _banks().get(normalize_digits(bank_code.strip()))
    if bank is None:
        return []
    term = normalize_digits(term.strip())
    hits = [
        BankHit(code, name, kana)
        for code, (name, kana) in sorted(bank.branches.items())
        if not term or _matches(term, code, name, kana)
    ]
    return hits[:limit]
