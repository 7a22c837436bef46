"""The one parser of a date typed or exported by a person: Western (西暦) or 和暦.

Accepted (surrounding spaces ignored, full-width digits and letters too):

* Western: year of four digits, then month and day of one or two digits, separated by ``-``,
  ``/`` or ``.`` or written with 年・月・日: "2025-04-01", "2025/4/1", "2025.4.1",
  "2025年4月1日" (spaces around the separators allowed);
* 和暦: everything :func:`core.jp.era.parse_wareki` reads: "令和7年4月1日", "令和元年5月1日",
  "令7年4月1日", "R7.4.1", "H31/4/30".

Used by the form catalogue, the CSV import (as the fallback of its fast path for ISO dates)
and the admin's date filter. Raises :class:`core.jp.errors.JapaneseValueError` with code
``format`` (not a date in any accepted form), ``invalid_date`` (no such day: 2月30日, year
0) or ``out_of_era`` (和暦 outside its era, 平成32年).
"""

from __future__ import annotations

import re
from datetime import date

from core.jp.era import parse_wareki
from core.jp.errors import JapaneseValueError
from core.jp.kana import normalize_digits

#: The message of a value in no accepted form (callers may prefix the field's label).
DATE_FORMAT_MESSAGE = (
    "日付は「2025-04-01」「2025/4/1」または「令和7年4月1日」の形式で入力してください"
)

_WESTERN = re.compile(
    r"([0-9]{4})\s*(?:[-/.]|年)\s*([0-9]{1,2})\s*(?:[-/.]|月)\s*([0-9]{1,2})\s*日?"
)


def parse_date(value: str) -> date:
    """The date ``value`` writes, Western or 和暦 (see the module's docstring)."""
    text = normalize_digits(value)
    match = _WESTERN.fullmatch(text)
    if match:
        year, month, day = (int(g) for g in match.groups())
        try:
            return date(year, month, day)
        except ValueError:
            raise JapaneseValueError(
                "invalid_date", f"存在しない日付です（{year}年{month}月{day}日）"
            ) from None
    try:
        return parse_wareki(text)
    except JapaneseValueError as exc:
        if exc.code == "format":
            raise JapaneseValueError("format", DATE_FORMAT_MESSAGE) from None
        raise
