"""和暦 (Japanese era dates): formatting and parsing.

Era start dates follow DOMAIN.md: 明治 1868-10-23, 大正 1912-07-30, 昭和 1926-12-25,
平成 1989-01-08, 令和 2019-05-01. The first year of an era is written 元年. Dates are
proleptic Gregorian: the lunisolar calendar used until 明治5年 is not converted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from core.jp.errors import JapaneseValueError
from core.jp.kana import normalize_digits


@dataclass(frozen=True)
class Era:
    """One era: its kanji name, its one-letter abbreviation and its first day."""

    name: str
    letter: str
    start: date

    def year_of(self, d: date) -> int:
        """The era year (1 = 元年) of a date within this era."""
        return d.year - self.start.year + 1


MEIJI = Era("明治", "M", date(1868, 10, 23))
TAISHO = Era("大正", "T", date(1912, 7, 30))
SHOWA = Era("昭和", "S", date(1926, 12, 25))
HEISEI = Era("平成", "H", date(1989, 1, 8))
REIWA = Era("令和", "R", date(2019, 5, 1))

#: All eras, oldest first.
ERAS: tuple[Era, ...] = (MEIJI, TAISHO, SHOWA, HEISEI, REIWA)


def era_end(era: Era) -> date | None:
    """The last day of an era, or None for the current one."""
    index = ERAS.index(era)
    if index + 1 == len(ERAS):
        return None
    return ERAS[index + 1].start - timedelta(days=1)


def era_of(d: date) -> Era:
    """The era a date falls in. Raises (code ``"before_meiji"``) before 1868-10-23."""
    for era in reversed(ERAS):
        if d >= era.start:
            return era
    raise JapaneseValueError(
        "before_meiji",
        f"{d.year}年{d.month}月{d.day}日は明治（1868年10月23日～）より前のため和暦で表せません",
    )


_KANJI_DIGITS = "〇一二三四五六七八九"
_KANJI_UNITS = ((1000, "千"), (100, "百"), (10, "十"))


def kanji_number(n: int) -> str:
    """A positive integer below 10,000 in kanji as written in dates: 10 → 十, 31 → 三十一."""
    if not 0 < n < 10_000:
        raise ValueError(f"kanji_number: {n} is out of range")
    out = []
    for unit, sign in _KANJI_UNITS:
        count, n = divmod(n, unit)
        if count:
            out.append(("" if count == 1 else _KANJI_DIGITS[count]) + sign)
    if n:
        out.append(_KANJI_DIGITS[n])
    return "".join(out)


def _parse_kanji_number(s: str) -> int:
    """Inverse of :func:`kanji_number` (also accepts 〇-style digit strings like 二〇)."""
    if s and all(c in _KANJI_DIGITS for c in s):
        return int("".join(str(_KANJI_DIGITS.index(c)) for c in s))
    total = 0
    rest = s
    for unit, sign in _KANJI_UNITS:
        if sign in rest:
            head, rest = rest.split(sign, 1)
            if len(head) > 1 or (head and head not in _KANJI_DIGITS[2:]):
                raise ValueError(s)
            total += unit * (_KANJI_DIGITS.index(head) if head else 1)
    if rest:
        if len(rest) != 1 or rest not in _KANJI_DIGITS[1:]:
            raise ValueError(s)
        total += _KANJI_DIGITS.index(rest)
    if total == 0:
        raise ValueError(s)
    return total


def _number(n: int, kanji_digits: bool) -> str:
    return kanji_number(n) if kanji_digits else str(n)


def _era_year_text(d: date, kanji_digits: bool) -> str:
    era = era_of(d)
    year = era.year_of(d)
    return f"{era.name}{'元' if year == 1 else _number(year, kanji_digits)}年"


def format_wareki(d: date, *, kanji_digits: bool = False) -> str:
    """「令和7年4月1日」; the first year is 元年 (「令和元年5月1日」).

    With ``kanji_digits=True`` the numbers are kanji: 「令和七年四月一日」.
    """
    return (
        f"{_era_year_text(d, kanji_digits)}"
        f"{_number(d.month, kanji_digits)}月{_number(d.day, kanji_digits)}日"
    )


def format_wareki_and_iso(d: date) -> str:
    """「令和7年4月1日（2025-04-01）」, as staff pages show dates; the ISO date alone before
    明治."""
    try:
        return f"{format_wareki(d)}（{d.isoformat()}）"
    except JapaneseValueError:
        return d.isoformat()


def format_wareki_year_month(d: date, *, kanji_digits: bool = False) -> str:
    """「令和7年4月」: era, year and month of a date."""
    return f"{_era_year_text(d, kanji_digits)}{_number(d.month, kanji_digits)}月"


_ERA_BY_KEY: dict[str, Era] = {}
for _era in ERAS:
    _ERA_BY_KEY[_era.name] = _era
    _ERA_BY_KEY[_era.name[0]] = _era
    _ERA_BY_KEY[_era.letter] = _era

_NUM = r"元|[0-9]{1,3}|[〇一二三四五六七八九十百千]{1,6}"
_KANJI_FORM = re.compile(
    rf"(?P<era>明治|大正|昭和|平成|令和|[明大昭平令])(?P<y>{_NUM})年"
    rf"(?P<m>{_NUM})月(?P<d>{_NUM})日"
)
_LETTER_FORM = re.compile(
    r"(?P<era>[MTSHR])(?P<y>元|[0-9]{1,3})(?P<sep>[./-])(?P<m>[0-9]{1,2})"
    r"(?P=sep)(?P<d>[0-9]{1,2})"
)
_ASCII_FROM_FULLWIDTH = str.maketrans(
    {chr(c): chr(c - 0xFEE0) for c in range(0xFF01, 0xFF5F)} | {"\u3000": " "}
)


def _to_int(text: str) -> int:
    if text == "元":
        return 1
    if text.isdecimal():
        return int(text)
    return _parse_kanji_number(text)


def parse_wareki(s: str) -> date:
    """Parse a 和暦 date: 「令和元年5月1日」, 「令和七年四月一日」, 「令7年4月1日」, "R1.5.1",
    "H31/4/30", "S64-1-7" (full-width digits and letters too; lowercase letters accepted).

    Raises :class:`JapaneseValueError`: ``"format"`` (not a 和暦 date), ``"invalid_date"``
    (no such day, e.g. 2月30日 or year 0), ``"out_of_era"`` (outside the era, e.g. 平成32年,
    令和1年4月30日).
    """
    text = normalize_digits(s).translate(_ASCII_FROM_FULLWIDTH).replace(" ", "").upper()
    match = _KANJI_FORM.fullmatch(text) or _LETTER_FORM.fullmatch(text)
    if match is None:
        raise JapaneseValueError(
            "format", "和暦の日付を「令和7年4月1日」または「R7.4.1」の形式で入力してください"
        )
    era = _ERA_BY_KEY[match["era"]]
    try:
        year, month, day = (_to_int(match[k]) for k in ("y", "m", "d"))
        if year < 1:
            raise ValueError(year)
        result = date(era.start.year + year - 1, month, day)
    except ValueError:
        raise JapaneseValueError("invalid_date", "存在しない日付です") from None
    end = era_end(era)
    if result < era.start or (end is not None and result > end):
        period = f"{era.start.year}年{era.start.month}月{era.start.day}日から"
        if end is not None:
            period += f"{end.year}年{end.month}月{end.day}日まで"
        raise JapaneseValueError(
            "out_of_era",
            f"{era.name}{'元' if year == 1 else year}年{month}月{day}日は"
            f"{era.name}の期間外です（{era.name}は{period}）",
        )
    return result
