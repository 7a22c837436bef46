"""Cell parsers: every accepted date form gives the same day; impossible days are refused."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.jp.era import format_wareki
from eligibility.imports import fields
from eligibility.imports.errors import FieldError
from eligibility.imports.report import mask_my_number

days = st.dates(min_value=date(1868, 10, 23), max_value=date(2100, 12, 31))


@given(days)
def test_all_date_forms_agree(d):
    forms = [d.isoformat(), f"{d.year}/{d.month}/{d.day}", f"{d.year}/{d.month:02d}/{d.day:02d}"]
    forms.append(format_wareki(d))
    assert {fields.parse_date(f) for f in forms} == {d}


@given(st.integers(1900, 2100), st.integers(1, 12), st.integers(29, 40))
def test_impossible_days_are_refused(year, month, day):
    try:
        date(year, month, day)
    except ValueError:
        for text in (f"{year}-{month:02d}-{day:02d}", f"{year}/{month}/{day}"):
            with pytest.raises(FieldError, match="存在しない日付"):
                fields.parse_date(text)


@given(st.text(alphabet="0123456789-", min_size=0, max_size=20))
def test_report_never_shows_more_than_four_digits(value):
    shown = mask_my_number(value)
    assert sum(c.isdigit() for c in shown) <= 4
