"""Writing checked batches, each in its own transaction, while the next one is checked.

In 正常行取込 (good rows) on PostgreSQL, a batch's writes (COPY and its index work in
the server) take about as long as everything the importing process does for
the next batch. :class:`BatchWriter` runs the writes on a thread with its own database
connection, one batch behind the checks: while batch N is written and committed, batch
N+1 is looked up and classified on the caller's connection. The importer remembers what
batch N created (:meth:`MemberImporter.start_pass`), which the database shows only once
it is committed. Batch N+1 is written only after batch N is committed, in file order.

Elsewhere (SQLite; inside a caller's transaction, whose rows another connection could not
see; tests) the writes run on the caller's connection, at once. :class:`ProgressSaver`
does the same for a job's progress, which 全件取込's one long transaction would hide.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from eligibility.imports.batch import Importer
from eligibility.models import ImportJob

logger = logging.getLogger(__name__)

#: Force (True) or forbid (False) the writer thread; None: decided by in_thread_possible().
WRITE_IN_THREAD: bool | None = None


def in_thread_possible() -> bool:
    if WRITE_IN_THREAD is not None:
        return WRITE_IN_THREAD
    return connection.vendor == "postgresql" and not connection.in_atomic_block


class _OwnConnection:
    """One thread with a database connection of its own: work submitted runs there, in
    order; ``close()`` closes that connection and ends the thread."""

    def __init__(self, name: str) -> None:
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix=name)

    def submit(self, fn: Callable[..., None], *args: Any) -> Future[None]:
        return self._pool.submit(fn, *args)

    def close(self) -> None:
        self._pool.submit(_close_connection).result()
        self._pool.shutdown()


class BatchWriter:
    """``write(rows, then)`` writes one checked batch in a transaction of its own, then
    calls ``then`` on the caller's thread; ``close()`` waits for the last one. An error
    of a write is raised by the next ``write`` or by ``close``. Given the ``job``, each
    batch is written only while the job's run holds its claim (:func:`hold_claim`)."""

    def __init__(
        self, importer: Importer, *, in_thread: bool, job: ImportJob | None = None
    ) -> None:
        self.importer = importer
        self._claim = (job.pk, job.claim) if job is not None and job.claim else None
        self._thread = _OwnConnection("import-write") if in_thread else None
        self._pending: tuple[Future[None], Callable[[], None]] | None = None

    def write(self, rows: list[Any], then: Callable[[], None]) -> None:
        if self._thread is None:
            self._write(rows)
            then()
            return
        self.wait()
        self._pending = (self._thread.submit(self._write, rows), then)

    def wait(self) -> None:
        """Until the batch being written is committed (then its ``then`` has run)."""
        if self._pending is None:
            return
        future, then = self._pending
        self._pending = None
        future.result()
        then()

    def close(self) -> None:
        if self._thread is None:
            return
        try:
            self.wait()
        finally:
            self._thread.close()

    def _write(self, rows: list[Any]) -> None:
        with transaction.atomic():
            if self._claim is not None:
                hold_claim(*self._claim)
            self.importer.write(rows)


def hold_claim(job_id: int, claim: str) -> None:
    """Inside a batch's transaction: lock the job's row while this run still holds its
    claim (the sweep cannot take the job until the batch is committed), else raise
    :class:`ClaimLost`, before anything of the batch is written."""
    if not ImportJob.objects.select_for_update().filter(pk=job_id, claim=claim).exists():
        raise ClaimLost(job_id)


class ClaimLost(Exception):
    """The job is no longer this run's: its heartbeat came too late and the sweep queued it
    again (or failed it). The run stops without touching the job."""


class ProgressSaver:
    """Saves a job's progress (:data:`PROGRESS_FIELDS`) where the admin sees it, and with it
    the job's heartbeat, only while the run still holds its ``claim``: once the sweep has
    taken the job from a run it thought dead, the next save raises :class:`ClaimLost`.

    ``in_thread``: from a thread with its own connection, for an import that runs inside
    one long transaction (全件取込), whose own updates nobody else would see before the end.
    Each update is sent as the next is queued (one in flight, so the saved progress is at
    most one batch behind). Otherwise on the caller's connection (正常行取込, which commits
    every batch; SQLite, where a second writer would wait for the file lock; tests).
    """

    def __init__(self, job: ImportJob, *, in_thread: bool) -> None:
        self.job_id = job.pk
        self.claim = job.claim
        self._thread = _OwnConnection("import-progress") if in_thread else None
        self._pending: Future[None] | None = None

    def save(self, job: ImportJob) -> None:
        values = {name: getattr(job, name) for name in PROGRESS_FIELDS}
        if self._thread is None:
            _save_progress(self.job_id, self.claim, values)
            return
        if self._pending is not None:
            self._pending.result()  # raises ClaimLost for the previous save
        self._pending = self._thread.submit(_save_progress, self.job_id, self.claim, values)

    def close(self) -> None:
        if self._thread is not None:
            self._thread.close()


PROGRESS_FIELDS = (
    "total_rows", "processed_rows", "created_count", "updated_count", "unchanged_count",
    "error_count", "error_rows",
)  # fmt: skip


def _save_progress(job_id: int, claim: str, values: dict[str, Any]) -> None:
    try:
        saved = ImportJob.objects.filter(pk=job_id, claim=claim).update(
            heartbeat=timezone.now(), **values
        )
    except DatabaseError:  # progress only: the job's outcome is saved at its end anyway
        logger.warning("import job %s: progress not saved", job_id, exc_info=True)
        return
    if not saved:
        raise ClaimLost(job_id)


def _close_connection() -> None:
    # ``connection`` is per thread: looked up here, on the writer thread, it is that
    # thread's own connection.
    connection.close()
