"""Check digits and fixed-width numbers (core.jp.checkdigits)."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st
from stdnum import luhn
from stdnum.jp import in_ as stdnum_my_number

from core.jp.checkdigits import (
    branch_insurer_number,
    format_postal_code,
    format_tracking_number,
    insurer_number_check_digit,
    my_number_check_digit,
    validate_insurer_number,
    validate_my_number,
    validate_postal_code,
    validate_tracking_number,
)
from core.jp.errors import JapaneseValueError


def digits(n: int) -> st.SearchStrategy[str]:
    return st.text(st.sampled_from("0123456789"), min_size=n, max_size=n)


def full_width(s: str) -> str:
    return "".join(chr(ord(c) - ord("0") + ord("０")) for c in s)


def code_of(func, value) -> str:
    with pytest.raises(JapaneseValueError) as info:
        func(value)
    return info.value.code


# --- 保険者番号 -------------------------------------------------------------------------


def test_insurer_check_digit_domain_example() -> None:
    assert insurer_number_check_digit("3312001") == 5


@given(digits(7))
def test_insurer_check_digit_is_luhn(first7: str) -> None:
    # "From the rightmost, ×2, ×1, …, add the digits of the products" is the Luhn scheme.
    assert insurer_number_check_digit(first7) == int(luhn.calc_check_digit(first7))


@pytest.mark.parametrize(
    ("prefecture", "number"), [(1, "01010016"), (4, "01040013"), (13, "01130012")]
)
def test_branch_insurer_numbers_confirmed_in_domain(prefecture: int, number: str) -> None:
    assert branch_insurer_number(prefecture) == number
    assert validate_insurer_number(number) == number


@pytest.mark.parametrize("prefecture", range(1, 48))
def test_every_branch_number_follows_the_pattern(prefecture: int) -> None:
    number = branch_insurer_number(prefecture)
    assert number[:7] == f"01{prefecture:02d}001"
    assert luhn.is_valid(number)


@pytest.mark.parametrize("prefecture", [0, 48, -1, 100])
def test_branch_insurer_number_rejects_unknown_prefecture(prefecture: int) -> None:
    assert code_of(branch_insurer_number, prefecture) == "prefecture"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("01130012", "01130012"), ("０１１３００１２", "01130012"), (" 06130017 ", "06130017")],
)
def test_validate_insurer_number_accepts(raw: str, expected: str) -> None:
    # 0613001: 1·2 + 0 + 0·2 + 3 + 1·2 + 6 + 0·2 = 13 → check 7.
    assert validate_insurer_number(raw) == expected


@pytest.mark.parametrize("raw", ["0113001", "011300122", "0113001a", "", "0113-0012", "٠١١٣٠٠١٢"])
def test_validate_insurer_number_format(raw: str) -> None:
    assert code_of(validate_insurer_number, raw) == "format"


@pytest.mark.parametrize("raw", ["01130013", "01010010", "33120010"])
def test_validate_insurer_number_check_digit(raw: str) -> None:
    assert code_of(validate_insurer_number, raw) == "check_digit"


@given(digits(7), st.integers(0, 7), st.integers(1, 9))
def test_any_single_digit_error_is_caught(first7: str, position: int, delta: int) -> None:
    number = first7 + str(insurer_number_check_digit(first7))
    assert validate_insurer_number(number) == number
    changed = number[:position] + str((int(number[position]) + delta) % 10) + number[position + 1 :]
    assert code_of(validate_insurer_number, changed) == "check_digit"


@pytest.mark.parametrize("bad", ["331200", "33120011", "331200x"])
def test_insurer_check_digit_needs_seven_digits(bad: str) -> None:
    assert code_of(insurer_number_check_digit, bad) == "format"


# --- My Number --------------------------------------------------------------------------


def test_my_number_worked_example() -> None:
    # 1·6+2·5+3·4+4·3+5·2+6·7+7·6+8·5+9·4+0·3+1·2 = 212; 212 mod 11 = 3; 11 − 3 = 8.
    assert my_number_check_digit("12345678901") == 8
    assert validate_my_number("123456789018") == "123456789018"
    # sum 6 → r = 6 → 5;   sum 0 → r = 0 → 0;   r = 1 → 0 (1·6 + 1·6 + 1·... see below)
    assert my_number_check_digit("10000000000") == 5
    assert my_number_check_digit("00000000000") == 0
    # 2·6 = 12 → r = 1 → check 0.
    assert my_number_check_digit("20000000000") == 0


@given(digits(11))
def test_my_number_check_digit_agrees_with_stdnum(first11: str) -> None:
    assert my_number_check_digit(first11) == int(stdnum_my_number.calc_check_digit(first11))
    number = first11 + str(my_number_check_digit(first11))
    assert validate_my_number(number) == number


@given(digits(12))
def test_validate_my_number_agrees_with_stdnum(number: str) -> None:
    if stdnum_my_number.is_valid(number):
        assert validate_my_number(number) == number
    else:
        assert code_of(validate_my_number, number) == "check_digit"


@pytest.mark.parametrize(
    "raw", ["1234 5678 9018", "1234-5678-9018", full_width("123456789018"), " 123456789018 "]
)
def test_validate_my_number_accepts_separators_and_full_width(raw: str) -> None:
    assert validate_my_number(raw) == "123456789018"


@pytest.mark.parametrize("raw", ["12345678901", "1234567890180", "12345678901A", "", "no"])
def test_validate_my_number_format(raw: str) -> None:
    assert code_of(validate_my_number, raw) == "format"


def test_my_number_error_never_repeats_the_number() -> None:
    with pytest.raises(JapaneseValueError) as info:
        validate_my_number("123456789019")
    assert info.value.code == "check_digit"
    assert not re.search(r"\d{4}", info.value.message)
    assert "9019" not in repr(info.value)


# --- 郵便番号 ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        "1000001",
        "100-0001",
        "〒100-0001",
        "〒 100-0001",
        "１００－０００１",
        "〒１００ー０００１",
        " 100-0001 ",
    ],
)
def test_validate_postal_code_accepts(raw: str) -> None:
    assert validate_postal_code(raw) == "1000001"
    assert format_postal_code(raw) == "〒100-0001"


@pytest.mark.parametrize(
    "raw", ["100-001", "10000001", "10-00001", "abcdefg", "100_0001", "", "〒", "١٠٠٠٠٠١"]
)
def test_validate_postal_code_rejects(raw: str) -> None:
    assert code_of(validate_postal_code, raw) == "format"
    assert code_of(format_postal_code, raw) == "format"


@given(digits(7))
def test_postal_code_round_trip(code: str) -> None:
    printed = format_postal_code(code)
    assert printed == f"〒{code[:3]}-{code[3:]}"
    assert validate_postal_code(printed) == code
    assert validate_postal_code(full_width(code)) == code


# --- 特定記録 ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw", ["12345678901", "123-45-67890-1", full_width("12345678901"), "123 45 67890 1"]
)
def test_tracking_number_accepts(raw: str) -> None:
    assert validate_tracking_number(raw) == "12345678901"
    assert format_tracking_number(raw) == "123-45-67890-1"


@pytest.mark.parametrize("raw", ["1234567890", "123456789012", "1234567890A", ""])
def test_tracking_number_rejects(raw: str) -> None:
    assert code_of(validate_tracking_number, raw) == "format"


@given(digits(11))
def test_tracking_number_round_trip(number: str) -> None:
    printed = format_tracking_number(number)
    assert re.fullmatch(r"\d{3}-\d{2}-\d{5}-\d", printed)
    assert printed.replace("-", "") == number
    assert validate_tracking_number(printed) == number
