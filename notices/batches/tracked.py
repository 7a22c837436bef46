"""特定記録 numbers issued by the post office, imported from a file into a pool per branch,
and taken from that pool by a batch at launch.

The file (UTF-8 or CP932, detected; one header row) lists either single numbers (column
「特定記録番号」) or ranges (columns 「開始番号」「終了番号」). A number is 11 digits, printed
NNN-NN-NNNNN-N (``core.jp.checkdigits.validate_tracking_number``; DOMAIN.md documents no
check digit, so none is verified). Every row is checked: its format, the order of a range,
overlaps inside the file, and overlaps with every number already known (imported runs, the
ranges of the batches, the items). If any row is wrong nothing is written, and the report
names each bad row in Japanese. Consecutive numbers are stored as one run.

A batch without its own range, of a branch (or 本部) that has imported numbers, takes the
head of its largest free run (one contiguous run: planning numbers the items
``tracked_first + seq − 1``); a run smaller than the batch refuses the launch, nothing
created. A branch that never imported keeps the numbers of ``NOTICE_TRACKED_POOL_START``.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, transaction
from django.db.models import F, Max, Q

from core.audit import record_event
from core.errors import ServiceError
from core.jp.checkdigits import validate_tracking_number
from core.jp.errors import JapaneseValueError
from core.models import AuditEvent
from notices.batches.models import MailingBatch, MailingItem, TrackedRange
from notices.csvtext import ENCODING_MESSAGE, decode_csv

#: The largest range one row may give (a typo in 終了番号 must not reserve billions).
MAX_ROW_RANGE = 10_000_000
NUMBER_COLUMN = "特定記録番号"
RANGE_COLUMNS = ("開始番号", "終了番号")
#: pg_advisory_xact_lock key: imports and pool launches of 特定記録 numbers, one at a time.
LOCK_KEY = 7_120_412


class TrackedFileError(ServiceError):
    code = "tracked_file"
    status = 400


@dataclass(frozen=True, slots=True)
class RowError:
    line: int
    message: str


@dataclass(frozen=True, slots=True)
class Run:
    """Numbers ``first``..``last``; ``lines`` the file's rows that gave them."""

    first: int
    last: int
    lines: tuple[int, ...]


@dataclass(slots=True)
class TrackedImportReport:
    numbers: int = 0
    runs: int = 0
    errors: list[RowError] = field(default_factory=list)


def _text(number: int) -> str:
    d = f"{number:011d}"
    return f"{d[:3]}-{d[3:5]}-{d[5:10]}-{d[10]}"


def _span(first: int, last: int) -> str:
    return _text(first) if first == last else f"{_text(first)}〜{_text(last)}"


def parse_rows(text: str) -> tuple[list[Run], list[RowError]]:
    """The file's rows as runs (one per row, in file order) and the rows' format errors."""
    reader = csv.reader(io.StringIO(text))
    header = [h.strip() for h in next(reader, [])]
    if header[:1] == [NUMBER_COLUMN]:
        ranged = False
    elif tuple(header[:2]) == RANGE_COLUMNS:
        ranged = True
    else:
        raise TrackedFileError(
            "1行目は「特定記録番号」（1行に1番号）または「開始番号,終了番号」（1行に1範囲）"
            "の見出しにしてください。"
        )
    runs: list[Run] = []
    errors: list[RowError] = []
    for line, row in enumerate(reader, start=2):
        cells = [cell.strip() for cell in row]
        if not any(cells):
            continue
        cells = [*cells, "", ""]
        try:
            first = int(validate_tracking_number(cells[0]))
            last = int(validate_tracking_number(cells[1])) if ranged else first
        except JapaneseValueError:
            errors.append(
                RowError(line, "特定記録番号は「123-45-67890-1」のように数字11桁にしてください。")
            )
            continue
        if last < first:
            errors.append(RowError(line, "終了番号は開始番号以上にしてください。"))
            continue
        if last - first + 1 > MAX_ROW_RANGE:
            errors.append(
                RowError(line, f"1行の範囲は{MAX_ROW_RANGE:,}件までです。番号を確かめてください。")
            )
            continue
        runs.append(Run(first, last, (line,)))
    return runs, errors


def merge(rows: list[Run]) -> tuple[list[Run], list[RowError]]:
    """Rows sorted and joined where consecutive; a row overlapping an earlier one is an error."""
    merged: list[Run] = []
    errors: list[RowError] = []
    for row in sorted(rows, key=lambda r: (r.first, r.lines)):
        if merged and row.first <= merged[-1].last:
            other = merged[-1]
            errors.append(
                RowError(
                    row.lines[0],
                    f"{_span(row.first, row.last)} はファイル内の{other.lines[-1]}行目の番号と"
                    "重なっています。",
                )
            )
            continue
        if merged and row.first == merged[-1].last + 1:
            prev = merged.pop()
            row = Run(prev.first, row.last, prev.lines + row.lines)
        merged.append(row)
    return merged, errors


