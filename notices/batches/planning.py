"""Set-based planning: who is in a batch, and each item's route, envelope, box, file and
tracked-mail number, in one INSERT … SELECT with window functions (no loop over members).

The order of a batch (``seq``): route, employer (the employer route), postal code of the
household, household (the insured person's record), the insured person before dependents.
A dependent travels with their insured person: same route, same envelope.

Boxes (employer route): an envelope of ``n`` items weighs ``n × w`` (w: an item's weight).
Counting in items, an envelope goes into box ``floor(start / L) + 1`` of its employer, where
``start`` is the number of the employer's items before it, ``H`` the largest household and
``L = floor((max − H·w) / w) + 1``: a box's first envelope starts at ``b·L`` or later, its
last one at ``(b+1)·L − 1`` at the latest and holds at most ``H`` items, so a box holds at
most ``L − 1 + H`` items, ``≤ max / w``: never over the maximum, and it is one statement
(not a greedy loop; a box may be up to one household lighter than it could be). A household
heavier than a box (impossible at 4 kg) gets a box per envelope.

Files (``part``): one per employer box, and runs of ``NOTICE_PART_ITEMS`` items by postal
code for individual mail; a household is never split between files.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.db import connection

from eligibility.models import EligibilityRecord, Person
from notices.batches.models import Document, Kind, MailingBatch, MailingChunk, MailingItem
from notices.delivery.models import ReturnedMail

RECORDS = EligibilityRecord._meta.db_table
PERSONS = Person._meta.db_table
ITEMS = MailingItem._meta.db_table
CHUNKS = MailingChunk._meta.db_table


@dataclass(frozen=True, slots=True)
class Selection:
    """The FROM … WHERE of a batch's members, with its parameters (aliases ``r``: the
    member's record, ``hh``: the household's insured record, ``p``: the member's person,
    joined only for the 資格確認書 kinds that look at the マイナ保険証)."""

    sql: str
    params: list[Any]


def item_weight(document: str) -> int:
    if document == Document.CERTIFICATE:
        return settings.NOTICE_CERTIFICATE_WEIGHT_G
    return settings.NOTICE_ITEM_WEIGHT_G


def standing_window(today: date) -> tuple[date, date]:
    """Acquired between these two days (inclusive): 30–50 days ago by default."""
    low, high = settings.NOTICE_STANDING_DAYS
    return today - timedelta(days=high), today - timedelta(days=low)


def selection(batch: MailingBatch, *, today: date) -> Selection:
    where: list[str] = []
    params: list[Any] = []
    current_on = batch.date_to if batch.kind == Kind.NOTICE_ACQUIRED else batch.as_of
    if batch.kind in (Kind.REISSUE_NOTICE, Kind.REISSUE_CERTIFICATE):
        where.append("r.id = %s")
        params.append(batch.record_id)
    else:
        where.append("r.acquired_on <= %s AND (r.lost_on IS NULL OR r.lost_on > %s)")
        params += [current_on, current_on]
    if batch.kind == Kind.NOTICE_ACQUIRED:
        where.append("r.acquired_on BETWEEN %s AND %s")
        params += [batch.date_from, batch.date_to]
    no_card = "(p.mynacard_registered = %s OR p.mynacard_registered_on > %s)"
    if batch.kind == Kind.CERTIFICATE_CUTOFF:
        if batch.include_requested:
            where.append(f"({no_card} OR r.certificate_requested = %s)")
            params += [False, batch.as_of, True]
        else:
            where.append(f"{no_card} AND r.certificate_requested = %s")
            params += [False, batch.as_of, False]
    if batch.kind == Kind.CERTIFICATE_STANDING:
        low, high = standing_window(today)
        where.append(
            f"r.acquired_on BETWEEN %s AND %s AND {no_card} AND r.certificate_requested = %s"
            f" AND NOT EXISTS (SELECT 1 FROM {ITEMS} s WHERE s.record_id = r.id"
            " AND s.standing = %s)"
        )
        params += [low, high, False, batch.as_of, False, True]
    if batch.branch_id is not None:
        where.append("r.branch_id = %s")
        params.append(batch.branch_id)
    # The person (マイナ保険証) matters only to the 資格確認書 by cut-off and the standing
    # rule: the お知らせ do without the join (a hash join over every member).
    uses_person = batch.kind in (Kind.CERTIFICATE_CUTOFF, Kind.CERTIFICATE_STANDING)
    sql = (
        f" FROM {RECORDS} r"
        f" JOIN {RECORDS} hh ON hh.id = COALESCE(r.insured_record_id, r.id)"
        + (f" JOIN {PERSONS} p ON p.id = r.person_id" if uses_person else "")
        + f" WHERE {' AND '.join(where)}"
    )
    return Selection(sql, params)


def route_sql(document: str) -> str:
    if document == Document.CERTIFICATE:
        return "'home'"
    return (
        "CASE WHEN hh.kind = 'voluntary' OR hh.employer_id IS NULL THEN 'home' ELSE 'employer' END"
    )


def base_columns(document: str) -> str:
    """Level one: the member's columns the windows order and partition by."""
    route = route_sql(document)
    return (
        "SELECT r.id AS record_id, r.branch_id AS branch_id, hh.employer_id AS employer_id,"
        f" hh.id AS household, {route} AS route,"
        f" CASE WHEN {route} = 'employer' THEN hh.employer_id ELSE 0 END AS emp_key,"
        " COALESCE(hh.postal_code, '') AS postal,"
        " CASE WHEN r.id = hh.id THEN 0 ELSE 1 END AS dep, CAST(NULL AS INTEGER) AS previous_id"
    )


