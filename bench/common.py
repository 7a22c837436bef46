"""What the in-process request benchmarks share: set-up, timing and the figures behind a line.

Used by ``bench.eligibility_lookup``, ``bench.review_lists`` (whole requests through
``django.test.Client``, with the queries of each) and ``bench.application_submit`` (only
:func:`percentile`). Each script keeps its own arguments and formats its own lines; nothing
here prints. Django is imported inside the functions: :func:`setup_django` must run first.

The scripts import this module as ``bench.common``: run them with ``python -m bench.…``.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

if TYPE_CHECKING:
    from django.db.models import QuerySet
    from django.test import Client

Call = Callable[[], object]


def percentile(values: Sequence[float], q: float) -> float:
    """The value at rank ``q`` (0–1) of ``values``, nearest rank, no interpolation."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


@dataclass
class Result:
    """The measurements of one benchmark line: per request, wall time, queries and SQL time."""

    name: str
    times_ms: list[float]
    queries: list[int]
    sql_ms: list[float]

    @property
    def median(self) -> float:
        return statistics.median(self.times_ms)

    @property
    def p95(self) -> float:
        return percentile(self.times_ms, 0.95)

    @property
    def sql_median(self) -> float:
        return statistics.median(self.sql_ms)

    @property
    def query_counts(self) -> str:
        """The queries per request: ``"4"`` when constant, else ``"4–6"``."""
        counts = sorted(set(self.queries))
        return str(counts[0]) if len(counts) == 1 else f"{counts[0]}–{counts[-1]}"


def setup_django(example_database: str) -> None:
    """Refuse any DATABASE_URL but a PostgreSQL one whose name contains "bench"; set up Django.

    ``example_database`` is only the name shown in the message. Settings: config.settings.local
    with DEBUG off, unless the environment says otherwise.
    """
    parsed = urlparse(os.environ.get("DATABASE_URL", ""))
    if not parsed.scheme.startswith("postgres") or "bench" not in parsed.path.lstrip("/"):
        sys.exit(
            "DATABASE_URL must name a PostgreSQL database whose name contains 'bench', e.g. "
            f"postgres://postgres@127.0.0.1:5432/{example_database}"
        )
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    os.environ.setdefault("DJANGO_DEBUG", "false")
    import django

    django.setup()


def ensure_members(members: int) -> bool:
    """Load ``members`` demo members (``demo_data``) if there are none; True if it loaded."""
    from django.core.management import call_command

    from eligibility.models import Person

    if Person.objects.exists():
        return False
    print(f"Loading {members:,} demo members (demo_data)…", flush=True)
    call_command("demo_data", members=members, no_progress=True)
    return True


def database_summary(table: str, noun: str) -> str:
    """``PostgreSQL <version>, database <name>, ~<estimated rows of table> <noun>``."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples::bigint FROM pg_class WHERE relname = %s", [table])
        rows = cursor.fetchone()[0]
        cursor.execute("SHOW server_version")
        version = cursor.fetchone()[0]
    return f"PostgreSQL {version}, database {connection.settings_dict['NAME']}, ~{rows:,} {noun}"


def logged_in(user: Any) -> Client:
    """A test client (host ``localhost``) with a session for ``user``."""
    from django.test import Client

    client = Client(SERVER_NAME="localhost")
    client.force_login(user)
    return client


def get(client: Client, url: str, params: dict | None = None, *, show_body: bool = False) -> Call:
    """A call that GETs ``url`` and stops the benchmark unless the answer is 200.

    ``show_body`` adds the response body to that message.
    """

    def call() -> object:
        response = client.get(url, params or {})
        if response.status_code != 200:
            body = f" {response.content!r}" if show_body else ""
            raise SystemExit(f"{url} {params}: HTTP {response.status_code}{body}")
        return response

    return call


def measure(name: str, calls: Sequence[Call], warmup: int) -> Result:
    """Run the first ``warmup`` calls unmeasured, then time every call with its queries."""
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


def explain(queryset: QuerySet) -> list[str]:
    """The lines of ``EXPLAIN (ANALYZE, BUFFERS)`` for ``queryset`` (which it runs)."""
    from django.db import connection

    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}", params)
        return [row[0] for row in cursor.fetchall()]
