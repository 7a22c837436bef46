"""Business calendar and electronic-application hours (core.jp.calendar).

The holiday expectations are the Cabinet Office calendar, written out by hand below.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.jp.calendar import (
    SERVICE_CLOSE,
    SERVICE_OPEN,
    is_business_day,
    is_national_holiday,
    is_service_open,
    is_year_end_closure,
    next_service_opening,
    service_closed_message,
)
from core.jp.errors import JapaneseValueError

TOKYO = ZoneInfo("Asia/Tokyo")
NINE_HOURS = timedelta(hours=9)


def jst(*args: int) -> datetime:
    return datetime(*args, tzinfo=TOKYO)


# --- holidays -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "d",
    [
        date(2026, 1, 1),  # 元日
        date(2026, 1, 12),  # 成人の日 (2nd Monday of January)
        date(2025, 2, 24),  # 振替休日: 天皇誕生日 2/23 was a Sunday
        date(2026, 5, 6),  # 振替休日: 憲法記念日 5/3 was a Sunday
        date(2026, 9, 21),  # 敬老の日
        date(2026, 9, 22),  # 国民の休日, between 敬老の日 and 秋分の日
        date(2026, 9, 23),  # 秋分の日
        date(2026, 11, 23),  # 勤労感謝の日 (a Monday)
    ],
)
def test_national_holidays(d: date) -> None:
    assert is_national_holiday(d)
    assert not is_business_day(d)


@pytest.mark.parametrize(
    "d", [date(2026, 11, 24), date(2026, 12, 29), date(2026, 1, 2), date(2026, 9, 24)]
)
def test_not_national_holidays(d: date) -> None:
    assert not is_national_holiday(d)


@given(st.dates(min_value=date(1990, 1, 1), max_value=date(2100, 12, 31)))
def test_year_end_closure_is_12_29_to_1_3(d: date) -> None:
    expected = (d.month, d.day) in {(12, 29), (12, 30), (12, 31), (1, 1), (1, 2), (1, 3)}
    assert is_year_end_closure(d) == expected
    if expected:
        assert not is_business_day(d)


@pytest.mark.parametrize(
    ("d", "business"),
    [
        (date(2026, 11, 24), True),  # Tuesday
        (date(2026, 11, 21), False),  # Saturday
        (date(2026, 11, 22), False),  # Sunday
        (date(2026, 11, 23), False),  # holiday
        (date(2026, 12, 28), True),  # Monday, last working day of the year
        (date(2026, 12, 29), False),  # closure
        (date(2027, 1, 3), False),  # closure (and Sunday)
        (date(2027, 1, 4), True),  # Monday, first working day
        (date(2026, 1, 5), True),
        (date(2026, 9, 24), True),  # Thursday after the September holidays
    ],
)
def test_is_business_day(d: date, business: bool) -> None:
    assert is_business_day(d) == business


def test_date_functions_refuse_datetimes() -> None:
    with pytest.raises(TypeError):
        is_business_day(jst(2026, 11, 24, 12))


# --- service hours --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("at", "open_"),
    [
        (jst(2026, 11, 24, 7, 59, 59), False),
        (jst(2026, 11, 24, 7, 59, 59, 999_999), False),
        (jst(2026, 11, 24, 8, 0), True),
        (jst(2026, 11, 24, 20, 59, 59), True),
        (jst(2026, 11, 24, 20, 59, 59, 999_999), True),
        (jst(2026, 11, 24, 21, 0), False),
        (jst(2026, 11, 23, 12, 0), False),  # 勤労感謝の日
        (jst(2026, 9, 22, 12, 0), False),  # 国民の休日
        (jst(2026, 12, 29, 12, 0), False),  # closure on a Tuesday
        (jst(2026, 11, 28, 12, 0), False),  # Saturday
        # UTC inputs: JST = UTC + 9.
        (datetime(2026, 11, 23, 23, 0, tzinfo=UTC), True),  # 11/24 08:00 JST
        (datetime(2026, 11, 23, 22, 59, 59, tzinfo=UTC), False),  # 11/24 07:59:59 JST
        (datetime(2026, 11, 24, 11, 59, 59, tzinfo=UTC), True),  # 20:59:59 JST
        (datetime(2026, 11, 24, 12, 0, tzinfo=UTC), False),  # 21:00 JST
        (datetime(2026, 11, 24, 3, 0, tzinfo=UTC), True),  # noon JST
        # New York, 18:30 EST on Monday 11/23 = 08:30 JST Tuesday 11/24.
        (datetime(2026, 11, 23, 18, 30, tzinfo=ZoneInfo("America/New_York")), True),
    ],
)
def test_is_service_open(at: datetime, open_: bool) -> None:
    assert is_service_open(at) == open_


def test_naive_datetime_raises() -> None:
    naive = datetime(2026, 11, 24, 12, 0)
    for func in (is_service_open, next_service_opening, service_closed_message):
        with pytest.raises(JapaneseValueError) as info:
            func(naive)
        assert info.value.code == "naive_datetime"


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        (jst(2026, 11, 23, 10, 0), jst(2026, 11, 24, 8, 0)),  # holiday → Tuesday
        (jst(2026, 11, 24, 6, 0), jst(2026, 11, 24, 8, 0)),  # early the same day
        (jst(2026, 11, 24, 21, 0), jst(2026, 11, 25, 8, 0)),  # right at closing
        (jst(2026, 11, 27, 21, 30), jst(2026, 11, 30, 8, 0)),  # Friday night → Monday
        (jst(2026, 9, 18, 21, 0), jst(2026, 9, 24, 8, 0)),  # Sept: weekend + 3 holidays
        (jst(2026, 4, 28, 22, 0), jst(2026, 4, 30, 8, 0)),  # 昭和の日 on Wednesday
        (jst(2026, 5, 1, 21, 0), jst(2026, 5, 7, 8, 0)),  # Golden Week with 振替休日 5/6
        (jst(2026, 12, 28, 21, 0), jst(2027, 1, 4, 8, 0)),  # year end
        (jst(2025, 12, 26, 21, 0), jst(2026, 1, 5, 8, 0)),  # year end then a weekend
        (datetime(2026, 11, 24, 12, 0, tzinfo=UTC), jst(2026, 11, 25, 8, 0)),
    ],
)
def test_next_service_opening(at: datetime, expected: datetime) -> None:
    result = next_service_opening(at)
    assert result == expected
    assert result.utcoffset() == NINE_HOURS
    assert (result.hour, result.minute, result.second) == (8, 0, 0)


@pytest.mark.parametrize(
    "at", [jst(2026, 11, 24, 8, 0), jst(2026, 11, 24, 20, 59, 59), jst(2026, 11, 24, 12, 34, 56)]
)
def test_next_service_opening_when_open_is_now(at: datetime) -> None:
    assert next_service_opening(at) == at
    assert next_service_opening(at.astimezone(UTC)) == at


OFFSETS = st.integers(-12 * 60, 14 * 60).map(lambda m: timezone(timedelta(minutes=m)))


@settings(deadline=None)
@given(
    st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2027, 12, 20)),
    OFFSETS,
)
def test_next_service_opening_properties(naive: datetime, tz: timezone) -> None:
    at = naive.replace(tzinfo=tz)
    result = next_service_opening(at)
    local = at.astimezone(TOKYO)
    assert result >= at
    assert result.utcoffset() == NINE_HOURS
    assert is_service_open(result)
    if is_service_open(at):
        assert result == at
        return
    assert result.time() == SERVICE_OPEN
    assert not is_service_open(result - timedelta(microseconds=1))
    if result.date() == local.date():
        assert local.time() < SERVICE_OPEN
    else:
        day = local.date() + timedelta(days=1)
        while day < result.date():  # every day in between is closed all day
            assert not is_business_day(day)
            day += timedelta(days=1)
        assert not is_business_day(local.date()) or local.time() >= SERVICE_CLOSE


@settings(deadline=None)
@given(st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2027, 12, 31)))
def test_is_service_open_by_clock_and_calendar(naive: datetime) -> None:
    at = naive.replace(tzinfo=TOKYO)
    in_hours = time(8) <= naive.time() < time(21)
    assert is_service_open(at) == (in_hours and is_business_day(naive.date()))
    assert is_service_open(at.astimezone(UTC)) == is_service_open(at)


def test_service_closed_message_example() -> None:
    assert service_closed_message(jst(2026, 11, 23, 12, 0)) == (
        "電子申請の受付時間外です。受付時間は平日8時～21時（祝日・12月29日～1月3日を除く）です。"
        "次の受付開始は2026年11月24日（火）8時00分です。"
    )


@pytest.mark.parametrize(
    ("at", "tail"),
    [
        (jst(2026, 11, 24, 21, 0), "次の受付開始は2026年11月25日（水）8時00分です。"),
        (jst(2026, 12, 28, 21, 0), "次の受付開始は2027年1月4日（月）8時00分です。"),
        (
            datetime(2026, 11, 27, 12, 0, tzinfo=UTC),
            "次の受付開始は2026年11月30日（月）8時00分です。",
        ),
    ],
)
def test_service_closed_message_names_the_next_opening(at: datetime, tail: str) -> None:
    assert service_closed_message(at).endswith(tail)


def test_service_closed_message_when_open_raises() -> None:
    with pytest.raises(JapaneseValueError) as info:
        service_closed_message(jst(2026, 11, 24, 12, 0))
    assert info.value.code == "service_open"
