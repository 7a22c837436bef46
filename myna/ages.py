"""Age bands as of a date, in Python and as an SQL expression that agrees with it."""

from __future__ import annotations

from datetime import date

from dateutil.relativedelta import relativedelta
from django.db.models import Case, IntegerField, Value, When

from myna.models import AGE_BANDS

LAST_BAND = len(AGE_BANDS) - 1


def age_on(birth: date, on: date) -> int:
    """Full years on `on` (the birthday counts; 29 February counts on 1 March)."""
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


def age_band(birth: date, on: date) -> int:
    """0 for 0–9, 1 for 10–19 … 7 for 70 and over."""
    return min(max(age_on(birth, on), 0) // 10, LAST_BAND)


def age_band_expression(on: date, field: str = "birth_date") -> Case:
    """The band of `field` on `on`, portable SQL: comparisons with dates computed here.

    Someone is at least N years old on `on` exactly when born on or before `on` minus N years
    (relativedelta turns 29 February into 28 February, as :func:`age_on` does).
    """
    whens = [
        When(**{f"{field}__gt": on - relativedelta(years=10 * (band + 1))}, then=Value(band))
        for band in range(LAST_BAND)
    ]
    return Case(*whens, default=Value(LAST_BAND), output_field=IntegerField())
