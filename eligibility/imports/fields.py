"""Parsing one cell. Each parser returns the clean value or raises :class:`FieldError`
with a Japanese message that does not repeat the value (it may be a My Number).

The common, already-clean forms take a fast path (a million rows are parsed per run);
everything else goes through the shared rules in :mod:`core.jp`.
"""

from __future__ import annotations

import re
from datetime import date

from core.jp.checkdigits import validate_insurer_number, validate_my_number, validate_postal_code
from core.jp.dates import parse_date as parse_any_date
from core.jp.errors import JapaneseValueError
from core.jp.kana import normalize_digits, validate_katakana
from eligibility.imports.errors import FieldError

_KATAKANA_CLEAN = re.compile("[\u30a1-\u30f6\u30fc]+(?:\u3000[\u30a1-\u30f6\u30fc]+)*")
_PHONE = re.compile(r"[0-9]{2,5}-?[0-9]{1,4}-?[0-9]{3,4}")
_FULLWIDTH_ASCII = str.maketrans(
    {chr(c): chr(c - 0xFEE0) for c in range(0xFF01, 0xFF5F)} | {"\u3000": " "}
)
#: What exporters write for a character their encoding cannot carry (外字): the geta mark,
#: the replacement character, or a question mark.
SUBSTITUTE_CHARS = ("〓", "\ufffd", "?", "？")
_CONTROL = re.compile("[\x00-\x1f\x7f]")
_SUSPICIOUS = re.compile("[\x00-\x1f\x7f" + "".join(SUBSTITUTE_CHARS) + "]")


def required(value: str) -> str:
    text = value.strip()
    if not text:
        raise FieldError("入力されていません")
    return text


def digits(value: str, *, min_len: int, max_len: int, label: str) -> str:
    text = value.strip()
    if not (text.isascii() and text.isdigit()):
        text = normalize_digits(text)
    if not (text.isascii() and text.isdigit() and min_len <= len(text) <= max_len):
        span = f"{min_len}桁" if min_len == max_len else f"{min_len}～{max_len}桁"
        raise FieldError(f"{label}は数字{span}で入力してください")
    return text


def branch_number(value: str) -> str:
    text = digits(value, min_len=1, max_len=2, label="枝番")
    return text.zfill(2)


def parse_date(value: str) -> date:
    """The already-clean ISO form (YYYY-MM-DD) on a fast path; anything else through the one
    date parser, :func:`core.jp.dates.parse_date` (Western or 和暦)."""
    text = value.strip()
    if len(text) == 10 and text[4] == "-" and text[7] == "-" and text.isascii():
        try:
            return date.fromisoformat(text)  # YYYY-MM-DD only: "2025-W01-1" has no "-" at 7
        except ValueError:
            pass  # an impossible day such as 2025-02-30: the message comes below
    try:
        return parse_any_date(text)
    except JapaneseValueError as exc:
        raise FieldError(exc.message) from None


def optional_date(value: str) -> date | None:
    return parse_date(value) if value.strip() else None


def katakana(value: str, *, label: str) -> str:
    text = value.strip()
    if _KATAKANA_CLEAN.fullmatch(text):
        return text
    try:
        return validate_katakana(text, label=label)
    except JapaneseValueError as exc:
        raise FieldError(exc.message) from None


def name(value: str, *, max_length: int, label: str) -> str:
    """A name as given (never NFKC-normalised: 外字 stay as they are)."""
    text = required(value)
    if len(text) <= max_length and not _SUSPICIOUS.search(text):
        return text
    if _CONTROL.search(text):
        raise FieldError(f"{label}に制御文字が含まれています")
    for mark in SUBSTITUTE_CHARS:
        if mark in text:
            raise FieldError(
                f"{label}に代替文字「{mark}」が含まれています（Shift_JIS で表せない外字が"
                "置き換えられた可能性があります）。"
                "正しい文字を UTF-8 のファイルで取り込んでください"
            )
    if len(text) > max_length:
        raise FieldError(f"{label}は{max_length}文字以内で入力してください")
    return text


def text(value: str, *, max_length: int, label: str) -> str:
    result = value.strip()
    if len(result) <= max_length and not _CONTROL.search(result):
        return result
    if _CONTROL.search(result.replace("\n", "").replace("\r", "")):
        raise FieldError(f"{label}に制御文字が含まれています")
    if len(result) > max_length:
        raise FieldError(f"{label}は{max_length}文字以内で入力してください")
    return result


def postal_code(value: str, *, optional: bool) -> str:
    if len(value) == 7 and value.isascii() and value.isdigit():
        return value
    text_ = value.strip()
    if not text_:
        if optional:
            return ""
        raise FieldError("入力されていません")
    if len(text_) == 7 and text_.isascii() and text_.isdigit():
        return text_
    try:
        return validate_postal_code(text_)
    except JapaneseValueError as exc:
        raise FieldError(exc.message) from None


def phone(value: str) -> str:
    text_ = value.strip().translate(_FULLWIDTH_ASCII).replace("ー", "-").replace(" ", "")
    if not text_:
        return ""
    if not _PHONE.fullmatch(text_) or not 10 <= len(text_.replace("-", "")) <= 11:
        raise FieldError("電話番号は「03-1234-5678」のように数字10～11桁で入力してください")
    return text_


def yen(value: str, *, label: str) -> int | None:
    if value.isascii() and value.isdigit() and value[0] != "0" and len(value) <= 9:
        return int(value)
    text_ = normalize_digits(value).replace(",", "").replace("，", "")
    if not text_:
        return None
    if not (text_.isascii() and text_.isdigit()) or int(text_) <= 0 or len(text_) > 9:
        raise FieldError(f"{label}は正の整数（円）で入力してください")
    return int(text_)


_WEIGHTS = (6, 5, 4, 3, 2, 7, 6, 5, 4, 3, 2)


def my_number(value: str) -> str | None:
    """The 12 ASCII digits, or None when blank. The message never contains the number."""
    if not value:
        return None
    if len(value) == 12 and value.isascii() and value.isdigit():
        remainder = sum(int(c) * w for c, w in zip(value, _WEIGHTS)) % 11  # noqa: B905
        if (0 if remainder <= 1 else 11 - remainder) == int(value[11]):
            return value
    if not value.strip():
        return None
    try:
        return validate_my_number(value)
    except JapaneseValueError as exc:
        raise FieldError(exc.message) from None


_YES = frozenset({"1", "有", "あり", "有り", "希望", "希望する", "○", "〇", "はい", "true", "TRUE"})
_NO = frozenset({"", "0", "無", "なし", "無し", "希望しない", "×", "いいえ", "false", "FALSE"})


def flag(value: str, *, label: str) -> bool:
    if value == "0" or not value:
        return False
    if value == "1":
        return True
    text_ = normalize_digits(value)
    if text_ in _YES:
        return True
    if text_ in _NO:
        return False
    raise FieldError(f"{label}は「1」（希望する）または「0」（希望しない）で入力してください")


def insurer_or_prefecture(value: str) -> tuple[str, str]:
    """("insurer", 8 digits) or ("code", "1"–"47") for the 保険者番号 / 支部コード cell."""
    text_ = normalize_digits(required(value))
    if text_.isascii() and text_.isdigit() and len(text_) <= 2:
        return "code", str(int(text_))
    if len(text_) == 8:
        try:
            return "insurer", validate_insurer_number(text_)
        except JapaneseValueError as exc:
            raise FieldError(exc.message) from None
    raise FieldError(
        "保険者番号（数字8桁）または支部コード（都道府県コード1～47）を入力してください"
    )
