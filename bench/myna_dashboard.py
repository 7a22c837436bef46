"""Benchmark: the マイナ保険証 dashboard at 1,000,000 members.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/kyoukai_dash_bench \\
        .venv/bin/python -m bench.myna_dashboard [--requests 40] [--refreshes 3] [--explain]

Prints (1) the cost of the summary refresh of one date (one GROUP BY over the eligibility
records joined to their persons), the figure that scales with the membership, and its linear
extrapolation to 40 million members; (2) the server time of the national page, a branch page
and a CSV download, in-process through the whole Django stack (django.test.Client), with the
SQL part and the queries per request. Pages read only the summary table (47 × 3 × 8 rows per
date), so their cost does not grow with the members. Not a test: nothing is asserted.
Target (issue 16): each page under 200 ms server time.

The database must be PostgreSQL and its name must contain "bench". With no members it runs
``demo_data --members N`` first (which also backfills the month-end summaries since 2023 and
the demo usage figures); a rerun reuses the data.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Sequence

from bench.common import (
    Result,
    database_summary,
    ensure_members,
    get,
    logged_in,
    measure,
    setup_django,
)

TARGET_MS = 200.0
NATIONAL_MEMBERS = 40_000_000


def _line(result: Result) -> str:
    return (
        f"{result.name:<34} n={len(result.times_ms):<3} median {result.median:6.1f} ms   "
        f"p95 {result.p95:6.1f} ms   SQL (median) {result.sql_median:5.1f} ms   "
        f"queries {result.query_counts}"
    )


def _parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--members", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=40, help="measured requests per line")
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--refreshes", type=int, default=3, help="timed refreshes of one date")
    parser.add_argument("--explain", action="store_true", help="EXPLAIN ANALYZE the refresh")
    return parser.parse_args(argv)


def _staff(username: str, branch) -> object:  # type: ignore[no-untyped-def]
    from core.models import User

    user, _ = User.objects.get_or_create(
        username=username,
        defaults={"kind": User.Kind.STAFF, "is_staff": True, "branch": branch},
    )
    return user


def main(argv: Sequence[str] | None = None) -> None:
    args = _parse_args(sys.argv[1:] if argv is None else argv)
    setup_django("kyoukai_dash_bench")

    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from core.models import Branch
    from demo import myna as demo
    from eligibility.models import EligibilityRecord
    from myna.models import RegistrationSummary
    from myna.services import current_records, refresh_summary

    call_command("migrate", verbosity=0)
    ensure_members(args.members)
    today = timezone.localdate()
    if not RegistrationSummary.objects.exclude(as_of=today).exists():
        print("Backfilling month-end summaries since 2023 and demo usage…", flush=True)
        started = time.monotonic()
        rows = demo.summaries(today=today)
        demo.usage(today=today)
        demo.targets()
        print(f"… {rows:,} summary rows in {time.monotonic() - started:.1f} s", flush=True)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    records = EligibilityRecord.objects.count()
    dates = RegistrationSummary.objects.values("as_of").distinct().count()
    print(
        f"{database_summary('eligibility_eligibilityrecord', 'records')}; {records:,} records, "
        f"summary {RegistrationSummary.objects.count():,} rows over {dates} dates."
    )

    # (1) The refresh of one date: what the daily task does twice (today, last month's end).
    times = []
    for _ in range(args.refreshes):
        started = time.perf_counter()
        refresh_summary(as_of=today)
        times.append(time.perf_counter() - started)
    per_date = statistics.median(times)
    per_million = per_date / (records / 1_000_000)
    estimate = per_million * NATIONAL_MEMBERS / 1_000_000
    print(
        f"refresh of one date: median {per_date:.2f} s (runs: "
        f"{', '.join(f'{t:.2f}' for t in times)}) = {per_million:.2f} s per million records; "
        f"linear estimate at {NATIONAL_MEMBERS:,}: {estimate:,.0f} s per date "
        f"({2 * estimate / 60:.1f} min for the daily task's two dates)"
    )
    if args.explain:
        from myna.ages import age_band_expression

        qs = (
            current_records(today)
            .annotate(band=age_band_expression(today))
            .values("branch_id", "kind", "band")
        )
        sql, params = qs.query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}", params)
            for (line,) in cursor.fetchall():
                print("   ", line)

    # (2) The pages.
    tokyo = Branch.objects.get(code=13)
    hq = logged_in(_staff("bench-myna-hq", None))
    branch_staff = logged_in(_staff("bench-myna-tokyo", tokyo))
    base = "/admin/myna/dashboard/"
    n = args.requests
    scenarios = [
        ("national page (本部)", [get(hq, base) for _ in range(n)]),
        ("national page (東京支部)", [get(branch_staff, base) for _ in range(n)]),
        ("branch page 東京 (東京支部)", [get(branch_staff, f"{base}branch/13/") for _ in range(n)]),
        ("branch page 沖縄 (本部)", [get(hq, f"{base}branch/47/") for _ in range(n)]),
        (
            "CSV 支部別利用登録率 (本部)",
            [get(hq, f"{base}download/registration_by_branch.csv") for _ in range(n)],
        ),
        (
            "preview 資格確認書 東京",
            [get(branch_staff, f"{base}branch/13/certificate-preview/") for _ in range(n)],
        ),
    ]
    print(f"{args.requests} measured requests per line (+{args.warmup} warm-up); target "
          f"{TARGET_MS:.0f} ms")  # fmt: skip
    for name, calls in scenarios:
        result = measure(name, calls, args.warmup)
        print(_line(result), flush=True)


if __name__ == "__main__":
    main()
