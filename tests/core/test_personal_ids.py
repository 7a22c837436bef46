"""Masking of My-Number-like values in any text (messages, reports, log lines)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.jp.checkdigits import my_number_check_digit, validate_my_number
from core.jp.kana import normalize_digits
from core.personal_ids import mask_my_numbers

FULLWIDTH = str.maketrans("0123456789", "０１２３４５６７８９")
SEPARATORS = ["", " ", "-", "\u3000", "－", "ー", "\u2212", " - "]


def my_numbers() -> st.SearchStrategy[str]:
    return st.integers(10**10, 10**11 - 1).map(
        lambda n: f"{n:011d}{my_number_check_digit(f'{n:011d}')}"
    )


@st.composite
def written(draw: st.DrawFn) -> tuple[str, str]:
    """(the number, the number as a person or a file may write it)."""
    number = draw(my_numbers())
    separator = draw(st.sampled_from(SEPARATORS))
    grouping = draw(st.sampled_from([(12,), (4, 4, 4), (6, 6), (3, 4, 5)]))
    parts, at = [], 0
    for size in grouping:
        parts.append(number[at : at + size])
        at += size
    text = separator.join(parts)
    if draw(st.booleans()):
        text = text.translate(FULLWIDTH)
    return number, text


around = st.sampled_from(
    ["", "個人番号", "値: ", "3行目 ", "「", "、", "(", "mn=", "\n", "番号 1 "]
)


@given(written(), around, around.map(lambda s: s[::-1]))
def test_a_my_number_however_written_is_masked(value, before, after):
    number, text = value
    assert validate_my_number(text) == number  # the import would accept it
    masked = mask_my_numbers(before + text + after)
    digits = normalize_digits(
        "".join(c for c in masked if c.isdigit() or c in "０１２３４５６７８９")
    )
    assert number not in digits
    assert number[:8] not in digits
    assert "********" + number[-4:] in masked


@pytest.mark.parametrize(
    "text",
    [
        "新規 1,234,567 件、更新 0 件",  # counts
        "保険者番号 01130012 記号 13000001 番号 12345678",  # separate words
        "〒100-0001 電話 03-1234-5678",  # postal code, phone
        "特定記録 123-45-67890-1",  # 11 digits
        "法人番号 1234567890123",  # 13 digits in one group
        "2026-12-04 14:08:05,123",  # a timestamp
        "a1b2c3d4123456789012ef.csv: parsing",  # a hex file name
        "件数 1,234,567,890,123",
    ],
)
def test_other_numbers_are_left_alone(text):
    assert mask_my_numbers(text) == text


def test_groups_adding_up_to_twelve_digits_are_masked():
    """The documented cost of the rule: 記号-番号 written together looks like one number."""
    assert mask_my_numbers("13000001-1234") == "********1234"
    assert mask_my_numbers("1234 5678 9012 3456") == "********3456"


number_groups = st.lists(st.integers(0, 10**9).map(str), max_size=4).map(" ".join)


@given(written(), number_groups, number_groups, st.sampled_from([" ", "-", "　"]))
def test_a_my_number_among_other_numbers_is_masked(value, before, after, separator):
    """Other numbers written next to it, with the same separators, do not hide it."""
    number, text = value
    masked = mask_my_numbers(separator.join(p for p in (before, text, after) if p))
    digits = "".join(
        c
        for c in masked.translate(str.maketrans("０１２３４５６７８９", "0123456789"))
        if c.isdigit() or c == "*"
    )
    assert number not in digits
