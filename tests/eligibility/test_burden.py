"""Co-payment ratio rules (eligibility.rules.burden).

The oracles below restate DOMAIN.md in other terms (school cohorts, calendar months), so
that they do not share code with the module under test.
"""

from __future__ import annotations

import calendar
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.jp.errors import JapaneseValueError
from eligibility.rules.burden import (
    age_on,
    burden_ratio,
    late_elderly_date,
    preschool_end,
    seventy_plus_start,
)

BIRTHS = st.dates(min_value=date(1930, 1, 1), max_value=date(2030, 12, 31))
FEB_29_BIRTHS = st.sampled_from([y for y in range(1932, 2030, 4)]).map(lambda y: date(y, 2, 29))
REMUNERATIONS = st.integers(58_000, 1_390_000)
DAY = timedelta(days=1)


# --- oracles --------------------------------------------------------------------------


def completed_years(birth: date, on: date) -> int:
    """Ordinary age: birthdays passed, comparing (month, day) (29 Feb counts on 1 March)."""
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


def legal_age(birth: date, on: date) -> int:
    """年齢計算ニ関スル法律: the age is reached at the end of the eve, so on the eve one already
    has it for all administrative purposes; equivalently, the ordinary age of the next day."""
    return completed_years(birth, on + DAY)


def school_entry_year(birth: date) -> int:
    """Elementary school entry: children born 2 April Y … 1 April Y+1 enter in April Y+7."""
    return birth.year + 7 if (birth.month, birth.day) >= (4, 2) else birth.year + 6


def expected_preschool_end(birth: date) -> date:
    return date(school_entry_year(birth), 3, 31)


def expected_seventy_plus_start(birth: date) -> date:
    year = birth.year + 70
    if birth.day == 1:  # reaches 70 on the last day of the previous month
        return date(year, birth.month, 1)
    return date(year + 1, 1, 1) if birth.month == 12 else date(year, birth.month + 1, 1)


def birthday_in(birth: date, year: int) -> date:
    """The birthday in ``year``; 29 February falls on 1 March in common years."""
    if (birth.month, birth.day) == (2, 29) and not calendar.isleap(year):
        return date(year, 3, 1)
    return date(year, birth.month, birth.day)


def expected_late_elderly(birth: date) -> date:
    return birthday_in(birth, birth.year + 75)


def expected_ratio(birth: date, on: date, remuneration: int, reduced: bool) -> int | None:
    """For an insured person (or 任意継続)."""
    if on >= expected_late_elderly(birth):
        return None
    if on <= expected_preschool_end(birth):
        return 2
    if on < expected_seventy_plus_start(birth):
        return 3
    return 3 if remuneration >= 280_000 and not reduced else 2


def ratio(birth: date, on: date, remuneration: int | None = 200_000, **kw) -> int | None:
    return burden_ratio(
        birth=birth, on=on, kind="insured", standard_monthly_remuneration=remuneration, **kw
    )


# --- age ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("birth", "on", "age"),
    [
        (date(2000, 4, 2), date(2006, 4, 1), 6),  # the eve of the 6th birthday
        (date(2000, 4, 2), date(2006, 3, 31), 5),
        (date(2000, 1, 1), date(2024, 12, 31), 25),  # eve in the previous calendar year
        (date(2000, 1, 1), date(2024, 12, 30), 24),
        (date(2004, 2, 29), date(2005, 2, 28), 1),
        (date(2004, 2, 29), date(2005, 2, 27), 0),
        (date(2004, 2, 29), date(2008, 2, 28), 4),
        (date(2004, 3, 1), date(2005, 2, 28), 1),  # eve of 1 March 2005
        (date(2004, 3, 1), date(2008, 2, 29), 4),  # eve of 1 March 2008 (leap year)
        (date(2004, 3, 1), date(2008, 2, 28), 3),
        (date(2004, 3, 1), date(2004, 3, 1), 0),
    ],
)
def test_age_on_examples(birth: date, on: date, age: int) -> None:
    assert age_on(birth, on) == age


@given(BIRTHS, st.integers(0, 110 * 366))
def test_age_on_matches_oracle(birth: date, days: int) -> None:
    on = birth + timedelta(days=days)
    assert age_on(birth, on) == legal_age(birth, on)


@given(BIRTHS | FEB_29_BIRTHS, st.integers(1, 100))
def test_age_changes_on_the_eve_of_each_birthday(birth: date, years: int) -> None:
    birthday = birthday_in(birth, birth.year + years)
    assert age_on(birth, birthday - DAY) == years
    assert age_on(birth, birthday - 2 * DAY) == years - 1


def test_age_before_birth_raises() -> None:
    with pytest.raises(JapaneseValueError) as info:
        age_on(date(2000, 1, 2), date(2000, 1, 1))
    assert info.value.code == "before_birth"


