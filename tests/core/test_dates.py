"""The one date parser (core.jp.dates): what it accepts, and that every caller agrees with it."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from applications.forms_catalogue.registry import FieldSpec, _Invalid, _parse_date
from core.jp.dates import parse_date
from core.jp.era import format_wareki
from core.jp.errors import JapaneseValueError
from eligibility.admin import parse_filter_date
from eligibility.imports import fields
from eligibility.imports.errors import FieldError

DAYS = st.dates(min_value=date(1868, 10, 23), max_value=date(2100, 12, 31))
FULLWIDTH = str.maketrans("0123456789", "０１２３４５６７８９")
SPEC = FieldSpec(name="day", label="日付", type="date")


def _written(d: date, style: int, pad: bool) -> str:
    m, dd = (f"{d.month:02d}", f"{d.day:02d}") if pad else (str(d.month), str(d.day))
    return [
        f"{d.year}-{m}-{dd}",
        f"{d.year}/{m}/{dd}",
        f"{d.year}.{m}.{dd}",
        f"{d.year}年{m}月{dd}日",
        f" {d.year} 年 {m} 月 {dd} 日 ",
        format_wareki(d),
        format_wareki(d, kanji_digits=True),
    ][style]


@given(DAYS, st.integers(0, 6), st.booleans(), st.booleans())
def test_every_accepted_form_gives_the_day(d, style, pad, fullwidth):
    text = _written(d, style, pad)
    if fullwidth:
        text = text.translate(FULLWIDTH)
    assert parse_date(text) == d


# Texts near the accepted forms: digits, separators, era names and letters, spaces.
NEAR = st.text(alphabet="0123456789０１２３-/.年月日元令和平成昭RHSrh W:", max_size=14)


def _outcome(parse, text):
    try:
        return parse(text)
    except (JapaneseValueError, FieldError, _Invalid):
        return "refused"


@given(st.one_of(NEAR, st.text(max_size=12), DAYS.map(date.isoformat)))
def test_callers_agree_with_the_one_parser(text):
    """The import's fast path, the form catalogue and the admin filter accept exactly what
    core.jp.dates accepts, and read the same day; nothing else escapes."""
    expected = _outcome(parse_date, text)
    assert _outcome(fields.parse_date, text) == expected
    assert _outcome(lambda t: _parse_date(SPEC, t), text) == expected
    assert _outcome(parse_filter_date, text) == expected


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("2025-02-30", "invalid_date"),
        ("2025/13/1", "invalid_date"),
        ("平成32年1月1日", "out_of_era"),
        ("2025-W01-1", "format"),
        ("20250401", "format"),
        ("2025-04", "format"),
        ("", "format"),
    ],
)
def test_refusals_say_why(text, code):
    with pytest.raises(JapaneseValueError) as caught:
        parse_date(text)
    assert caught.value.code == code
