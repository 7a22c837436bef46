"""Demo figures for the dashboard: month-end summaries since 2023, usage figures and KPIs.

Usage figures come from outside in production (CSV); the demo makes plausible ones (a rising
rate, branches spread around it, the prefecture table a little above) so the pages have a
shape. Deterministic for a given seed.
"""

from __future__ import annotations

import random
from datetime import date
from decimal import Decimal

from core.models import Branch
from myna.models import KpiTarget, Metric, UsageFigure, UsageScope
from myna.services import month_ends, refresh_many

FIRST_MONTH = date(2023, 1, 1)


def summaries(*, today: date) -> int:
    """Month ends from January 2023 to last month, and today; the rows written."""
    dates = [d for d in month_ends(FIRST_MONTH, today) if d < today] + [today]
    return refresh_many(dates=dates)


def _usage_rate(month: date) -> float:
    """The association's usage rate rose from about 5 % (2023) to about 45 % (late 2025)."""
    months = (month.year - 2023) * 12 + month.month - 1
    return min(0.05 + 0.0115 * months, 0.48)


def usage(*, today: date, seed: int = 2026) -> int:
    """Monthly usage per branch (協会) and per prefecture (国全体) up to last month."""
    rng = random.Random(seed)
    branches = list(Branch.objects.order_by("code"))
    offsets = {b.pk: rng.uniform(-0.08, 0.08) for b in branches}
    rows = []
    for end in month_ends(FIRST_MONTH, today):
        month = end.replace(day=1)
        if end >= today:
            break
        for b in branches:
            checks = rng.randrange(80_000, 120_000) * (12 if b.code == 13 else 1)
            for scope, lift in ((UsageScope.ASSOCIATION, 0.0), (UsageScope.NATIONAL, 0.03)):
                rate = max(0.01, min(0.95, _usage_rate(month) + offsets[b.pk] + lift))
                rows.append(
                    UsageFigure(
                        month=month,
                        scope=scope,
                        branch=b,
                        myna_uses=int(checks * rate),
                        online_checks=checks,
                    )
                )
    UsageFigure.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)


def targets() -> int:
    """The seed's KPI (利用率 50 % at the end of November 2024) and registration targets."""
    made = 0
    wanted = [
        (date(2024, 11, 1), Metric.USAGE, Decimal("50.00"), "令和6年11月末時点の利用率（外来）")
    ]
    wanted += [(date(2026, m, 1), Metric.REGISTRATION, Decimal("80.00"), "") for m in range(1, 13)]
    for month, metric, rate, note in wanted:
        _, created = KpiTarget.objects.get_or_create(
            month=month, metric=metric, branch=None, defaults={"rate": rate, "note": note}
        )
        made += created
    return made
