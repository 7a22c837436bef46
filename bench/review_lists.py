"""Benchmark: the reviewer's admin queue and the applicant's lists on 1,000,000 applications.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/kyoukai_bench_apps \\
        .venv/bin/python -m bench.review_lists [--requests 40] [--explain]

Runs in-process through the whole Django stack (middleware, sessions, the admin changelist
with its filters, search and paginator; DRF for the API) with django.test.Client and prints
the server-side time per request (median, p95), the SQL part and the queries per request.
Not a test: nothing is asserted. The target (issue): median under 150 ms per page.

The database must be PostgreSQL and its name must contain "bench". Missing data is created
first (minutes): ``demo_data --members N`` when there are no members, then
:func:`demo.applications.generate` up to --applications. A rerun reuses it.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections.abc import Sequence

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

TARGET_MEDIAN_MS = 150.0


def _line(result: Result) -> str:
    return (
        f"{result.name:<46} n={len(result.times_ms):<3} median {result.median:6.1f} ms   "
        f"p95 {result.p95:6.1f} ms   SQL (median) {result.sql_median:5.1f} ms   "
        f"queries {result.query_counts}"
    )


def _parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--members", type=int, default=200_000)
    parser.add_argument("--applications", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=40, help="measured requests per line")
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--explain", action="store_true", help="print EXPLAIN ANALYZE plans")
    return parser.parse_args(argv)


def _ensure_data(members: int, applications: int) -> None:
    from django.core.management import call_command
    from django.db import connection

    from applications.models import Application
    from core.roles import sync_role_groups
    from demo import applications as demo

    call_command("migrate", verbosity=0)
    sync_role_groups()  # the role groups may predate the applications permissions
    ensure_members(members)
    have = Application.objects.count()
    if have < applications:
        print(f"Generating {applications - have:,} applications…", flush=True)
        started = time.monotonic()
        demo.generate(count=applications - have)
        print(f"… in {time.monotonic() - started:.0f} s", flush=True)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def _staff(username: str, branch) -> object:  # type: ignore[no-untyped-def]
    from django.contrib.auth.models import Group

    from core.models import User
    from core.roles import REVIEWER

    user, _ = User.objects.get_or_create(
        username=username,
        defaults={
            "kind": User.Kind.STAFF,
            "is_staff": True,
            "branch": branch,
            "last_name": "ベンチ",
        },
    )
    user.groups.add(Group.objects.get(name=REVIEWER))
    return user


def _sample(rng: random.Random, n: int, **filters: object) -> list[dict]:
    """``n`` random applications (by random id probes: no ORDER BY random() on 1M rows)."""
    from django.db.models import Max

    from applications.models import Application

    top = Application.objects.aggregate(m=Max("pk"))["m"] or 0
    out: list[dict] = []
    while len(out) < n:
        ids = [rng.randint(1, top) for _ in range(n * 4)]
        out += list(
            Application.objects.filter(pk__in=ids, **filters)
            .exclude(status="draft")
            .values("pk", "receipt_number", "symbol", "number", "name_kana", "applicant_id")
        )
    return out[:n]


def main(argv: Sequence[str] | None = None) -> None:
    args = _parse_args(sys.argv[1:] if argv is None else argv)
    setup_django("kyoukai_bench_apps")

    from django.db import connection
    from django.urls import NoReverseMatch, reverse

    from core.models import Branch, User

    _ensure_data(args.members, args.applications)
    rng = random.Random(args.seed)
    tokyo = Branch.objects.get(code=13)
    reviewer = _staff("bench-reviewer-tokyo", tokyo)
    hq = _staff("bench-reviewer-hq", None)
    summary = database_summary("applications_application", "applications")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM applications_application WHERE branch_id = %s", [tokyo.pk]
        )
        tokyo_rows = cursor.fetchone()[0]
    print(
        f"{summary} ({tokyo_rows:,} in 東京支部); {args.requests} measured "
        f"requests per line (+{args.warmup} warm-up), in-process django.test.Client."
    )

    changelist = reverse("admin:applications_application_changelist")
    n = args.requests
    tokyo_apps = _sample(rng, n, branch_id=tokyo.pk)
    any_apps = _sample(rng, n)
    kana = [a["name_kana"].split("\u3000")[0][:3] for a in tokyo_apps]
    statuses = ["received", "reviewing", "returned", "completed"]
    results: list[Result] = []
    for label, user, sample in (("東京支部", reviewer, tokyo_apps), ("本部", hq, any_apps)):
        client = logged_in(user)
        scenarios = {
            "queue, first page": [get(client, changelist) for _ in range(n)],
            "queue, filtered by status": [
                get(client, changelist, {"status": statuses[i % 4]}) for i in range(n)
            ],
            "search by 受付番号": [
                get(client, changelist, {"q": a["receipt_number"]}) for a in sample
            ],
            "search by 記号-番号": [
                get(client, changelist, {"q": f"{a['symbol']}-{a['number']}"}) for a in sample
            ],
            "search by kana (3-char prefix)": [get(client, changelist, {"q": k}) for k in kana],
        }
        for name, calls in scenarios.items():
            results.append(measure(f"admin ({label}) {name}", calls, args.warmup))
            print(_line(results[-1]), flush=True)

    # --- the applicant's lists ------------------------------------------------------------
    applicants = list(
        User.objects.filter(pk__in={a["applicant_id"] for a in any_apps}, kind="member")
    )
    attorney = User.objects.filter(kind="attorney", applications__isnull=False).first()
    try:
        api_url = reverse("api-applications")
    except NoReverseMatch:
        api_url = None
    pages = [("/applications/mine/ (web page)", reverse("applications:member-list"))]
    if api_url:
        pages.insert(0, (f"{api_url} (API)", api_url))
    for name, url in pages:
        calls = [get(logged_in(user), url) for user in applicants]
        results.append(measure(f"member {name}", calls, args.warmup))
        print(_line(results[-1]), flush=True)
        if attorney is not None:
            client = logged_in(attorney)
            count = attorney.applications.count()
            results.append(
                measure(
                    f"attorney ({count:,} filed) {name}",
                    [get(client, url) for _ in range(n)],
                    args.warmup,
                )
            )
            print(_line(results[-1]), flush=True)

    slow = [r for r in results if r.median >= TARGET_MEDIAN_MS]
    print(
        "\nAll medians under the 150 ms target."
        if not slow
        else "\nNOT under 150 ms: " + ", ".join(r.name for r in slow)
    )
    if args.explain:
        _explain(reviewer, hq, tokyo_apps[0], kana[0])


def _explain(reviewer, hq, sample: dict, kana: str) -> None:  # type: ignore[no-untyped-def]
    from django.contrib.admin.sites import site
    from django.test import RequestFactory

    from applications.models import Application

    admin = site._registry[Application]
    for user, params in (
        (reviewer, {}),
        (reviewer, {"status": "received"}),
        (reviewer, {"q": kana}),
        (hq, {}),
        (hq, {"status": "received"}),
        (hq, {"q": kana}),
        (hq, {"q": sample["receipt_number"]}),
    ):
        request = RequestFactory().get("/", params)
        request.user = user
        changelist = admin.get_changelist_instance(request)
        plan = "\n".join(explain(changelist.get_queryset(request)[:50]))
        print(f"\n--- {user.username} {params}\n{plan}")


if __name__ == "__main__":
    main()