def plan_items(batch: MailingBatch, base_sql: str, params: list[Any]) -> tuple[int, int]:
    """INSERT the batch's items from ``base_sql`` (level one, see ``base_columns``) and their
    chunks; return (items, chunks) inserted. Weights, boxes and tracked numbers come from the
    batch.

    One sort: the selection is sorted once by K (route, employer, postal code, household,
    dependant, record), and every window below orders by K or a prefix of it, or partitions
    by one. Each level ends with ``ORDER BY K``, which costs nothing on rows already in that
    order but tells PostgreSQL they are: without it, the order is forgotten between two
    levels and the rows are sorted again.

    - level 1: ``seq`` (row number by K); by household (peers of the prefix K4): the envelope
      (dense rank), its first position ``hfirst`` (rank) and its last (count of the rows up
      to its last peer), so its size;
    - level 2, per employer (a partition, no sort): its largest household and its first
      position, so ``start`` = the employer's items before the household;
    - level 3: the box or run number inside the employer (module docstring) and whether the
      row starts a new file (LAG);
    - level 4: files and boxes numbered densely by running sums.

    On PostgreSQL the chunks are made from the inserted rows' (part, seq) handed back by the
    INSERT (RETURNING), not by scanning the items again, and the statement gets the memory
    to sort in RAM (``NOTICE_PLAN_WORK_MEM``) and no JIT (its compile took longer than it
    saved).
    """
    weight = item_weight(batch.document)
    cap = settings.NOTICE_BOX_MAX_G
    per_part = settings.NOTICE_PART_ITEMS
    tracked_first = batch.tracked_first if batch.tracked_first is not None else 1
    # Beyond the batch's own range: no number (the launch then refuses the batch whole).
    tracked_size = (
        batch.tracked_last - tracked_first + 1 if batch.tracked_last is not None else 2**31 - 1
    )
    standing = batch.kind == Kind.CERTIFICATE_STANDING
    k = "route, emp_key, postal, household, dep, record_id"
    k4 = "route, emp_key, postal, household"
    select = f"""
    SELECT %s AS batch_id, record_id, branch_id, employer_id, household, seq,
        SUM(new_part) OVER (ORDER BY {k} ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
            AS part,
        route, envelope,
        CASE WHEN route = 'employer' THEN SUM(new_part) OVER (PARTITION BY route, emp_key
            ORDER BY postal, household, dep, record_id
            ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) END AS box,
        %s AS weight_g, CASE WHEN seq <= %s THEN %s + seq - 1 END AS tracked_number,
        %s AS standing, previous_id
    FROM (
        SELECT l3.*,
            CASE WHEN LAG(emp_key) OVER w = emp_key AND LAG(route) OVER w = route
                AND LAG(part_local) OVER w = part_local THEN 0 ELSE 1 END AS new_part
        FROM (
            SELECT l2.*,
                CASE WHEN route = 'employer'
                    THEN (hfirst - efirst) / (CASE WHEN %s - max_hh * %s < 0 THEN 1
                                              ELSE (%s - max_hh * %s) / %s + 1 END) + 1
                    ELSE (hfirst - efirst) / %s + 1 END AS part_local
            FROM (
                SELECT l1.*, MAX(hend - hfirst + 1) OVER e AS max_hh, MIN(hfirst) OVER e AS efirst
                FROM (
                    SELECT b.*, ROW_NUMBER() OVER (ORDER BY {k}) AS seq,
                        DENSE_RANK() OVER h AS envelope, RANK() OVER h AS hfirst,
                        COUNT(*) OVER h AS hend
                    FROM ({base_sql}) b
                    WINDOW h AS (ORDER BY {k4})
                    ORDER BY {k}
                ) l1
                WINDOW e AS (PARTITION BY route, emp_key)
                ORDER BY {k}
            ) l2
        ) l3
        WINDOW w AS (ORDER BY {k})
        ORDER BY {k}
    ) l4
    """
    columns = (
        "batch_id, record_id, branch_id, employer_id, household, seq, part, route, envelope,"
        " box, weight_g, tracked_number, standing, previous_id"
    )
    insert = (
        f"INSERT INTO {ITEMS} ({columns}, state, reason, file, render_count)"
        f" SELECT {columns}, 'pending', '', '', 0 FROM ({select}) s"
    )
    select_params = [
        *(batch.pk, weight, tracked_size, tracked_first, standing),
        *(cap, weight, cap, weight, weight, per_part),
        *params,
    ]
    if connection.vendor != "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(insert, select_params)
            planned = cursor.rowcount
        return planned, plan_chunks(batch) if planned else 0
    per_chunk = settings.NOTICE_CHUNK_PARTS
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('work_mem'), current_setting('jit')")
        saved = cursor.fetchone()
        cursor.execute(
            "SELECT set_config('work_mem', %s, true), set_config('jit', 'off', true)",
            [settings.NOTICE_PLAN_WORK_MEM],
        )
        cursor.execute(
            f"""
            WITH ins AS ({insert} RETURNING part, seq),
            ch AS (
                INSERT INTO {CHUNKS} (batch_id, number, first_seq, last_seq, state, claim,
                    attempts)
                SELECT %s, (part - 1) / %s + 1, MIN(seq), MAX(seq), 'pending', '', 0
                FROM ins GROUP BY (part - 1) / %s
                RETURNING 1
            )
            SELECT (SELECT COUNT(*) FROM ins), (SELECT COUNT(*) FROM ch)
            """,
            [*select_params, batch.pk, per_chunk, per_chunk],
        )
        planned, chunks = cursor.fetchone()
        cursor.execute(
            "SELECT set_config('work_mem', %s, true), set_config('jit', %s, true)", list(saved)
        )
    return planned, chunks


