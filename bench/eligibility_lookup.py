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
import random
import sys
from collections.abc import Sequence
from functools import partial

from bench.common import (
    Result,
    database_summary,
    ensure_members,
    explain,
    get,
    logged_in,
    measure,
    setup_django,
)

TARGET_MEDIAN_MS = 20.0


def _line(result: Result) -> str:
    return (
        f"{result.name:<44} n={len(result.times_ms):<4} median {result.median:6.2f} ms   "
        f"p95 {result.p95:6.2f} ms   max {max(result.times_ms):7.2f} ms   "
        f"of which SQL (median) {result.sql_median:5.2f} ms   "
        f"queries/request {result.query_counts}"
    )


def _parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", type=int, default=1_000_000, help="members to load")
    parser.add_argument("--requests", type=int, default=200, help="measured requests per API")
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--explain", action="store_true", help="print EXPLAIN ANALYZE plans")
    return parser.parse_args(argv)


def _ensure_data(members: int) -> None:
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    if not ensure_members(members):
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


#: The staff and member APIs answer with a reason: show it when a request fails.
_get = partial(get, show_body=True)


def main(argv: Sequence[str] | None = None) -> None:
    args = _parse_args(sys.argv[1:] if argv is None else argv)
    setup_django("kyoukai_bench")

    from django.urls import reverse

    from core.models import User
    from core.roles import sync_role_groups
    from eligibility.models import EligibilityRecord

    _ensure_data(args.members)
    sync_role_groups()  # the role groups may predate the eligibility permissions
    rng = random.Random(args.seed)

    print(
        f"{database_summary('eligibility_person', 'persons')}; {args.requests} measured "
        f"requests per line (+{args.warmup} warm-up), in-process django.test.Client, "
        "session authentication."
    )

    # --- member API: each request from a different member --------------------------
    members = _members(args.requests, rng)
    records_url = reverse("api-eligibility-records")
    member_calls = [_get(logged_in(user), records_url) for user in members]
    rng.shuffle(member_calls)
    results = [measure("member GET /eligibility/records/", member_calls, args.warmup)]

    detail_calls = []
    for user in members:
        client = logged_in(user)
        record_id = EligibilityRecord.objects.filter(person__user=user).values("pk")[0]["pk"]
        detail_calls.append(_get(client, reverse("api-eligibility-record", args=[record_id])))
    results.append(measure("member GET /eligibility/records/{id}/", detail_calls, args.warmup))

    # --- staff lookups ------------------------------------------------------------------
    lookup_url = reverse("api-eligibility-lookup")
    reviewer = User.objects.get(username="reviewer")  # 東京支部 審査担当 (demo account)
    hq = User.objects.get(username="admin")
    staff = logged_in(reviewer)
    hq_client = logged_in(hq)
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
    results.append(measure("staff (東京) lookup by 記号・番号", by_number, args.warmup))
    results.append(measure("staff (東京) lookup by kana (3-char prefix)", by_kana, args.warmup))
    results.append(measure("staff (本部) lookup by 記号・番号・枝番", hq_by_number, args.warmup))

    print()
    for result in results:
        print(_line(result))
    member_median = results[0].median
    verdict = "under" if member_median < TARGET_MEDIAN_MS else "NOT under"
    print(
        f"\nMember eligibility lookup API: median {member_median:.2f} ms, {verdict} the "
        f"{TARGET_MEDIAN_MS:.0f} ms target; constant queries: "
        f"{sorted(set(results[0].queries))}."
    )

    if args.explain:
        _explain(members[0], reviewer, tokyo[0])


def _explain(member, reviewer, sample: dict) -> None:  # type: ignore[no-untyped-def]
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
        plan = "\n    ".join(explain(qs))
        print(f"\n-- {title}\n    {plan}")


if __name__ == "__main__":
    main()