# --- 未就学 ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("birth", "end"),
    [
        (date(2019, 4, 1), date(2025, 3, 31)),  # 4/1 births belong to the earlier cohort
        (date(2019, 4, 2), date(2026, 3, 31)),
        (date(2019, 12, 31), date(2026, 3, 31)),
        (date(2020, 1, 1), date(2026, 3, 31)),
        (date(2020, 2, 29), date(2026, 3, 31)),
        (date(2020, 3, 31), date(2026, 3, 31)),
        (date(2020, 4, 1), date(2026, 3, 31)),
        (date(2020, 4, 2), date(2027, 3, 31)),
    ],
)
def test_preschool_end_examples(birth: date, end: date) -> None:
    assert preschool_end(birth) == end


@given(BIRTHS | FEB_29_BIRTHS)
def test_preschool_end_is_the_march_before_school(birth: date) -> None:
    assert preschool_end(birth) == expected_preschool_end(birth)


@given(st.integers(1935, 2030), st.integers(-3, 3))
def test_preschool_around_1_april(year: int, offset: int) -> None:
    birth = date(year, 4, 1) + timedelta(days=offset)
    end = expected_preschool_end(birth)
    assert preschool_end(birth) == end
    assert ratio(birth, end) == 2
    assert ratio(birth, end + DAY) == 3


# --- 70 -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("birth", "start"),
    [
        (date(1956, 3, 1), date(2026, 3, 1)),  # born on the 1st: the birthday itself
        (date(1956, 3, 2), date(2026, 4, 1)),
        (date(1956, 2, 29), date(2026, 3, 1)),
        (date(1955, 12, 15), date(2026, 1, 1)),
        (date(1955, 12, 31), date(2026, 1, 1)),
        (date(1956, 1, 1), date(2026, 1, 1)),
        (date(1955, 12, 1), date(2025, 12, 1)),
    ],
)
def test_seventy_plus_start_examples(birth: date, start: date) -> None:
    assert seventy_plus_start(birth) == start


@given(BIRTHS | FEB_29_BIRTHS)
def test_seventy_plus_start_matches_oracle(birth: date) -> None:
    assert seventy_plus_start(birth) == expected_seventy_plus_start(birth)


@given(st.integers(1930, 1960), st.integers(1, 12), st.integers(-2, 2))
def test_seventy_plus_around_the_first_of_the_month(year: int, month: int, offset: int) -> None:
    birth = date(year, month, 1) + timedelta(days=offset)
    start = expected_seventy_plus_start(birth)
    assert seventy_plus_start(birth) == start
    assert ratio(birth, start - DAY, 500_000) == 3
    assert ratio(birth, start, 500_000) == 3
    assert ratio(birth, start - DAY, 200_000) == 3
    assert ratio(birth, start, 200_000) == 2


# --- 75 -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("birth", "day"),
    [
        (date(1951, 4, 1), date(2026, 4, 1)),
        (date(1951, 11, 30), date(2026, 11, 30)),
        (date(1952, 2, 29), date(2027, 3, 1)),
        (date(1948, 2, 29), date(2023, 3, 1)),
    ],
)
def test_late_elderly_date_examples(birth: date, day: date) -> None:
    assert late_elderly_date(birth) == day


@given(BIRTHS | FEB_29_BIRTHS)
def test_late_elderly_date_matches_oracle(birth: date) -> None:
    assert late_elderly_date(birth) == expected_late_elderly(birth)


@given(FEB_29_BIRTHS)
def test_feb_29_births_leave_on_1_march(birth: date) -> None:
    # A leap-year birth year + 75 is never a leap year, so it is always 1 March.
    assert late_elderly_date(birth) == date(birth.year + 75, 3, 1)


@given(BIRTHS | FEB_29_BIRTHS, REMUNERATIONS)
def test_coverage_ends_on_the_75th_birthday_not_its_eve(birth: date, smr: int) -> None:
    day = expected_late_elderly(birth)
    assert age_on(birth, day - DAY) == 75  # legally 75 on the eve …
    assert ratio(birth, day - DAY, smr) in (2, 3)  # … but still covered that day
    assert ratio(birth, day, smr) is None
    assert ratio(birth, day + timedelta(days=400), smr) is None


# --- burden_ratio -----------------------------------------------------------------------


@given(BIRTHS | FEB_29_BIRTHS, st.integers(0, 80 * 366), REMUNERATIONS, st.booleans())
def test_insured_ratio_matches_oracle(birth: date, days: int, smr: int, reduced: bool) -> None:
    on = birth + timedelta(days=days)
    expected = expected_ratio(birth, on, smr, reduced)
    assert ratio(birth, on, smr, income_reduction_applied=reduced) == expected
    voluntary = burden_ratio(
        birth=birth,
        on=on,
        kind="voluntary",
        standard_monthly_remuneration=smr,
        income_reduction_applied=reduced,
    )
    assert voluntary == expected


BOUNDARIES = [expected_preschool_end, expected_seventy_plus_start, expected_late_elderly]


@given(
    BIRTHS | FEB_29_BIRTHS,
    st.sampled_from(BOUNDARIES),
    st.integers(-3, 3),
    REMUNERATIONS,
    st.booleans(),
)
def test_ratio_around_each_boundary(birth, boundary, offset, smr, reduced) -> None:
    on = boundary(birth) + timedelta(days=offset)
    assert ratio(birth, on, smr, income_reduction_applied=reduced) == expected_ratio(
        birth, on, smr, reduced
    )