def plan_chunks(batch: MailingBatch) -> int:
    """One chunk per ``NOTICE_CHUNK_PARTS`` files: a key range of ``seq``."""
    per_chunk = settings.NOTICE_CHUNK_PARTS
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {CHUNKS} (batch_id, number, first_seq, last_seq, state, claim, attempts)
            SELECT batch_id, (part - 1) / %s + 1, MIN(seq), MAX(seq), 'pending', '', 0
            FROM {ITEMS} WHERE batch_id = %s GROUP BY batch_id, (part - 1) / %s
            """,
            [per_chunk, batch.pk, per_chunk],
        )
        return cursor.rowcount


def resend_base(batch: MailingBatch) -> Selection:
    """Level one of a re-send: the returned, not yet re-sent items of the parent batch, by
    the other route (an お知らせ via the employer goes home; a 資格確認書 sent home goes to
    the employer, or home again when the member has none)."""
    returned = ReturnedMail._meta.db_table
    route = (
        "CASE WHEN it.route = 'employer' THEN 'home'"
        " WHEN hh.employer_id IS NOT NULL THEN 'employer' ELSE 'home' END"
    )
    sql = (
        "SELECT r.id AS record_id, r.branch_id AS branch_id, hh.employer_id AS employer_id,"
        f" hh.id AS household, {route} AS route,"
        f" CASE WHEN {route} = 'employer' THEN hh.employer_id ELSE 0 END AS emp_key,"
        " COALESCE(hh.postal_code, '') AS postal,"
        " CASE WHEN r.id = hh.id THEN 0 ELSE 1 END AS dep, it.id AS previous_id"
        f" FROM {ITEMS} it JOIN {returned} rm ON rm.item_id = it.id"
        f" JOIN {RECORDS} r ON r.id = it.record_id"
        f" JOIN {RECORDS} hh ON hh.id = COALESCE(r.insured_record_id, r.id)"
        " WHERE it.batch_id = %s AND rm.resent_in_id IS NULL"
    )
    params: list[Any] = [batch.parent_id]
    if batch.branch_id is not None:
        sql += " AND r.branch_id = %s"
        params.append(batch.branch_id)
    return Selection(sql, params)


def base_for(batch: MailingBatch, *, today: date) -> Selection:
    """The full level-one query of ``batch`` (columns of ``base_columns``)."""
    if batch.kind == Kind.RESEND:
        return resend_base(batch)
    sel = selection(batch, today=today)
    return Selection(base_columns(batch.document) + sel.sql, sel.params)


def count_selection(batch: MailingBatch, *, today: date) -> int:
    base = base_for(batch, today=today)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM ({base.sql}) b", base.params)
        return cursor.fetchone()[0]


def preview_rows(batch: MailingBatch, *, today: date) -> list[tuple[int, str, int]]:
    """(branch id, route, count) of who the batch would take now, nothing written."""
    base = base_for(batch, today=today)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT branch_id, route, COUNT(*) FROM ({base.sql})"
            " b GROUP BY branch_id, route ORDER BY branch_id, route",
            base.params,
        )
        return [tuple(row) for row in cursor.fetchall()]
