"""Benchmark: the member eligibility records API and the staff lookup on 1,000,000 members.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/kyoukai_bench \\
        .venv/bin/python -m bench.eligibility_lookup [--requests 200] [--explain]

Runs in-process through the whole Django stack (middleware, session authentication, DRF,
serializers) with django.test.Client, for varied members and records, and prints the
server-side time per request (median, p95) and the queries per request. Not a test: nothing
is asserted. The target (issue): median under 20 ms for the member API.

The database must be PostgreSQL and its name must contain "bench". If it holds no members,
it is migrated and loaded with ``demo_data --members N`` first (minutes); a rerun reuses it.
The script links up to --requests persons to member accounts named bench-member-NNN
(idempotent) and re-syncs the staff role groups.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from urllib.parse import urlparse

TARGET_MEDIAN_MS = 20.0


@dataclass
class Result:
    name: str
    times_ms: list[float]
    queries: list[int]
    sql_ms: list[float]

    def line(self) -> str:
        t = sorted(self.times_ms)
        p95 = t[min(len(t) - 1, round(0.95 * (len(t) - 1)))]
        q = sorted(set(self.queries))
        queries = str(q[0]) if len(q) == 1 else f"{q[0]}–{q[-1]}"
        return (
            f"{self.name:<44} n={len(t):<4} median {statistics.median(t):6.2f} ms   "
            f"p95 {p95:6.2f} ms   max {t[-1]:7.2f} ms   "
            f"of which SQL (median) {statistics.median(self.sql_ms):5.2f} ms   "
            f"queries/request {queries}"
        )


def _parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", type=int, default=1_000_000, help="members to load")
    parser.add_argument("--requests", type=int, default=200, help="measured requests per API")
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--explain", action="store_true", help="print EXPLAIN ANALYZE plans")
    return parser.parse_args(argv)


def _setup_django() -> None:
    url = os.environ.get("DATABASE_URL", "")
    parsed = urlparse(url)
    name = parsed.path.lstrip("/")
    if not parsed.scheme.startswith("postgres") or "bench" not in name:
        sys.exit(
            "DATABASE_URL must name a PostgreSQL database whose name contains 'bench', e.g. "
            "postgres://postgres@127.0.0.1:5432/kyoukai_bench"
        )
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    os.environ.setdefault("DJANGO_DEBUG", "false")
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    import django

    django.setup()


def _ensure_data(members: int) -> None:
    from django.core.management import call_command
    from django.db import connection

    from eligibility.models import Person

    call_command("migrate", verbosity=0)
    if not Person.objects.exists():
        print(f"Loading {members:,} demo members (demo_data)…", flush=True)
        call_command("demo_data", members=members, no_progress=True)
    else:
        print("Demo members already loaded: reusing them.")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_user_tables WHERE relname LIKE 'eligibility_%%'"
            " AND last_analyze IS NULL AND last_autoanalyze IS NULL AND n_live_tup > 0"
        )
        if cursor.fetchone()[0]:
            print("Analysing the tables (planner statistics)…", flush=True)
            cursor.execute("ANALYZE")


def _members(count: int, rng: random.Random) -> list:
    """``count`` member accounts, each linked to a random person (created once)."""
    from django.db.models import Max, Min

    from core.models import User
    from eligibility.models import Person

    users = list(
        User.objects.filter(username__startswith="bench-member-", person__isnull=False).order_by(
            "username"
        )[:count]
    )
    bounds = Person.objects.aggregate(low=Min("pk"), high=Max("pk"))
    while len(users) < count:
        candidates = rng.sample(range(bounds["low"], bounds["high"] + 1), 50)
        for person in Person.objects.filter(pk__in=candidates, user__isnull=True):
            if len(users) >= count:
                break
            user, _ = User.objects.get_or_create(
                username=f"bench-member-{len(users):03d}",
                defaults={"kind": User.Kind.MEMBER, "last_name": "ベンチ"},
            )
            if not hasattr(user, "person"):
                person.user = user
                person.save(update_fields=["user"])
            users.append(user)
    return users


def _measure(
    name: str,
    calls: Sequence[Callable[[], object]],
    warmup: int,
) -> Result:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for call in calls[:warmup]:
        call()
    times, queries, sql = [], [], []
    for call in calls:
        with CaptureQueriesContext(connection) as ctx:
            started = time.perf_counter()
            call()
            elapsed = time.perf_counter() - started
        times.append(elapsed * 1000)
        queries.append(len(ctx.captured_queries))
        sql.append(sum(float(q["time"]) for q in ctx.captured_queries) * 1000)
    return Result(name, times, queries, sql)


def _get(client, url: str, params: dict | None = None) -> Callable[[], object]:  # type: ignore[no-untyped-def]
    def call() -> object:
        response = client.get(url, params or {})
        if response.status_code != 200:
            raise SystemExit(f"{url} {params}: HTTP {response.status_code} {response.content!r}")
        return response

    return call


def main(argv: Sequence[str] | None = None) -> None:
    args = _parse_args(sys.argv[1:] if argv is None else argv)
    _setup_django()

    from django.db import connection
    from django.test import Client
    from django.urls import reverse

    from core.models import User
    from core.roles import sync_role_groups
    from eligibility.models import EligibilityRecord

    _ensure_data(args.members)
    sync_role_groups()  # the role groups may predate the eligibility permissions
    rng = random.Random(args.seed)

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT reltuples::bigint FROM pg_class WHERE relname = 'eligibility_person'"
        )
        persons = cursor.fetchone()[0]
        cursor.execute("SHOW server_version")
        version = cursor.fetchone()[0]
    print(
        f"PostgreSQL {version}, database {connection.settings_dict['NAME']}, "
        f"~{persons:,} persons; {args.requests} measured requests per line "
        f"(+{args.warmup} warm-up), in-process django.test.Client, session authentication."
    )

    # --- member API: each request from a different member --------------------------
    members = _members(args.requests, rng)
    records_url = reverse("api-eligibility-records")
    member_calls = []
    for user in members:
        client = Client(SERVER_NAME="localhost")
        client.force_login(user)
        member_calls.append(_get(client, records_url))
    rng.shuffle(member_calls)
    results = [_measure("member GET /eligibility/records/", member_calls, args.warmup)]

    detail_calls = []
    for user in members:
        client = Client(SERVER_NAME="localhost")
        client.force_login(user)
        record_id = EligibilityRecord.objects.filter(person__user=user).values("pk")[0]["pk"]
        detail_calls.append(_get(client, reverse("api-eligibility-record", args=[record_id])))
    results.append(_measure("member GET /eligibility/records/{id}/", detail_calls, args.warmup))

    # --- staff lookups ------------------------------------------------------------------
    lookup_url = reverse("api-eligibility-lookup")
    reviewer = User.objects.get(username="reviewer")  # 東京支部 審査担当 (demo account)
    hq = User.objects.get(username="admin")
    staff = Client(SERVER_NAME="localhost")
    staff.force_login(reviewer)
    hq_client = Client(SERVER_NAME="localhost")
    hq_client.force_login(hq)
    tokyo = list(
        EligibilityRecord.objects.filter(branch_id=reviewer.branch_id)
        .order_by("?")
        .values("symbol", "number", "branch_number", "name_kana")[: args.requests]
    )
    by_number = [
        _get(staff, lookup_url, {"symbol": r["symbol"], "number": r["number"]}) for r in tokyo
    ]
    by_kana = [
        _get(staff, lookup_url, {"kana": r["name_kana"].split("\u3000")[0][:3]}) for r in tokyo
    ]
    hq_by_number = [
        _get(
            hq_client,
            lookup_url,
            {"symbol": r["symbol"], "number": r["number"], "branch_number": r["branch_number"]},
        )
        for r in tokyo
    ]
    results.append(_measure("staff (東京) lookup by 記号・番号", by_number, args.warmup))
    results.append(_measure("staff (東京) lookup by kana (3-char prefix)", by_kana, args.warmup))
    results.append(_measure("staff (本部) lookup by 記号・番号・枝番", hq_by_number, args.warmup))

    print()
    for result in results:
        print(result.line())
    member_median = statistics.median(results[0].times_ms)
    verdict = "under" if member_median < TARGET_MEDIAN_MS else "NOT under"
    print(
        f"\nMember eligibility lookup API: median {member_median:.2f} ms, {verdict} the "
        f"{TARGET_MEDIAN_MS:.0f} ms target; constant queries: "
        f"{sorted(set(results[0].queries))}."
    )

    if args.explain:
        _explain(members[0], reviewer, tokyo[0])


def _explain(member, reviewer, sample: dict) -> None:  # type: ignore[no-untyped-def]
    from django.db import connection

    from eligibility.selectors import records_for_member, records_for_staff

    queries = {
        "member records page": records_for_member(user=member).order_by("-id")[:51],
        "staff kana lookup page": records_for_staff(
            user=reviewer, kana=sample["name_kana"].split("\u3000")[0][:3]
        ).order_by("-id")[:51],
        "staff 記号・番号 lookup page": records_for_staff(
            user=reviewer, symbol=sample["symbol"], number=sample["number"]
        ).order_by("-id")[:51],
    }
    for title, qs in queries.items():
        sql, params = qs.query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}", params)
            plan = "\n    ".join(row[0] for row in cursor.fetchall())
        print(f"\n-- {title}\n    {plan}")


if __name__ == "__main__":
    main()