@pytest.mark.parametrize(
    ("birth", "on", "smr", "reduced", "expected"),
    [
        (date(2019, 4, 2), date(2026, 3, 31), 0, False, 2),
        (date(2019, 4, 2), date(2026, 4, 1), 0, False, 3),
        (date(2019, 4, 1), date(2025, 3, 31), 0, False, 2),
        (date(2019, 4, 1), date(2025, 4, 1), 0, False, 3),
        (date(1956, 3, 2), date(2026, 3, 31), 200_000, False, 3),  # still 69 in that month
        (date(1956, 3, 2), date(2026, 4, 1), 260_000, False, 2),
        (date(1956, 3, 2), date(2026, 4, 1), 279_999, False, 2),
        (date(1956, 3, 2), date(2026, 4, 1), 280_000, False, 3),
        (date(1956, 3, 2), date(2026, 4, 1), 280_000, True, 2),  # 基準収入額適用申請
        (date(1956, 3, 1), date(2026, 2, 28), 200_000, False, 3),
        (date(1956, 3, 1), date(2026, 3, 1), 200_000, False, 2),
        (date(1951, 4, 1), date(2026, 3, 31), 200_000, False, 2),
        (date(1951, 4, 1), date(2026, 4, 1), 200_000, False, None),
    ],
)
def test_insured_ratio_table(birth, on, smr, reduced, expected) -> None:
    assert ratio(birth, on, smr, income_reduction_applied=reduced) == expected


DEPENDENT = date(1955, 6, 10)  # 70+ from 2025-07-01, 75 on 2030-06-10
ON = date(2026, 6, 1)


def dependent_ratio(insured_birth, insured_smr, *, on=ON, reduced=False, own_smr=None):
    return burden_ratio(
        birth=DEPENDENT,
        on=on,
        kind="dependent",
        standard_monthly_remuneration=own_smr,
        insured_birth=insured_birth,
        insured_standard_monthly_remuneration=insured_smr,
        income_reduction_applied=reduced,
    )


@pytest.mark.parametrize(
    ("insured_birth", "insured_smr", "reduced", "expected"),
    [
        (date(1954, 1, 5), 300_000, False, 3),  # insured 70+ with ≥ 280,000
        (date(1954, 1, 5), 280_000, True, 2),  # … but the income application was accepted
        (date(1954, 1, 5), 279_999, False, 2),  # insured 70+, below the threshold
        (date(1960, 1, 5), 500_000, False, 2),  # insured under 70: never 現役並み for her
        (date(1956, 6, 1), 500_000, False, 3),  # insured's 70+ starts 2026-06-01 = ON
        (date(1956, 6, 2), 500_000, False, 2),  # reaches 70 on 6/1: 70+ from 2026-07-01
    ],
)
def test_dependent_ratio_table(insured_birth, insured_smr, reduced, expected) -> None:
    assert dependent_ratio(insured_birth, insured_smr, reduced=reduced) == expected


def test_dependent_own_remuneration_is_ignored() -> None:
    assert dependent_ratio(date(1960, 1, 5), 500_000, own_smr=900_000) == 2


def test_dependent_loses_cover_when_the_insured_turns_75() -> None:
    insured = date(1951, 6, 1)  # 75 on 2026-06-01
    assert dependent_ratio(insured, 300_000, on=date(2026, 5, 31)) == 3
    assert dependent_ratio(insured, 300_000, on=date(2026, 6, 1)) is None
    child = burden_ratio(
        birth=date(2015, 1, 1),
        on=date(2026, 6, 1),
        kind="dependent",
        standard_monthly_remuneration=None,
        insured_birth=insured,
        insured_standard_monthly_remuneration=300_000,
    )
    assert child is None


@given(BIRTHS, st.integers(0, 69 * 365))
def test_young_dependent_needs_no_insured_data(birth: date, days: int) -> None:
    on = birth + timedelta(days=days)
    if on >= expected_seventy_plus_start(birth):
        return
    result = burden_ratio(birth=birth, on=on, kind="dependent", standard_monthly_remuneration=None)
    assert result == (2 if on <= expected_preschool_end(birth) else 3)


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"kind": "employee"}, "kind"),
        ({"on": date(1954, 1, 4)}, "before_birth"),
        ({"standard_monthly_remuneration": None}, "remuneration_required"),
        ({"standard_monthly_remuneration": -1}, "remuneration"),
        ({"kind": "dependent", "insured_birth": None}, "insured_required"),
        (
            {
                "kind": "dependent",
                "insured_birth": date(1954, 3, 3),
                "insured_standard_monthly_remuneration": None,
            },
            "remuneration_required",
        ),
    ],
)
def test_burden_ratio_errors(kwargs: dict, code: str) -> None:
    args = {
        "birth": date(1954, 1, 5),
        "on": date(2026, 1, 5),
        "kind": "insured",
        "standard_monthly_remuneration": 300_000,
    } | kwargs
    with pytest.raises(JapaneseValueError) as info:
        burden_ratio(**args)
    assert info.value.code == code
    assert info.value.message
