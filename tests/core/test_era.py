"""和暦 formatting and parsing (core.jp.era). Expectations come from DOMAIN.md's era table."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.jp.era import (
    ERAS,
    era_of,
    format_wareki,
    format_wareki_year_month,
    kanji_number,
    parse_wareki,
)
from core.jp.errors import JapaneseValueError

# DOMAIN.md: era name, first day. Written out here, independently of the module's table.
ERA_STARTS = [
    ("明治", "M", date(1868, 10, 23)),
    ("大正", "T", date(1912, 7, 30)),
    ("昭和", "S", date(1926, 12, 25)),
    ("平成", "H", date(1989, 1, 8)),
    ("令和", "R", date(2019, 5, 1)),
]

WAREKI_DATES = st.dates(min_value=date(1868, 10, 23), max_value=date(2300, 12, 31))


def expected_era(d: date) -> tuple[str, str, int]:
    """(name, letter, era year) from the DOMAIN.md table."""
    name, letter, start = next((n, a, s) for n, a, s in reversed(ERA_STARTS) if d >= s)
    return name, letter, d.year - start.year + 1


@pytest.mark.parametrize(
    ("d", "text"),
    [
        (date(2025, 4, 1), "令和7年4月1日"),
        (date(2019, 5, 1), "令和元年5月1日"),
        (date(2019, 4, 30), "平成31年4月30日"),
        (date(1989, 1, 7), "昭和64年1月7日"),
        (date(1989, 1, 8), "平成元年1月8日"),
        (date(1926, 12, 24), "大正15年12月24日"),
        (date(1926, 12, 25), "昭和元年12月25日"),
        (date(1912, 7, 29), "明治45年7月29日"),
        (date(1912, 7, 30), "大正元年7月30日"),
        (date(1868, 10, 23), "明治元年10月23日"),
        (date(2020, 1, 1), "令和2年1月1日"),
    ],
)
def test_format_wareki_examples(d: date, text: str) -> None:
    assert format_wareki(d) == text


@pytest.mark.parametrize(
    ("d", "text"),
    [
        (date(2025, 4, 1), "令和七年四月一日"),
        (date(2019, 4, 30), "平成三十一年四月三十日"),
        (date(1989, 1, 7), "昭和六十四年一月七日"),
        (date(2019, 12, 25), "令和元年十二月二十五日"),
        (date(2028, 10, 11), "令和十年十月十一日"),
        (date(2038, 11, 20), "令和二十年十一月二十日"),
    ],
)
def test_format_wareki_kanji_digits(d: date, text: str) -> None:
    assert format_wareki(d, kanji_digits=True) == text


@pytest.mark.parametrize(
    ("n", "text"),
    [
        (1, "一"),
        (9, "九"),
        (10, "十"),
        (11, "十一"),
        (20, "二十"),
        (64, "六十四"),
        (100, "百"),
        (101, "百一"),
        (110, "百十"),
        (245, "二百四十五"),
        (1000, "千"),
        (2026, "二千二十六"),
    ],
)
def test_kanji_number(n: int, text: str) -> None:
    assert kanji_number(n) == text


@pytest.mark.parametrize("n", [0, -1, 10_000])
def test_kanji_number_out_of_range(n: int) -> None:
    with pytest.raises(ValueError):
        kanji_number(n)


@pytest.mark.parametrize(
    ("d", "text"),
    [
        (date(2025, 4, 1), "令和7年4月"),
        (date(2019, 5, 31), "令和元年5月"),
        (date(2019, 4, 1), "平成31年4月"),
        (date(1989, 1, 7), "昭和64年1月"),
    ],
)
def test_format_wareki_year_month(d: date, text: str) -> None:
    assert format_wareki_year_month(d) == text


@pytest.mark.parametrize(("name", "letter", "start"), ERA_STARTS)
def test_era_boundaries(name: str, letter: str, start: date) -> None:
    era = era_of(start)
    assert (era.name, era.letter, era.start) == (name, letter, start)
    assert format_wareki(start).startswith(f"{name}元年")
    if name != "明治":
        previous = era_of(start - timedelta(days=1))
        assert previous.name != name
        assert previous.start < start


def test_eras_table_is_complete_and_ordered() -> None:
    assert [(e.name, e.letter, e.start) for e in ERAS] == ERA_STARTS


@pytest.mark.parametrize("d", [date(1868, 10, 22), date(1868, 1, 25), date(1800, 1, 1)])
def test_before_meiji_raises(d: date) -> None:
    with pytest.raises(JapaneseValueError) as info:
        format_wareki(d)
    assert info.value.code == "before_meiji"
    assert "明治" in info.value.message
    assert isinstance(info.value, ValueError)


@given(WAREKI_DATES)
def test_format_matches_domain_table(d: date) -> None:
    name, _, year = expected_era(d)
    year_text = "元" if year == 1 else str(year)
    assert format_wareki(d) == f"{name}{year_text}年{d.month}月{d.day}日"
    assert format_wareki_year_month(d) == f"{name}{year_text}年{d.month}月"


@given(WAREKI_DATES, st.booleans())
def test_parse_round_trip(d: date, kanji_digits: bool) -> None:
    assert parse_wareki(format_wareki(d, kanji_digits=kanji_digits)) == d


@given(WAREKI_DATES, st.sampled_from([".", "/", "-"]), st.booleans())
def test_parse_letter_form(d: date, sep: str, pad: bool) -> None:
    _, letter, year = expected_era(d)
    fmt = "{:02d}" if pad else "{}"
    text = sep.join([letter + fmt.format(year), fmt.format(d.month), fmt.format(d.day)])
    assert parse_wareki(text) == d
    assert parse_wareki(text.lower()) == d


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("令和元年5月1日", date(2019, 5, 1)),
        ("令和1年5月1日", date(2019, 5, 1)),
        ("R1.5.1", date(2019, 5, 1)),
        ("R元.5.1", date(2019, 5, 1)),
        ("H31.4.30", date(2019, 4, 30)),
        ("h31/4/30", date(2019, 4, 30)),
        ("S64-1-7", date(1989, 1, 7)),
        ("Ｒ１．５．１", date(2019, 5, 1)),
        ("令和７年４月１日", date(2025, 4, 1)),
        (" 令和 7年 4月 1日 ", date(2025, 4, 1)),
        ("令7年4月1日", date(2025, 4, 1)),
        ("令和七年四月一日", date(2025, 4, 1)),
        ("平成元年一月八日", date(1989, 1, 8)),
        ("R6.2.29", date(2024, 2, 29)),
        ("M45.7.29", date(1912, 7, 29)),
        ("T1.7.30", date(1912, 7, 30)),
    ],
)
def test_parse_accepts(text: str, expected: date) -> None:
    assert parse_wareki(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "平成32年1月1日",
        "令和1年4月30日",
        "令和元年4月30日",
        "H31.5.1",
        "S64.1.8",
        "昭和元年12月24日",
        "大正15年12月25日",
        "明治元年10月22日",
        "T15.12.25",
    ],
)
def test_parse_rejects_dates_outside_the_era(text: str) -> None:
    with pytest.raises(JapaneseValueError) as info:
        parse_wareki(text)
    assert info.value.code == "out_of_era"
    assert "期間外" in info.value.message


@pytest.mark.parametrize("text", ["R7.2.29", "令和0年1月1日", "R7.13.1", "R7.4.31", "R7.0.1"])
def test_parse_rejects_impossible_dates(text: str) -> None:
    with pytest.raises(JapaneseValueError) as info:
        parse_wareki(text)
    assert info.value.code == "invalid_date"


@pytest.mark.parametrize(
    "text", ["", "2025-04-01", "X1.1.1", "令和7年4月", "R7.4/1", "R7", "平成元年", "慶応3年1月1日"]
)
def test_parse_rejects_other_text(text: str) -> None:
    with pytest.raises(JapaneseValueError) as info:
        parse_wareki(text)
    assert info.value.code == "format"
    assert re.search("[ぁ-ん]", info.value.message)
