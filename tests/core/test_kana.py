"""Kana normalisation and validation (core.jp.kana)."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.jp.errors import JapaneseValueError
from core.jp.kana import normalize_digits, normalize_kana, to_zengin_kana, validate_katakana

FW_SPACE = "\u3000"
KATAKANA = [chr(c) for c in range(0x30A1, 0x30F7)] + ["ー"]  # ァ … ヶ, ー (DOMAIN.md)
HIRAGANA = [chr(c) for c in range(0x3041, 0x3097)]  # ぁ … ゖ

# Half-width units whose NFKC form is one character: used as an oracle for the
# half-width → full-width conversion (NFKC on kana alone is harmless; never on names).
_HW_BASES = [chr(c) for c in range(0xFF66, 0xFF9E)]  # ｦ … ﾝ (incl. small kana and ｰ)
HW_UNITS = _HW_BASES + [
    base + mark
    for base in _HW_BASES
    for mark in "ﾞﾟ"
    # ｦﾞ etc. (NFKC ヺ, outside the フリガナ set anyway) are left to validation.
    if len(unicodedata.normalize("NFKC", base + mark)) == 1
    and unicodedata.normalize("NFKC", base + mark) not in "ヷヸヹヺ"
]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("ﾔﾏﾀﾞ ﾀﾛｳ", "ヤマダ　タロウ"),
        ("やまだ　たろう", "ヤマダ　タロウ"),
        ("  ヤマダ  　 タロウ  ", "ヤマダ　タロウ"),
        ("ｶﾞｷﾞｸﾞｹﾞｺﾞ", "ガギグゲゴ"),
        ("ﾊﾟﾋﾟﾌﾟﾍﾟﾎﾟ", "パピプペポ"),
        ("ｳﾞｧｲｵﾘﾝ", "ヴァイオリン"),
        ("ゔぁいおりん", "ヴァイオリン"),
        ("ｺｰﾋｰ", "コーヒー"),
        ("ＡＢＣ１２３", "ABC123"),
        ("ｷｮｳｶｲｹﾝﾎﾟ", "キョウカイケンポ"),
    ],
)
def test_normalize_kana_examples(raw: str, expected: str) -> None:
    assert normalize_kana(raw) == expected


@pytest.mark.parametrize("name", ["\ufa19", "髙橋", "山﨑", "①", "㈱", "神田", "渡邊"])
def test_normalize_kana_leaves_kanji_and_compatibility_characters_alone(name: str) -> None:
    # NFKC would change all of these (U+FA19 → U+795E, ① → 1, ㈱ → (株)).
    assert normalize_kana(name) == name


@given(st.text(st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF), min_size=1))
def test_normalize_kana_keeps_cjk_unified(name: str) -> None:
    assert normalize_kana(name) == name


@given(st.text(st.characters(min_codepoint=0xF900, max_codepoint=0xFAD9), min_size=1))
def test_normalize_kana_keeps_compatibility_ideographs(name: str) -> None:
    assert normalize_kana(name) == name


@given(st.text(st.sampled_from(HIRAGANA), min_size=1))
def test_hiragana_become_katakana(text: str) -> None:
    # Katakana are the hiragana code points + 0x60.
    assert normalize_kana(text) == "".join(chr(ord(c) + 0x60) for c in text)


@given(st.lists(st.sampled_from(HW_UNITS), min_size=1).map("".join))
def test_half_width_katakana_become_full_width(text: str) -> None:
    assert normalize_kana(text) == unicodedata.normalize("NFKC", text)


@given(st.text())
def test_normalize_kana_is_idempotent(text: str) -> None:
    once = normalize_kana(text)
    assert normalize_kana(once) == once


@given(st.text(st.sampled_from([*KATAKANA, " ", FW_SPACE]), min_size=1))
def test_space_runs_collapse(text: str) -> None:
    out = normalize_kana(text)
    assert " " not in out
    assert FW_SPACE * 2 not in out
    assert not out.startswith(FW_SPACE) and not out.endswith(FW_SPACE)
    assert out.replace(FW_SPACE, "") == text.replace(" ", "").replace(FW_SPACE, "")


def test_validate_katakana_message_names_the_offending_character() -> None:
    with pytest.raises(JapaneseValueError) as info:
        validate_katakana("山")
    assert info.value.code == "not_katakana"
    assert info.value.message == "フリガナは全角カタカナで入力してください（使用できない文字: 山）"
    assert str(info.value) == info.value.message


def test_validate_katakana_lists_each_offender_once_in_order() -> None:
    with pytest.raises(JapaneseValueError) as info:
        validate_katakana("ヤマダ太郎太")
    assert info.value.message.endswith("（使用できない文字: 太、郎）")


@pytest.mark.parametrize("raw", ["", "   ", "　　", " \u3000 "])
def test_validate_katakana_empty(raw: str) -> None:
    with pytest.raises(JapaneseValueError) as info:
        validate_katakana(raw)
    assert info.value.code == "empty"


@pytest.mark.parametrize(
    ("raw", "offender"),
    [
        ("ヤマダ-タロウ", "-"),
        ("ヤマダ・タロウ", "・"),
        ("ABC", "A"),
        ("タロウ1", "1"),
        ("ヷ", "ヷ"),
        ("ヽ", "ヽ"),
        ("ﾀﾛｳ\tｼﾞﾛｳ", "U+0009"),
    ],
)
def test_validate_katakana_rejects(raw: str, offender: str) -> None:
    with pytest.raises(JapaneseValueError) as info:
        validate_katakana(raw)
    assert info.value.code == "not_katakana"
    assert offender in info.value.message


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("ﾔﾏﾀﾞ ﾀﾛｳ", "ヤマダ　タロウ"),
        ("ヴァン", "ヴァン"),
        ("ヶ", "ヶ"),
        ("さとう ひかる", "サトウ　ヒカル"),
    ],
)
def test_validate_katakana_accepts(raw: str, expected: str) -> None:
    assert validate_katakana(raw) == expected


@given(
    st.lists(st.text(st.sampled_from(KATAKANA), min_size=1), min_size=1, max_size=4),
    st.sampled_from([" ", FW_SPACE, "  ", " \u3000"]),
)
def test_validate_katakana_accepts_katakana_words(words: list[str], sep: str) -> None:
    assert validate_katakana(sep.join(words)) == FW_SPACE.join(words)


@given(
    st.text(st.sampled_from(KATAKANA)),
    st.sampled_from([*"山田AZaz09・ヽヾヷヺ!?、。〜", "\ufa19"]),
    st.text(st.sampled_from(KATAKANA)),
)
def test_validate_katakana_rejects_any_foreign_character(
    head: str, foreign: str, tail: str
) -> None:
    with pytest.raises(JapaneseValueError) as info:
        validate_katakana(head + foreign + tail)
    assert info.value.code == "not_katakana"
    assert foreign in info.value.message


# --- 全銀 -----------------------------------------------------------------------------

SMALL_TO_LARGE = dict(
    zip("ァィゥェォッャュョヮヵヶヰヱ", "アイウエオツヤユヨワカケイエ", strict=True)
)
ZENGIN_SMALL_HALF_WIDTH = set("ｧｨｩｪｫｬｭｮｯ")
ZENGIN_ALLOWED = (
    {chr(c) for c in range(0xFF71, 0xFF9E)}
    | set("ｦﾞﾟ ().-/")
    | set("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ")
)


def half_width_by_name(ch: str) -> str:
    """Half-width form of a full-width katakana, found through Unicode character names."""
    decomposition = unicodedata.decomposition(ch).split()
    if decomposition:  # e.g. ガ = カ + U+3099
        base, mark = chr(int(decomposition[0], 16)), int(decomposition[1], 16)
        marks = {
            0x3099: "HALFWIDTH KATAKANA VOICED SOUND MARK",
            0x309A: "HALFWIDTH KATAKANA SEMI-VOICED SOUND MARK",
        }
        return half_width_by_name(base) + unicodedata.lookup(marks[mark])
    return unicodedata.lookup("HALFWIDTH " + unicodedata.name(ch))


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("ヤマダ　タロウ", "ﾔﾏﾀﾞ ﾀﾛｳ"),
        ("キョウカイ", "ｷﾖｳｶｲ"),
        ("ハットリ", "ﾊﾂﾄﾘ"),
        ("ヴィーナス", "ｳﾞｲ-ﾅｽ"),
        ("コーヒー", "ｺ-ﾋ-"),
        ("ﾔﾏﾀﾞ  ﾀﾛｳ", "ﾔﾏﾀﾞ ﾀﾛｳ"),
        ("やまだ　じゅん", "ﾔﾏﾀﾞ ｼﾞﾕﾝ"),
        ("（カ）ケンポ", "(ｶ)ｹﾝﾎﾟ"),
        ("abc", "ABC"),
        ("ＡＢＣ１２３", "ABC123"),
        ("ヲ", "ｦ"),
        ("ヵヶヮ", "ｶｹﾜ"),
        ("ヰヱ", "ｲｴ"),
        ("ケンポ．サービス／ニシ－ヒガシ", "ｹﾝﾎﾟ.ｻ-ﾋﾞｽ/ﾆｼ-ﾋｶﾞｼ"),
    ],
)
def test_to_zengin_kana_examples(raw: str, expected: str) -> None:
    assert to_zengin_kana(raw) == expected


@pytest.mark.parametrize(
    ("raw", "offender"),
    [
        ("山田", "山"),
        ("ヤマダ・タロウ", "・"),
        ("ß", "ß"),
        ("ヤマダ、", "、"),
        ("A@B", "@"),
        ("ヷ", "ヷ"),
        ("ヤマダ\tタロウ", "U+0009"),
    ],
)
def test_to_zengin_kana_rejects(raw: str, offender: str) -> None:
    with pytest.raises(JapaneseValueError) as info:
        to_zengin_kana(raw)
    assert info.value.code == "not_zengin"
    assert offender in info.value.message


@pytest.mark.parametrize("raw", ["", " ", "　"])
def test_to_zengin_kana_empty(raw: str) -> None:
    with pytest.raises(JapaneseValueError) as info:
        to_zengin_kana(raw)
    assert info.value.code == "empty"


@given(st.lists(st.text(st.sampled_from(KATAKANA), min_size=1), min_size=1, max_size=3))
def test_to_zengin_kana_matches_character_names(words: list[str]) -> None:
    out = to_zengin_kana(FW_SPACE.join(words))
    assert set(out) <= ZENGIN_ALLOWED
    assert not set(out) & ZENGIN_SMALL_HALF_WIDTH
    expected = " ".join(
        "".join(half_width_by_name(SMALL_TO_LARGE.get(c, c)) for c in word) for word in words
    ).replace("ｰ", "-")  # 全銀 writes the long vowel as a hyphen
    assert out == expected


# --- digits ---------------------------------------------------------------------------


@given(st.text(st.sampled_from("0123456789")))
def test_normalize_digits_full_width(digits: str) -> None:
    full = "".join(chr(ord(c) - ord("0") + ord("０")) for c in digits)
    assert normalize_digits(full) == digits
    assert normalize_digits(f" {full}\u3000") == digits


@pytest.mark.parametrize(("raw", "expected"), [("一二三", "一二三"), ("①", "①"), ("Ａ１", "Ａ1")])
def test_normalize_digits_touches_only_digits(raw: str, expected: str) -> None:
    assert normalize_digits(raw) == expected
