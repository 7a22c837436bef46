"""A batch's outputs as chunk tasks on the ``bulk`` queue, once every item is rendered.

``plan`` (when the last rendering chunk is done; batch 実行中 → 出力作成中) writes, in one
transaction, an output chunk for the manifest and one per ``NOTICE_LIST_CHUNK_EMPLOYERS``
employers for their 対象者一覧表 (a key range of employer ids, one INSERT … SELECT), and
queues them on commit. A worker claims a chunk as it claims a rendering chunk (a conditional
update from pending, or from running once its heartbeat is older than
``NOTICE_CHUNK_LEASE``), writes its lists in employer order, and after each one counts it
(``done``, ``last_done``, heartbeat) under its claim: a chunk taken again goes on after the
last list counted. The chunk that finds the others all done collects the outputs and marks
the batch 完了 (a conditional update: once). The sweep (``services.sweep``) queues what a
dead worker or a lost message left, as for the rendering chunks.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Max, Sum
from django.utils import timezone

from notices.batches import leases
from notices.batches.models import MailingBatch, MailingChunk, MailingItem, OutputChunk

logger = logging.getLogger(__name__)

Status = MailingBatch.Status
ChunkState = MailingChunk.State
ITEMS = MailingItem._meta.db_table
OUTPUT_CHUNKS = OutputChunk._meta.db_table


def plan(batch: MailingBatch) -> int:
    """The batch's output chunks (once: the numbers are unique per batch); their count."""
    if OutputChunk.objects.filter(batch=batch).exists():
        return 0
    per_chunk = settings.NOTICE_LIST_CHUNK_EMPLOYERS
    OutputChunk.objects.create(batch=batch, number=0, kind=OutputChunk.Kind.MANIFEST)
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {OUTPUT_CHUNKS} (batch_id, number, kind, first_employer, last_employer,
                employers, done, state, claim, attempts, outputs)
            SELECT %s, (rn - 1) / %s + 1, 'lists', MIN(employer_id), MAX(employer_id),
                COUNT(*), 0, 'pending', '', 0, '[]'
            FROM (
                SELECT employer_id, ROW_NUMBER() OVER (ORDER BY employer_id) AS rn
                FROM (
                    SELECT DISTINCT employer_id FROM {ITEMS}
                    WHERE batch_id = %s AND employer_id IS NOT NULL AND state <> 'skipped'
                ) d
            ) e
            GROUP BY (rn - 1) / %s
            """,
            [batch.pk, per_chunk, batch.pk, per_chunk],
        )
        return cursor.rowcount + 1


def enqueue(chunk_ids: list[int]) -> None:
    """Queue the output chunks on commit; with the broker away they stay pending for the
    sweep (see ``services._enqueue``)."""
    from notices.batches.services import BROKER_ERRORS
    from notices.tasks import write_output_chunk

    queue = settings.NOTICE_QUEUE

    def send() -> None:
        for sent, chunk_id in enumerate(chunk_ids):
            try:
                write_output_chunk.apply_async((chunk_id,), queue=queue)
            except BROKER_ERRORS as exc:
                left = len(chunk_ids) - sent
                logger.warning("broker unreachable (%s): %d output chunks left pending", exc, left)
                return

    if chunk_ids:
        transaction.on_commit(send)


def start(batch_id: int) -> bool:
    """Rendering is over: 実行中 → 出力作成中, the output chunks planned and queued."""
    if MailingChunk.objects.filter(batch_id=batch_id).exclude(state=ChunkState.DONE).exists():
        return False
    with transaction.atomic():
        if not MailingBatch.objects.filter(pk=batch_id, status=Status.RUNNING).update(
            status=Status.FINISHING
        ):
            return False
        batch = MailingBatch.objects.get(pk=batch_id)
        # A batch finished before and retried since: its outputs are written afresh.
        OutputChunk.objects.filter(batch=batch).delete()
        plan(batch)
        enqueue(list(batch.output_chunks.values_list("pk", flat=True)))
    return True


def claim(chunk_id: int, *, now: Any = None) -> str | None:
    return leases.take(
        OutputChunk.objects.filter(pk=chunk_id, batch__status=Status.FINISHING), now=now
    )


def write_chunk(chunk_id: int) -> str:
    """Write the chunk's outputs: "done", "busy" (someone else has it) or "lost" (its claim
    was taken over after the lease)."""
    from notices.batches import outputs

    token = claim(chunk_id)
    if token is None:
        return "busy"
    chunk = OutputChunk.objects.select_related("batch").get(pk=chunk_id)
    batch = chunk.batch
    mine = OutputChunk.objects.filter(pk=chunk_id, claim=token)
    if chunk.kind == OutputChunk.Kind.MANIFEST:
        written = outputs.write_manifests(batch)
        if not mine.update(outputs=written, done=1, heartbeat=timezone.now()):
            return "lost"
    else:
        first = chunk.first_employer if chunk.last_done is None else chunk.last_done + 1
        written = list(chunk.outputs)
        for employer_id, rows in outputs.employer_groups(
            batch, first=first, last=chunk.last_employer
        ):
            written.append(outputs.write_employer_list(batch, rows))
            counted = mine.update(
                outputs=written,
                done=F("done") + 1,
                last_done=employer_id,
                heartbeat=timezone.now(),
            )
            if not counted:
                return "lost"
    if not mine.update(state=ChunkState.DONE, claim=""):
        return "lost"
    finalize(batch.pk)
    return "done"


def finalize(batch_id: int) -> bool:
    """Once every output chunk is done: the batch's outputs collected, 出力作成中 → 完了."""
    from notices.batches.outputs import pdf_outputs

    chunks = OutputChunk.objects.filter(batch_id=batch_id)
    if not chunks.exists() or chunks.exclude(state=ChunkState.DONE).exists():
        return False
    batch = MailingBatch.objects.get(pk=batch_id)
    collected: list[dict[str, Any]] = []
    for written in chunks.order_by("number").values_list("outputs", flat=True):
        collected += written
    collected += pdf_outputs(batch)
    return bool(
        MailingBatch.objects.filter(pk=batch_id, status=Status.FINISHING).update(
            status=Status.DONE, outputs=collected, finished_at=timezone.now()
        )
    )


