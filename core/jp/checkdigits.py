"""Check digits and fixed-width numbers: 保険者番号, 個人番号 (My Number), 郵便番号, 特定記録.

Validators return the canonical form (ASCII digits only) or raise
:class:`core.jp.errors.JapaneseValueError`. Messages never repeat the value given, so a
My Number cannot leak into logs through an error.
"""

from __future__ import annotations

import re

from core.jp.errors import JapaneseValueError
from core.jp.kana import normalize_digits

#: The association's 法別番号 (law number) in its insurer numbers.
ASSOCIATION_LAW_NUMBER = "01"
#: The serial of every association branch within its prefecture.
ASSOCIATION_BRANCH_SERIAL = "001"

#: Hyphen look-alikes people type between digit groups (ASCII, Unicode dashes, full-width,
#: the katakana long-vowel mark an IME produces).
_HYPHENS = "-\u2010\u2011\u2012\u2013\u2014\u2212\uff0d\u30fc\uff70"
#: What may stand between the digit groups of a number: the hyphens and both spaces.
SEPARATOR_CHARS = f"{_HYPHENS} \u3000"
_SEPARATORS = re.compile(f"[{SEPARATOR_CHARS}]")

#: My Number weights for the first 11 digits, left to right.
MY_NUMBER_WEIGHTS = (6, 5, 4, 3, 2, 7, 6, 5, 4, 3, 2)


def _digits(s: str, length: int) -> str | None:
    """``s`` with full-width digits made ASCII, if it is exactly ``length`` ASCII digits."""
    text = normalize_digits(s)
    if len(text) == length and text.isascii() and text.isdigit():
        return text
    return None


def insurer_number_check_digit(first7: str) -> int:
    """Check digit of a 保険者番号 from its first 7 digits (MHLW 保険者番号設定要領).

    From the rightmost digit, multiply alternately by 2, 1, 2, 1 …; add the digits of each
    product; the check is (10 − sum mod 10) mod 10. ``"3312001"`` → 5.
    """
    digits = _digits(first7, 7)
    if digits is None:
        raise JapaneseValueError("format", "保険者番号の先頭7桁は数字7桁で指定してください")
    total = 0
    for position, char in enumerate(reversed(digits)):
        product = int(char) * (2 if position % 2 == 0 else 1)
        total += product // 10 + product % 10
    return (10 - total % 10) % 10


def validate_insurer_number(s: str) -> str:
    """An 8-digit 保険者番号 with a correct check digit (full-width digits accepted).

    Raises code ``"format"`` or ``"check_digit"``.
    """
    digits = _digits(s, 8)
    if digits is None:
        raise JapaneseValueError("format", "保険者番号は数字8桁で入力してください")
    if insurer_number_check_digit(digits[:7]) != int(digits[7]):
        raise JapaneseValueError("check_digit", "保険者番号が正しくありません（検証番号の誤り）")
    return digits


def branch_insurer_number(prefecture_code: int) -> str:
    """The insurer number of the association's branch in a prefecture (JIS X 0401, 1–47).

    ``"01"`` + PP + ``"001"`` + check digit: 1 北海道 → 01010016, 13 東京 → 01130012.
    """
    if isinstance(prefecture_code, bool) or not 1 <= prefecture_code <= 47:
        raise JapaneseValueError("prefecture", "都道府県コードは1～47で指定してください")
    first7 = f"{ASSOCIATION_LAW_NUMBER}{prefecture_code:02d}{ASSOCIATION_BRANCH_SERIAL}"
    return f"{first7}{insurer_number_check_digit(first7)}"


def my_number_check_digit(first11: str) -> int:
    """Check digit of a My Number: weights 6,5,4,3,2,7,6,5,4,3,2 over the first 11 digits,
    r = sum mod 11, check = 0 if r ≤ 1 else 11 − r.
    """
    digits = _digits(first11, 11)
    if digits is None:
        raise JapaneseValueError("format", "個人番号の先頭11桁は数字11桁で指定してください")
    remainder = sum(int(c) * w for c, w in zip(digits, MY_NUMBER_WEIGHTS, strict=True)) % 11
    return 0 if remainder <= 1 else 11 - remainder


def validate_my_number(s: str) -> str:
    """A 12-digit My Number with a correct check digit; returns the 12 ASCII digits.

    Full-width digits, spaces and hyphens between groups are accepted. Raises code
    ``"format"`` or ``"check_digit"``; the message never contains the number.
    """
    digits = _digits(_SEPARATORS.sub("", s), 12)
    if digits is None:
        raise JapaneseValueError("format", "個人番号は数字12桁で入力してください")
    if my_number_check_digit(digits[:11]) != int(digits[11]):
        raise JapaneseValueError("check_digit", "個人番号が正しくありません（検査用数字の誤り）")
    return digits


_POSTAL = re.compile(f"〒?[ \u3000]*([0-9]{{3}})[{_HYPHENS}]?([0-9]{{4}})")


def validate_postal_code(s: str) -> str:
    """A 郵便番号: "1000001", "100-0001", "〒100-0001", full-width digits → "1000001".

    Raises code ``"format"``.
    """
    match = _POSTAL.fullmatch(normalize_digits(s))
    if match is None:
        raise JapaneseValueError(
            "format", "郵便番号は「100-0001」のように数字7桁で入力してください"
        )
    return match[1] + match[2]


def format_postal_code(s: str) -> str:
    """A 郵便番号 as printed: 「〒100-0001」."""
    code = validate_postal_code(s)
    return f"〒{code[:3]}-{code[3:]}"


def validate_tracking_number(s: str) -> str:
    """A 特定記録 (tracked mail) number: 11 digits; hyphens and spaces between groups and
    full-width digits are accepted. Returns the 11 ASCII digits; raises code ``"format"``.

    No check digit is verified: DOMAIN.md documents none.
    """
    digits = _digits(_SEPARATORS.sub("", s), 11)
    if digits is None:
        raise JapaneseValueError(
            "format", "特定記録の番号は「123-45-67890-1」のように数字11桁で入力してください"
        )
    return digits


def format_tracking_number(s: str) -> str:
    """A 特定記録 number as printed: NNN-NN-NNNNN-N."""
    d = validate_tracking_number(s)
    return f"{d[:3]}-{d[3:5]}-{d[5:10]}-{d[10]}"
