"""Benchmark: the reviewer's admin queue and the applicant's lists on 1,000,000 applications.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/kyoukai_bench_apps \\
        .venv/bin/python -m bench.review_lists [--requests 40] [--explain]

Runs in-process through the whole Django stack (middleware, sessions, the admin changelist
with its filters, search and paginator; DRF for the API) with django.test.Client and prints
the server-side time per request (median, p95), the SQL part and the queries per request.
Not a test: nothing is asserted. The target (issue): median under 150 ms per page.

The database must be PostgreSQL and its name must contain "bench". Missing data is created
first (minutes): ``demo_data --members N`` when there are no members, then
:func:`applications.demo.generate` up to --applications. A rerun reuses it.
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

TARGET_MEDIAN_MS = 150.0


@dataclass
class Result:
    name: str
    times_ms: list[float]
    queries: list[int]
    sql_ms: list[float]

    @property
    def median(self) -> float:
        return statistics.median(self.times_ms)

    def line(self) -> str:
        t = sorted(self.times_ms)
        p95 = t[min(len(t) - 1, round(0.95 * (len(t) - 1)))]
        q = sorted(set(self.queries))
        queries = str(q[0]) if len(q) == 1 else f"{q[0]}–{q[-1]}"
        return (
            f"{self.name:<46} n={len(t):<3} median {self.median:6.1f} ms   "
            f"p95 {p95:6.1f} ms   SQL (median) {statistics.median(self.sql_ms):5.1f} ms   "
            f"queries {queries}"
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


def _setup_django() -> None:
    parsed = urlparse(os.environ.get("DATABASE_URL", ""))
    if not parsed.scheme.startswith("postgres") or "bench" not in parsed.path:
        sys.exit(
            "DATABASE_URL must name a PostgreSQL database whose name contains 'bench', e.g. "
            "postgres://postgres@127.0.0.1:5432/kyoukai_bench_apps"
        )
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    os.environ.setdefault("DJANGO_DEBUG", "false")
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    import django

    django.setup()


def _ensure_data(members: int, applications: int) -> None:
    from django.core.management import call_command
    from django.db import connection

    from applications import demo
    from applications.models import Application
    from core.roles import sync_role_groups
    from eligibility.models import Person

    call_command("migrate", verbosity=0)
    sync_role_groups()  # the role groups may predate the applications permissions
    if not Person.objects.exists():
        print(f"Loading {members:,} demo members (demo_data)…", flush=True)
        call_command("demo_data", members=members, no_progress=True)
    have = Application.objects.count()
    if have < applications:
        print(f"Generating {applications - have:,} applications…", flush=True)
        started = time.monotonic()
        demo.generate(count=applications - have)
        print(f"… in {time.monotonic() - started:.0f} s", flush=True)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def _measure(name: str, calls: Sequence[Callable[[], object]], warmup: int) -> Result:
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
            raise SystemExit(f"{url} {params}: HTTP {response.status_code}")
        return response

    return call


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
    _setup_django()

    from django.db import connection
    from django.test import Client
    from django.urls import NoReverseMatch, reverse

    from core.models import Branch, User

    _ensure_data(args.members, args.applications)
    rng = random.Random(args.seed)
    tokyo = Branch.objects.get(code=13)
    reviewer = _staff("bench-reviewer-tokyo", tokyo)
    hq = _staff("bench-reviewer-hq", None)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT reltuples::bigint FROM pg_class WHERE relname = 'applications_application'"
        )
        rows = cursor.fetchone()[0]
        cursor.execute("SHOW server_version")
        version = cursor.fetchone()[0]
        cursor.execute(
            "SELECT count(*) FROM applications_application WHERE branch_id = %s", [tokyo.pk]
        )
        tokyo_rows = cursor.fetchone()[0]
    print(
        f"PostgreSQL {version}, database {connection.settings_dict['NAME']}, "
        f"~{rows:,} applications ({tokyo_rows:,} in 東京支部); {args.requests} measured "
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
        client = Client(SERVER_NAME="localhost")
        client.force_login(user)
        scenarios = {
            "queue, first page": [_get(client, changelist) for _ in range(n)],
            "queue, filtered by status": [
                _get(client, changelist, {"status": statuses[i % 4]}) for i in range(n)
            ],
            "search by 受付番号": [
                _get(client, changelist, {"q": a["receipt_number"]}) for a in sample
            ],
            "search by 記号-番号": [
                _get(client, changelist, {"q": f"{a['symbol']}-{a['number']}"}) for a in sample
            ],
            "search by kana (3-char prefix)": [_get(client, changelist, {"q": k}) for k in kana],
        }
        for name, calls in scenarios.items():
            results.append(_measure(f"admin ({label}) {name}", calls, args.warmup))
            print(results[-1].line(), flush=True)

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
        calls = []
        for user in applicants:
            client = Client(SERVER_NAME="localhost")
            client.force_login(user)
            calls.append(_get(client, url))
        results.append(_measure(f"member {name}", calls, args.warmup))
        print(results[-1].line(), flush=True)
        if attorney is not None:
            client = Client(SERVER_NAME="localhost")
            client.force_login(attorney)
            count = attorney.applications.count()
            results.append(
                _measure(
                    f"attorney ({count:,} filed) {name}",
                    [_get(client, url) for _ in range(n)],
                    args.warmup,
                )
            )
            print(results[-1].line(), flush=True)

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
    from django.db import connection
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
        qs = changelist.get_queryset(request)[:50]
        sql, sql_params = qs.query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}", sql_params)
            plan = "\n".join(row[0] for row in cursor.fetchall())
        print(f"\n--- {user.username} {params}\n{plan}")


if __name__ == "__main__":
    main()
