"""Periodic refresh of the マイナ保険証 summary (queue "bulk", scheduled in CELERY_BEAT_SCHEDULE).

Idempotent: each run recomputes whole dates, so a redelivered or repeated run writes the same
rows. At 40 million members one date is one scan of the records (see bench/myna_dashboard.py).
"""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from myna import services


@shared_task(name="myna.tasks.refresh_daily", time_limit=3 * 60 * 60, soft_time_limit=170 * 60)
def refresh_daily() -> int:
    """Today, last month's end, and pruning of old daily rows; the rows written."""
    return services.daily_refresh(today=timezone.localdate())
