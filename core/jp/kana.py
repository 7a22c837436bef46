"""Kana and digit normalisation for names (フリガナ) and bank account holders (全銀 kana).

Only kana, digits, ASCII and spaces are ever touched: the whole string is NEVER
NFKC-normalised, because NFKC silently changes kanji in real names
(U+FA19 神 → U+795E 神, and similar compatibility ideographs).
"""

from __future__ import annotations

import re

import jaconv

from core.jp.errors import JapaneseValueError

FULLWIDTH_SPACE = "\u3000"

#: Runs of ASCII spaces and full-width spaces, collapsed into one full-width space.
_SPACE_RUN = re.compile("[ \u3000]+")

_FULLWIDTH_DIGITS = str.maketrans("０１２３４５６７８９", "0123456789")
_ASCII_UPPER = str.maketrans("abcdefghijklmnopqrstuvwxyz", "ABCDEFGHIJKLMNOPQRSTUVWXYZ")

#: Characters allowed in a フリガナ besides the full-width space: ァ (U+30A1) … ヶ (U+30F6),
#: which includes ヴ (U+30F4), and the long-vowel mark ー (U+30FC).
_KATAKANA_RE = re.compile("[\u30a1-\u30f6\u30fc\u3000]")

#: Small kana written large in 全銀 names (the half-width set has no ヰ/ヱ either).
_ZENGIN_LARGE = str.maketrans(
    {
        "ァ": "ア",
        "ィ": "イ",
        "ゥ": "ウ",
        "ェ": "エ",
        "ォ": "オ",
        "ッ": "ツ",
        "ャ": "ヤ",
        "ュ": "ユ",
        "ョ": "ヨ",
        "ヮ": "ワ",
        "ヵ": "カ",
        "ヶ": "ケ",
        "ヰ": "イ",
        "ヱ": "エ",
    }
)

#: The long-vowel mark in 全銀 names: the 全銀 character set has no ｰ, banks write a hyphen.
ZENGIN_LONG_VOWEL = "-"

#: Half-width katakana allowed in 全銀 names: ｦ, ｱ–ﾝ and the (semi-)voiced marks ﾞ ﾟ.
#: The small kana ｧ–ｯ (U+FF67–FF6F) are not allowed: they are written large.
ZENGIN_KANA = "ｦ" + "".join(chr(c) for c in range(0xFF71, 0xFF9E)) + "ﾞﾟ"
#: Symbols allowed in 全銀 names (space and ( ) . - /).
ZENGIN_SYMBOLS = " ().-/"
ZENGIN_ALLOWED = frozenset(
    ZENGIN_KANA + ZENGIN_LONG_VOWEL + ZENGIN_SYMBOLS + "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
)


def _show(chars: list[str]) -> str:
    """The offending characters, each once, in order; invisible ones as U+XXXX."""
    seen: dict[str, None] = dict.fromkeys(chars)
    return "、".join(c if c.isprintable() and not c.isspace() else f"U+{ord(c):04X}" for c in seen)


def normalize_digits(s: str) -> str:
    """Full-width digits ０–９ → ASCII 0–9, surrounding whitespace stripped; nothing else changes.

    >>> normalize_digits(" ０１２３ ")
    '0123'
    """
    return s.translate(_FULLWIDTH_DIGITS).strip()


def normalize_kana(s: str) -> str:
    """Normalise a reading typed by a person, touching only kana, digits, ASCII and spaces.

    - half-width katakana → full-width (ｶﾞ → ガ, ｰ → ー);
    - hiragana → katakana;
    - full-width ASCII letters, digits and symbols → ASCII;
    - runs of ASCII and full-width spaces → one full-width space; the ends are stripped.

    Kanji and every other character are left exactly as given (no NFKC).
    """
    s = jaconv.h2z(s, kana=True, ascii=False, digit=False)
    s = jaconv.z2h(s, kana=False, ascii=True, digit=True)
    s = jaconv.hira2kata(s)
    return _SPACE_RUN.sub(FULLWIDTH_SPACE, s).strip()


def validate_katakana(s: str, *, label: str = "フリガナ") -> str:
    """Return the normalised reading, or raise when it is not full-width katakana.

    Allowed after :func:`normalize_kana`: ァ–ヶ (with ヴ), ー and the full-width space.
    ``label`` names the field in the message.

    Raises :class:`JapaneseValueError` with code ``"empty"`` or ``"not_katakana"``.
    """
    normalized = normalize_kana(s)
    if not normalized:
        raise JapaneseValueError("empty", f"{label}を入力してください")
    bad = [c for c in normalized if not _KATAKANA_RE.fullmatch(c)]
    if bad:
        raise JapaneseValueError(
            "not_katakana",
            f"{label}は全角カタカナで入力してください（使用できない文字: {_show(bad)}）",
        )
    return normalized


def to_zengin_kana(s: str) -> str:
    """Convert an account holder's name to the 全銀 half-width form.

    Kana (hiragana, full- or half-width katakana) become half-width katakana with the small
    kana written large (ャ → ﾔ, ッ → ﾂ), ヴ → ｳﾞ, ー → :data:`ZENGIN_LONG_VOWEL`; full-width
    letters, digits and symbols become ASCII; lowercase letters become uppercase; space runs
    become one half-width space.

    Raises :class:`JapaneseValueError` (code ``"empty"`` or ``"not_zengin"``) when a character
    cannot be written in the 全銀 set (ｦ, ｱ–ﾝ, ﾞ, ﾟ, ｰ, 0–9, A–Z, space and ( ) . - /); the
    message names the offending characters as normalised (full-width).
    """
    kana = normalize_kana(s).translate(_ZENGIN_LARGE)
    if not kana:
        raise JapaneseValueError("empty", "口座名義を入力してください")
    out: list[str] = []
    bad: list[str] = []
    for char in kana:
        # Character by character, so that the message names what the person typed.
        half = jaconv.z2h(char, kana=True, ascii=True, digit=True)
        # Only ASCII letters are uppercased (str.upper() would turn ß into SS).
        half = half.replace("ｰ", ZENGIN_LONG_VOWEL).translate(_ASCII_UPPER)
        if all(c in ZENGIN_ALLOWED for c in half):
            out.append(half)
        else:
            bad.append(char)
    if bad:
        raise JapaneseValueError(
            "not_zengin",
            f"口座名義に使用できない文字が含まれています（使用できない文字: {_show(bad)}）",
        )
    return "".join(out)