def _known_overlaps(run: Run) -> list[tuple[int, int, str]]:
    """Numbers already known that fall in ``run``: (first, last, where) for each."""
    found: list[tuple[int, int, str]] = [
        (int(first), int(last), "取込済みの番号")
        for first, last in TrackedRange.objects.filter(
            first__lte=run.last, last__gte=run.first
        ).values_list("first", "last")
    ]
    found += [
        (int(first or 0), int(last or 0), f"発送バッチ#{pk}の範囲")
        for pk, first, last in MailingBatch.objects.filter(
            tracked_first__lte=run.last, tracked_last__gte=run.first
        ).values_list("pk", "tracked_first", "tracked_last")
    ]
    found += [
        (int(number or 0), int(number or 0), f"発送物{batch_id}-{seq}")
        for number, batch_id, seq in MailingItem.objects.filter(
            tracked_number__gte=run.first, tracked_number__lte=run.last
        ).values_list("tracked_number", "batch_id", "seq")[:20]
    ]
    return found


def overlap_errors(run: Run, rows: list[Run]) -> list[RowError]:
    """One error per row of ``run`` (``rows``: the file's rows) that hits a known number."""
    known = _known_overlaps(run)
    if not known:
        return []
    errors = []
    for row in rows:
        if row.lines[0] not in run.lines:
            continue
        for first, last, where in known:
            if first <= row.last and last >= row.first:
                lo, hi = max(first, row.first), min(last, row.last)
                errors.append(
                    RowError(
                        row.lines[0],
                        f"{_span(lo, hi)} は{where}と重なっています（同じ番号は二度使えません）。",
                    )
                )
                break
    return errors


def _lock() -> None:
    """One import or pool launch at a time (PostgreSQL; SQLite writes one at a time anyway)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [LOCK_KEY])


def import_tracked_numbers(
    *, actor: Any, data: bytes, branch_id: int | None, source: str = ""
) -> TrackedImportReport:
    """Import the post office's numbers into the pool of ``branch_id`` (None: 本部), whole or
    not at all. A file-level fault (encoding, header) raises TrackedFileError; row faults
    come back in the report, with nothing written."""
    from notices.batches.services import _check_actor

    _check_actor(actor, branch_id)
    text = decode_csv(data)
    if text is None:
        raise TrackedFileError(ENCODING_MESSAGE)
    rows, errors = parse_rows(text)
    report = TrackedImportReport(errors=errors)
    if not rows and not errors:
        raise TrackedFileError("番号の行がありません。")
    with transaction.atomic():
        _lock()
        runs, overlaps = merge(rows)
        report.errors += overlaps
        for run in runs:
            report.errors += overlap_errors(run, rows)
        if report.errors:
            report.errors.sort(key=lambda e: e.line)
            return report
        user = actor if getattr(actor, "pk", None) else None
        TrackedRange.objects.bulk_create(
            TrackedRange(
                branch_id=branch_id,
                first=run.first,
                last=run.last,
                source=source[:200],
                imported_by=user,
            )
            for run in runs
        )
        report.runs = len(runs)
        report.numbers = sum(run.last - run.first + 1 for run in runs)
        record_event(
            actor=actor,
            action=AuditEvent.Action.IMPORT,
            obj=None,
            branch_id=branch_id,
            changes={
                "tracked_numbers": report.numbers,
                "runs": report.runs,
                "file": source[:200],
            },
        )
    return report


# --- the batch's side (called by services.launch, inside its transaction) -------------------


def _branch(branch_id: int | None) -> Q:
    return Q(branch__isnull=True) if branch_id is None else Q(branch_id=branch_id)


def pool_in_use(branch_id: int | None) -> bool:
    """Whether this branch (None: 本部) takes its numbers from imported runs."""
    return TrackedRange.objects.filter(_branch(branch_id)).exists()


def largest_free_run(branch_id: int | None) -> TrackedRange | None:
    _lock()
    return (
        TrackedRange.objects.select_for_update()
        .filter(_branch(branch_id), batch=None)
        .order_by(F("first") - F("last"), "first")
        .first()
    )


def take(run: TrackedRange, batch: MailingBatch, count: int) -> None:
    """The batch takes ``count`` numbers from the head of ``run``; the rest stays free."""
    if count < run.size:
        TrackedRange.objects.create(
            branch_id=run.branch_id,
            first=run.first + count,
            last=run.last,
            split_from=run,
            source=run.source,
            imported_by_id=run.imported_by_id,
        )
        run.last = run.first + count - 1
    run.batch = batch
    run.save(update_fields=["last", "batch"])


def highest_known() -> int:
    """The highest number any batch range or imported run holds (0 when none)."""
    top = MailingBatch.objects.aggregate(m=Max("tracked_last"))["m"] or 0
    imported = TrackedRange.objects.aggregate(m=Max("last"))["m"] or 0
    return max(top, imported)


__all__ = [
    "TrackedFileError",
    "TrackedImportReport",
    "import_tracked_numbers",
    "largest_free_run",
    "pool_in_use",
    "take",
]
