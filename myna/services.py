"""Writes of the dashboard: refreshing the registration summary, importing usage figures.

The summary for a date is one GROUP BY over the eligibility records joined to their persons
(a single scan, no per-row work in Python), written in one transaction: a page never sees a
half-refreshed date.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any

from django.db import connection, transaction
from django.db.models import Case as SqlCase
from django.db.models import Count, IntegerField, Q, Sum, Value, When

from core.errors import NotAllowed
from eligibility.models import EligibilityRecord
from myna.ages import age_band_expression
from myna.models import RegistrationSummary

#: Daily rows older than this are dropped unless they are a month's last day (the trend).
KEEP_DAILY_DAYS = 92
#: First key of the advisory lock taken while a date's rows are replaced ("MYNA").
LOCK_NAMESPACE = 0x4D594E41


def month_end(day: date) -> date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def month_ends(first: date, last: date) -> list[date]:
    """The last day of every month from `first`'s month to `last`'s month."""
    out, cursor = [], first.replace(day=1)
    while cursor <= last:
        out.append(month_end(cursor))
        cursor = (cursor.replace(day=28) + timedelta(days=4)).replace(day=1)
    return out


def current_records(as_of: date):  # type: ignore[no-untyped-def]
    """Records in force on `as_of`: acquired on or before, not lost by then."""
    return EligibilityRecord.objects.filter(acquired_on__lte=as_of).filter(
        Q(lost_on__isnull=True) | Q(lost_on__gt=as_of)
    )


def registered_on(as_of: date) -> Q:
    """A record's person is registered on `as_of`: registered, with a date on or before it.

    A registration without a date counts as registered on every date: such a person must not
    be sent a 資格確認書 as unregistered, at the cost of a slightly high history.
    """
    return Q(person__mynacard_registered=True) & (
        Q(person__mynacard_registered_on__isnull=True)
        | Q(person__mynacard_registered_on__lte=as_of)
    )


def _check_actor(actor: Any) -> None:
    if actor is not None and not getattr(actor, "is_headquarters", False):
        raise NotAllowed("集計の更新は本部の職員だけが行えます。")


def _lock_date(as_of: date) -> None:
    """Serialise two refreshes of the same date (the nightly task and a command): on
    PostgreSQL a transaction-level advisory lock; SQLite writes one at a time anyway."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_advisory_xact_lock(%s, %s)", [LOCK_NAMESPACE, as_of.toordinal()]
            )


def refresh_summary(*, as_of: date, actor: Any = None) -> int:
    """Recompute the summary rows of `as_of`; the number of rows written.

    `actor` None is the system (the periodic task); a person must be headquarters staff.
    """
    _check_actor(actor)
    rows = (
        current_records(as_of)
        .annotate(
            band=age_band_expression(as_of),
            reg=SqlCase(
                When(registered_on(as_of), then=Value(1)),
                default=Value(0),
                output_field=IntegerField(),
            ),
        )
        .order_by()
        .values("branch_id", "kind", "band")
        .annotate(members=Count("id"), registered=Sum("reg"))
    )
    summaries = [
        RegistrationSummary(
            as_of=as_of,
            branch_id=row["branch_id"],
            kind=row["kind"],
            age_band=row["band"],
            members=row["members"],
            registered=row["registered"] or 0,
        )
        for row in rows
    ]
    with transaction.atomic():
        _lock_date(as_of)
        RegistrationSummary.objects.filter(as_of=as_of).delete()
        RegistrationSummary.objects.bulk_create(summaries, batch_size=2000)
    return len(summaries)


def refresh_many(*, dates: Iterable[date], actor: Any = None) -> int:
    """Refresh several dates (a backfill of month ends); the rows written."""
    _check_actor(actor)
    return sum(refresh_summary(as_of=d, actor=actor) for d in sorted(set(dates)))


def prune_daily(*, today: date) -> int:
    """Drop old daily rows that are not a month's last day; the rows deleted."""
    cutoff = today - timedelta(days=KEEP_DAILY_DAYS)
    old_dates = (
        RegistrationSummary.objects.filter(as_of__lt=cutoff)
        .values_list("as_of", flat=True)
        .distinct()
    )
    doomed = [d for d in old_dates if d != month_end(d)]
    if not doomed:
        return 0
    deleted, _ = RegistrationSummary.objects.filter(as_of__in=doomed).delete()
    return deleted


def daily_refresh(*, today: date) -> int:
    """What the periodic task does: today, the last month's end (late registrations are
    dated back), and pruning. The rows written."""
    last_month_end = today.replace(day=1) - timedelta(days=1)
    written = refresh_summary(as_of=today) + refresh_summary(as_of=last_month_end)
    prune_daily(today=today)
    return written
