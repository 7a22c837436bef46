"""Eligibility periods (eligibility.rules.dates)."""

from __future__ import annotations

import calendar
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.jp.errors import JapaneseValueError
from eligibility.rules.burden import age_on
from eligibility.rules.dates import is_eligible_on, loss_date_at_75

DAY = timedelta(days=1)
DATES = st.dates(min_value=date(1940, 1, 1), max_value=date(2100, 12, 31))


@pytest.mark.parametrize(
    ("on", "expected"),
    [
        (date(2025, 3, 31), False),
        (date(2025, 4, 1), True),  # 資格取得年月日
        (date(2025, 9, 30), True),
        (date(2025, 10, 1), False),  # 資格喪失年月日: not covered that day
        (date(2030, 1, 1), False),
    ],
)
def test_is_eligible_on_examples(on: date, expected: bool) -> None:
    assert is_eligible_on(acquired=date(2025, 4, 1), lost=date(2025, 10, 1), on=on) == expected


def test_open_ended_membership() -> None:
    assert is_eligible_on(acquired=date(2025, 4, 1), lost=None, on=date(2099, 12, 31))
    assert not is_eligible_on(acquired=date(2025, 4, 1), lost=None, on=date(2025, 3, 31))


def test_same_day_acquisition_and_loss_covers_no_day() -> None:
    d = date(2025, 4, 1)
    for on in (d - DAY, d, d + DAY):
        assert not is_eligible_on(acquired=d, lost=d, on=on)


def test_loss_before_acquisition_raises() -> None:
    with pytest.raises(JapaneseValueError) as info:
        is_eligible_on(acquired=date(2025, 4, 2), lost=date(2025, 4, 1), on=date(2025, 4, 1))
    assert info.value.code == "loss_before_acquisition"


@given(DATES, st.integers(0, 3000), st.integers(-10, 3010))
def test_covered_days_are_exactly_the_period(acquired: date, length: int, offset: int) -> None:
    lost = acquired + timedelta(days=length)
    on = acquired + timedelta(days=offset)
    assert is_eligible_on(acquired=acquired, lost=lost, on=on) == (0 <= offset < length)


@pytest.mark.parametrize(
    ("birth", "loss"),
    [
        (date(1951, 4, 1), date(2026, 4, 1)),
        (date(1950, 12, 31), date(2025, 12, 31)),
        (date(1952, 2, 29), date(2027, 3, 1)),
    ],
)
def test_loss_date_at_75_examples(birth: date, loss: date) -> None:
    assert loss_date_at_75(birth) == loss


@given(st.dates(min_value=date(1900, 1, 1), max_value=date(2050, 12, 31)))
def test_loss_date_at_75_is_the_first_day_after_reaching_75(birth: date) -> None:
    loss = loss_date_at_75(birth)
    # One reaches 75 at the end of the eve; the loss is the next day, the birthday.
    assert age_on(birth, loss - DAY) == 75
    assert age_on(birth, loss - 2 * DAY) == 74
    if (birth.month, birth.day) != (2, 29) or calendar.isleap(loss.year):
        assert (loss.year, loss.month, loss.day) == (birth.year + 75, birth.month, birth.day)
    assert is_eligible_on(acquired=birth, lost=loss, on=loss - DAY)
    assert not is_eligible_on(acquired=birth, lost=loss, on=loss)
