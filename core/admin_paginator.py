"""An admin paginator that never COUNTs millions of rows.

Use with ``show_full_result_count = False`` (otherwise the admin runs its own full COUNT):

    class MyAdmin(admin.ModelAdmin):
        paginator = EstimatedCountPaginator
        show_full_result_count = False

- Unfiltered list on PostgreSQL: the planner's row estimate of the table
  (``pg_class.reltuples``, kept up to date by autovacuum/ANALYZE), no scan at all.
- Filtered list: an exact count, but of at most ``COUNT_LIMIT + 1`` rows; beyond that,
  on PostgreSQL, the planner's estimate for the filtered query (EXPLAIN, nothing is run),
  never below the rows actually counted.

So page links and the "N 件" figure are exact for small results and approximate for big
ones, and every list page costs a bounded amount of work.
"""

from __future__ import annotations

import json
from typing import Any

from django.core.paginator import Paginator
from django.db import connections
from django.db.models import QuerySet
from django.utils.functional import cached_property

#: Filtered results are counted exactly up to this many rows.
COUNT_LIMIT = 1_000
#: Below this many rows (estimated), the table is counted exactly.
ESTIMATE_FROM = 100_000


class EstimatedCountPaginator(Paginator):
    count_limit = COUNT_LIMIT
    estimate_from = ESTIMATE_FROM

    @cached_property
    def count(self) -> int:
        qs = self.object_list
        if not isinstance(qs, QuerySet):
            return super().count
        connection = connections[qs.db]
        if connection.vendor == "postgresql" and _is_unfiltered(qs):
            estimate = table_estimate(qs)
            if estimate is not None and estimate >= self.estimate_from:
                return estimate
        counted = qs.order_by().values("pk")[: self.count_limit + 1].count()
        if counted <= self.count_limit or connection.vendor != "postgresql":
            return counted
        return max(counted, query_estimate(qs) or 0)


def _is_unfiltered(qs: QuerySet) -> bool:
    query = qs.query
    return (
        not query.where.children
        and not query.distinct
        and not query.combinator
        and query.low_mark == 0
        and query.high_mark is None
    )


def table_estimate(qs: QuerySet) -> int | None:
    """The planner's row count of the queryset's table; None if never analysed."""
    with connections[qs.db].cursor() as cursor:
        cursor.execute(
            "SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass",
            [qs.model._meta.db_table],
        )
        row = cursor.fetchone()
    if row is None or row[0] is None or row[0] < 0:
        return None
    return int(row[0])


def query_estimate(qs: QuerySet) -> int | None:
    """The planner's row estimate for a queryset (EXPLAIN without ANALYZE: nothing runs)."""
    sql, params = qs.order_by().values("pk").query.sql_with_params()
    with connections[qs.db].cursor() as cursor:
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
        plan: Any = cursor.fetchone()[0]
    if isinstance(plan, str):
        plan = json.loads(plan)
    try:
        return int(plan[0]["Plan"]["Plan Rows"])
    except (KeyError, IndexError, TypeError, ValueError):
        return None
