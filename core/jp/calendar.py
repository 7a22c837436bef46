"""The Japanese business calendar and the electronic-application service hours.

National holidays come from the ``holidays`` package (Japan), which matches the Cabinet
Office list, 振替休日 and 国民の休日 included. 12/29–1/3 are 行政機関の休日. Electronic
applications are accepted on business days from 08:00 to 21:00 JST (seed 000).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

from core.jp.errors import JapaneseValueError

JST = ZoneInfo("Asia/Tokyo")

#: Electronic applications are accepted from SERVICE_OPEN (inclusive) …
SERVICE_OPEN = time(8)
#: … until SERVICE_CLOSE (exclusive), on business days, Japan time.
SERVICE_CLOSE = time(21)

WEEKDAY_KANJI = "月火水木金土日"

#: No stretch of non-business days is longer than this (year end + weekends: 12/27–1/4 at most
#: 9 days); the search for the next opening stops with an error past it.
_MAX_CLOSED_DAYS = 60


@lru_cache(maxsize=256)
def _holidays_of(year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays("JP", years=year))


def _require_date(d: date) -> date:
    if isinstance(d, datetime):
        raise TypeError("pass a date, not a datetime (convert to JST first)")
    return d


def is_national_holiday(d: date) -> bool:
    """A 国民の祝日, 振替休日 or 国民の休日 in Japan."""
    return _require_date(d) in _holidays_of(d.year)


def is_year_end_closure(d: date) -> bool:
    """12/29–1/3, the year-end and new-year closure of government offices."""
    _require_date(d)
    return (d.month == 12 and d.day >= 29) or (d.month == 1 and d.day <= 3)


def is_business_day(d: date) -> bool:
    """Not a Saturday, Sunday, national holiday or year-end closure day."""
    return d.weekday() < 5 and not is_national_holiday(d) and not is_year_end_closure(d)


def _to_jst(at: datetime) -> datetime:
    if at.tzinfo is None or at.utcoffset() is None:
        raise JapaneseValueError(
            "naive_datetime", "タイムゾーン付きの日時を指定してください（内部エラー）"
        )
    return at.astimezone(JST)


def is_service_open(at: datetime) -> bool:
    """Whether electronic applications are accepted at an aware moment."""
    local = _to_jst(at)
    return is_business_day(local.date()) and SERVICE_OPEN <= local.time() < SERVICE_CLOSE


def next_service_opening(at: datetime) -> datetime:
    """The first moment, at or after ``at``, when applications are accepted (aware, JST).

    If the service is open at ``at``, that same moment is returned (expressed in JST).
    """
    local = _to_jst(at)
    if is_service_open(local):
        return local
    day = local.date()
    if not (is_business_day(day) and local.time() < SERVICE_OPEN):
        day += timedelta(days=1)
    for _ in range(_MAX_CLOSED_DAYS):
        if is_business_day(day):
            return datetime.combine(day, SERVICE_OPEN, tzinfo=JST)
        day += timedelta(days=1)
    raise RuntimeError(f"no business day within {_MAX_CLOSED_DAYS} days of {local.date()}")


def _hour(t: time) -> str:
    return f"{t.hour}時" if t.minute == 0 else f"{t.hour}時{t.minute:02d}分"


def service_closed_message(at: datetime) -> str:
    """The Japanese notice shown when an application arrives outside service hours.

    「電子申請の受付時間外です。受付時間は平日8時～21時（祝日・12月29日～1月3日を除く）です。
    次の受付開始は2026年11月24日（火）8時00分です。」

    Raises code ``"service_open"`` when the service is open at ``at``.
    """
    if is_service_open(at):
        raise JapaneseValueError("service_open", "現在は電子申請の受付時間内です")
    nxt = next_service_opening(at)
    return (
        "電子申請の受付時間外です。"
        f"受付時間は平日{_hour(SERVICE_OPEN)}～{_hour(SERVICE_CLOSE)}"
        "（祝日・12月29日～1月3日を除く）です。"
        f"次の受付開始は{nxt.year}年{nxt.month}月{nxt.day}日"
        f"（{WEEKDAY_KANJI[nxt.weekday()]}）{nxt.hour}時{nxt.minute:02d}分です。"
    )
