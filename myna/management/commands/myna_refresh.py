"""Recompute the マイナ保険証 summary: today, a date, or every month end over a period.

python manage.py myna_refresh                       # today and last month's end
python manage.py myna_refresh --date 2025-08-31
python manage.py myna_refresh --from 2023-01 --to 2026-11   # month ends (backfill)
"""

from __future__ import annotations

import time
from datetime import date, timedelta

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from eligibility.imports.errors import FieldError
from eligibility.imports.fields import parse_date
from myna import services
from myna.imports import parse_month


class Command(BaseCommand):
    help = "マイナ保険証の利用登録集計を更新します（既定: 本日と前月末）。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--date", help="この日の集計を更新（2025-08-31、令和7年8月31日）")
        parser.add_argument("--from", dest="first", help="この月から（2023-01）の各月末")
        parser.add_argument("--to", dest="last", help="この月まで（既定: 今月）")

    def handle(self, *args, **options) -> None:
        today = timezone.localdate()
        started = time.monotonic()
        try:
            if options["date"]:
                dates = [parse_date(options["date"])]
            elif options["first"]:
                last = parse_month(options["last"]) if options["last"] else today
                ends = services.month_ends(parse_month(options["first"]), last)
                dates = [d for d in ends if d < today] + [today]
            else:
                dates = []
        except FieldError as exc:
            raise CommandError(exc.message) from exc
        if dates:
            rows = services.refresh_many(dates=dates)
        else:
            rows = services.daily_refresh(today=today)
            dates = [today, date(today.year, today.month, 1) - timedelta(days=1)]
        elapsed = time.monotonic() - started
        self.stdout.write(
            f"{len(dates)} 日分の集計 {rows:,} 行を更新しました（{elapsed:.1f} 秒）。"
        )
