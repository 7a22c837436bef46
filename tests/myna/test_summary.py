"""The registration summary equals a straightforward count of the records on the same data."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.errors import NotAllowed
from eligibility.models import EligibilityRecord
from myna.ages import age_band, age_band_expression, age_on
from myna.models import RegistrationSummary
from myna.selectors import registration_by_age, registration_ranking, registration_total
from myna.services import daily_refresh, month_ends, prune_daily, refresh_summary
from tests.factories.core import branch
from tests.factories.eligibility import (
    DependentRecordFactory,
    InsuredRecordFactory,
    PersonFactory,
    VoluntaryRecordFactory,
)

AS_OF = date(2025, 8, 31)


def straightforward(as_of: date) -> Counter:
    """(branch, kind, band) → [members, registered], by looking at every record in Python."""
    counts: Counter = Counter()
    for r in EligibilityRecord.objects.select_related("person"):
        if r.acquired_on > as_of or (r.lost_on is not None and r.lost_on <= as_of):
            continue
        key = (r.branch_id, r.kind, age_band(r.birth_date, as_of))
        counts[(*key, "members")] += 1
        p = r.person
        if p.mynacard_registered and (
            p.mynacard_registered_on is None or p.mynacard_registered_on <= as_of
        ):
            counts[(*key, "registered")] += 1
    return counts


def summarised(as_of: date) -> Counter:
    counts: Counter = Counter()
    for s in RegistrationSummary.objects.filter(as_of=as_of):
        key = (s.branch_id, s.kind, s.age_band)
        counts[(*key, "members")] += s.members
        counts[(*key, "registered")] += s.registered
    return +counts


def _person(registered_on: date | None, registered: bool = True):
    return PersonFactory(mynacard_registered=registered, mynacard_registered_on=registered_on)


@pytest.fixture
def population(db):
    osaka = branch(27)
    # Registered before the date: counted as registered.
    early = InsuredRecordFactory(person=_person(date(2024, 5, 1)), birth_date=date(1990, 1, 1))
    # Registered after the as-of date: a member, not registered yet.
    InsuredRecordFactory(person=_person(date(2025, 9, 1)), birth_date=date(1975, 9, 1))
    # Lost eligibility before the date: not counted at all (registered or not).
    InsuredRecordFactory(
        person=_person(date(2023, 1, 1)), acquired_on=date(2010, 1, 1), lost_on=date(2025, 8, 31)
    )
    # Acquired after the date: not yet a member.
    InsuredRecordFactory(person=_person(date(2023, 1, 1)), acquired_on=date(2025, 9, 1))
    # Lost the day after: still a member on the date.
    InsuredRecordFactory(person=_person(None, registered=False), lost_on=date(2025, 9, 1))
    # Dependent child, 9 on the date (10 the day after), never registered.
    DependentRecordFactory(
        insured_record=early,
        person=_person(None, registered=False),
        birth_date=date(2015, 9, 1),
        acquired_on=date(2015, 9, 1),
    )
    # Registered with no date: counted as registered.
    VoluntaryRecordFactory(person=_person(None), birth_date=date(1952, 3, 3))
    # Another branch, 74.
    VoluntaryRecordFactory(
        person=_person(date(2025, 8, 31)), branch=osaka, birth_date=date(1951, 6, 1)
    )
    # Unregistered (registration withdrawn): the old date does not count.
    InsuredRecordFactory(person=_person(date(2024, 1, 1), registered=False))


def test_summary_equals_a_straightforward_count(population, hq_admin):
    for day in (AS_OF, date(2025, 9, 1), date(2024, 12, 31)):
        refresh_summary(as_of=day)
        assert summarised(day) == +straightforward(day)

    total = registration_total(actor=hq_admin, as_of=AS_OF)
    # Members on 2025-08-31: early, after-date, lost-next-day, child, no-date, osaka, withdrawn.
    assert (total.whole, total.part) == (7, 3)  # early, no-date, osaka
    bands = registration_by_age(actor=hq_admin, as_of=AS_OF)
    assert bands[0].whole == 1 and bands[0].part == 0  # the child, 9 that day
    assert bands[7].whole == 2 and bands[7].part == 2  # 73 and 74


def test_a_member_who_registered_after_the_date_counts_from_that_date(db, hq_admin):
    InsuredRecordFactory(person=_person(date(2025, 9, 1)))
    refresh_summary(as_of=AS_OF)
    refresh_summary(as_of=date(2025, 9, 1))
    assert registration_total(actor=hq_admin, as_of=AS_OF).part == 0
    assert registration_total(actor=hq_admin, as_of=date(2025, 9, 1)).part == 1


def test_a_member_who_lost_eligibility_leaves_the_counts_that_day(db, hq_admin):
    InsuredRecordFactory(person=_person(date(2020, 1, 1)), lost_on=date(2025, 9, 1))
    refresh_summary(as_of=AS_OF)
    refresh_summary(as_of=date(2025, 9, 1))
    assert registration_total(actor=hq_admin, as_of=AS_OF).whole == 1
    assert registration_total(actor=hq_admin, as_of=date(2025, 9, 1)).whole == 0


def test_refresh_replaces_the_rows_of_its_date(population):
    refresh_summary(as_of=AS_OF)
    first = summarised(AS_OF)
    refresh_summary(as_of=AS_OF)
    assert summarised(AS_OF) == first


def test_only_headquarters_or_the_system_refreshes(population, reviewer):
    with pytest.raises(NotAllowed):
        refresh_summary(as_of=AS_OF, actor=reviewer)


def test_branch_staff_see_the_national_ranking(population, reviewer):
    refresh_summary(as_of=AS_OF)
    rows = registration_ranking(actor=reviewer, as_of=AS_OF)
    assert len(rows) == 47


def test_daily_refresh_keeps_month_ends_and_recent_days(population):
    today = date(2025, 12, 10)
    for day in (date(2025, 8, 15), date(2025, 8, 31), date(2025, 12, 1)):
        refresh_summary(as_of=day)
    daily_refresh(today=today)
    prune_daily(today=today)
    kept = set(RegistrationSummary.objects.values_list("as_of", flat=True))
    assert kept == {date(2025, 8, 31), date(2025, 11, 30), date(2025, 12, 1), today}


def test_month_ends():
    assert month_ends(date(2024, 1, 15), date(2024, 3, 1)) == [
        date(2024, 1, 31),
        date(2024, 2, 29),
        date(2024, 3, 31),
    ]


@settings(max_examples=200, deadline=None)
@given(
    birth=st.dates(min_value=date(1940, 1, 1), max_value=date(2026, 12, 31)),
    offset=st.integers(min_value=0, max_value=85 * 366),
)
def test_age_band_in_sql_agrees_with_python(birth, offset):
    """The SQL expression's thresholds give the same band as age_on (29 February included)."""
    on = birth + timedelta(days=offset)
    expected = age_band(birth, on)
    assert age_on(birth, on) >= 0
    case = age_band_expression(on)
    band = next(
        (w.result.value for w in case.cases if birth > w.condition.children[0][1]),
        case.default.value,
    )
    assert band == expected


