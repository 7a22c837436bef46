"""Set-based lookups by composite keys: one query per batch, on PostgreSQL and SQLite."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from operator import itemgetter
from typing import Any

from django.db import connection

#: SQLite allows 32,766 parameters per statement; stay well below.
MAX_PARAMS = 30_000


def is_postgresql() -> bool:
    return connection.vendor == "postgresql"


def chunks(items: Sequence[Any], size: int) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def select_by_keys(
    select_sql: str,
    columns: Sequence[str],
    types: Sequence[str],
    keys: Sequence[tuple[Any, ...]],
    *,
    where: str = "",
) -> list[tuple[Any, ...]]:
    """Run ``select_sql`` (a SELECT … FROM … without WHERE) restricted to the rows whose
    ``columns`` equal one of ``keys`` (and that match ``where``, an SQL condition without
    parameters). ``types`` are the PostgreSQL types of the columns. A partial index is
    only used when ``where`` implies its predicate: pass the predicate there.

    PostgreSQL: one index probe per key, as a ``LATERAL`` subquery over ``unnest`` of one
    array per column. ``OFFSET 0`` keeps the planner from flattening the subquery into a
    join it may then run as a hash or merge join over the whole table: with statistics
    taken while the tables were small (a first import), it did, every batch, and a million
    rows took minutes more. Each array is sent as one newline-separated text and split by
    the server (``string_to_array``): psycopg dumps Python lists into array literals in pure
    Python, which cost about 13 µs per key and batch, more than the look-up itself;
    ``"\n".join`` costs next to nothing. Keys are digits, ids and hex digests, so they never
    contain a newline (checked: a value with one falls back to real arrays). Others:
    ``(c1, c2, …) IN (VALUES (…), …)``.
    """
    if not keys:
        return []
    width = len(columns)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            names = ", ".join(f"k{i}" for i in range(width))
            conditions = [f"{column} = k.k{i}" for i, column in enumerate(columns)]
            if where:
                conditions.append(where)
            texts = ["\n".join(map(str, map(itemgetter(i), keys))) for i in range(width)]
            if all(text.count("\n") == len(keys) - 1 for text in texts):
                arrays = ", ".join(f"string_to_array(%s, E'\\n')::{t}[]" for t in types)
                params: list[Any] = texts
            else:
                arrays = ", ".join(f"%s::{t}[]" for t in types)
                params = [[key[i] for key in keys] for i in range(width)]
            cursor.execute(
                f"SELECT found.* FROM unnest({arrays}) AS k({names}) CROSS JOIN LATERAL "
                f"({select_sql} WHERE {' AND '.join(conditions)} OFFSET 0) AS found",
                params,
            )
            return cursor.fetchall()
        out: list[tuple[Any, ...]] = []
        placeholder = "(" + ", ".join(["%s"] * width) + ")"
        for part in chunks(keys, max(1, MAX_PARAMS // width)):
            values = ", ".join([placeholder] * len(part))
            sql = f"{select_sql} WHERE ({', '.join(columns)}) IN (VALUES {values})"
            if where:
                sql += f" AND {where}"
            cursor.execute(sql, [v for key in part for v in key])
            out.extend(cursor.fetchall())
        return out