def sweep(*, now: Any = None) -> int:
    """For the batches 出力作成中: plan chunks never planned, queue the chunks a dead worker
    left running past the lease, and the pending ones of a batch showing no life for the
    lease (lost messages); finalize the batches whose chunks are all done. Returns how many
    chunks it queued."""
    now = now or timezone.now()
    stale = now - timedelta(seconds=settings.NOTICE_CHUNK_LEASE)
    ids: list[int] = []
    with transaction.atomic():
        for batch in MailingBatch.objects.filter(status=Status.FINISHING):
            plan(batch)
            mine = OutputChunk.objects.filter(batch=batch)
            if not mine.exclude(state=ChunkState.DONE).exists():
                finalize(batch.pk)
                continue
            ids += list(
                mine.filter(state=ChunkState.RUNNING, heartbeat__lt=stale).values_list(
                    "pk", flat=True
                )
            )
            last = mine.aggregate(m=Max("heartbeat"))["m"] or batch.launched_at
            if last is None or last < stale:
                ids += list(mine.filter(state=ChunkState.PENDING).values_list("pk", flat=True))
        enqueue(ids)
    return len(ids)


@dataclass(frozen=True, slots=True)
class ListProgress:
    employers: int
    done: int


def list_progress(batch: MailingBatch) -> ListProgress:
    """How many employers' 対象者一覧表 are planned and written (0/0 before 出力作成中)."""
    sums = OutputChunk.objects.filter(batch=batch, kind=OutputChunk.Kind.LISTS).aggregate(
        employers=Sum("employers"), done=Sum("done")
    )
    return ListProgress(employers=sums["employers"] or 0, done=sums["done"] or 0)


def run_here(batch_id: int) -> None:
    """Write the outputs in this process (the command's run-here, tests)."""
    start(batch_id)
    for chunk_id in (
        OutputChunk.objects.filter(batch_id=batch_id)
        .order_by("number")
        .values_list("pk", flat=True)
    ):
        write_chunk(chunk_id)