def test_refresh_command_backfills_month_ends_and_the_task_refreshes_today(population):
    import io

    from django.core.management import call_command
    from django.utils import timezone

    from myna.tasks import refresh_daily

    call_command("myna_refresh", "--from", "2025-06", "--to", "2025-08", stdout=io.StringIO())
    dates = set(RegistrationSummary.objects.values_list("as_of", flat=True))
    assert {date(2025, 6, 30), date(2025, 7, 31), date(2025, 8, 31)} <= dates
    assert max(dates) >= timezone.localdate() - timedelta(days=1)  # today (midnight may pass)
    RegistrationSummary.objects.all().delete()
    assert refresh_daily() > 0
    assert RegistrationSummary.objects.filter(as_of__gte=timezone.localdate()).exists()


def test_beat_schedules_the_daily_refresh(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["myna-refresh-daily"]
    assert entry["task"] == "myna.tasks.refresh_daily"
    assert settings.CELERY_TASK_ROUTES["myna.tasks.*"] == {"queue": "bulk"}


def test_trend_is_month_ends_then_the_latest_date(population, hq_admin):
    from myna.selectors import registration_trend

    for day in (date(2025, 7, 31), date(2025, 8, 15), date(2025, 8, 31), date(2025, 9, 10)):
        refresh_summary(as_of=day)
    points = registration_trend(actor=hq_admin)
    assert [p.on for p in points] == [date(2025, 7, 31), date(2025, 8, 31), date(2025, 9, 10)]
    assert points[1].count == registration_total(actor=hq_admin, as_of=date(2025, 8, 31))
