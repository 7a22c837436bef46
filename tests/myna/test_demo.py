"""Demo data gives the trends a shape: registration dates spread over 2023–2026."""

from __future__ import annotations

from collections import Counter
from datetime import date

import pytest

from demo.eligibility import DemoGenerator

pytestmark = pytest.mark.django_db


def test_demo_registration_dates_spread_over_2023_to_2026():
    gen = DemoGenerator(seed=3, today=date(2026, 12, 1))
    dates = [gen._registration_date() for _ in range(4000)]
    years = Counter(d.year for d in dates)
    assert set(years) == {2023, 2024, 2025, 2026}
    assert min(dates) >= date(2023, 1, 1) and max(dates) < date(2026, 12, 1)
    # A rush in 2023, then the second rush around the end of the paper cards (2024-12).
    assert years[2023] > years[2026]
    late_2024 = sum(date(2024, 10, 1) <= d <= date(2025, 1, 31) for d in dates)
    mid_2024 = sum(date(2024, 2, 1) <= d <= date(2024, 5, 31) for d in dates)
    assert late_2024 > 3 * mid_2024


def test_registration_dates_never_reach_today():
    gen = DemoGenerator(seed=3, today=date(2024, 6, 1))
    assert max(gen._registration_date() for _ in range(2000)) < date(2024, 6, 1)
