"""Import jobs: submitting, running in one of the two modes, counts, report and audit.

- 全件取込（all_or_nothing）: one pass in one transaction: batches are written while the
  file has shown no error, the rest is only checked once one has; any error or exception
  rolls all of it back.
- 正常行取込（good_rows）: the CSV structure of the whole file is checked first (a broken or
  truncated file is rejected before anything is written); then batch by batch, each in its
  own transaction, the good rows are written and the bad ones go to the report.

Both modes are idempotent: a re-import of the same file finds every row unchanged.

A running job holds a claim (a token set by the conditional update that took it) and
saves a heartbeat with its progress. When its worker dies (SIGKILL, out of memory) or the
database restarts under it, the heartbeat stops; :func:`sweep_jobs` (periodic, Celery beat)
then runs it again from the start, which is safe in both modes (all_or_nothing's one
transaction was rolled back; good_rows' committed batches come out unchanged), up to
``IMPORT_MAX_ATTEMPTS`` runs, and fails it with its reason after that. A run that finds the
database gone puts the job back in the queue itself as soon as it answers again.

The uploaded file (it holds every full My Number of the file) does not outlive its job: it
is deleted when the job ends, whatever the outcome, and the sweep deletes what a crash
left. Messages and reports pass through :func:`core.personal_ids.mask_my_numbers`.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import math
import shutil
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files import File
from django.core.files.uploadedfile import UploadedFile
from django.db import DatabaseError, connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from core.audit import record_event
from core.errors import NotAllowed
from core.models import AuditEvent
from core.personal_ids import mask_my_numbers
from eligibility.imports import pipeline, writes
from eligibility.imports.audit import record_job
from eligibility.imports.batch import BatchOutcome, Counts, Importer
from eligibility.imports.employers import EmployerImporter
from eligibility.imports.encoding import detect_encoding, encoding_label
from eligibility.imports.errors import ImportFileError
from eligibility.imports.members import MemberImporter
from eligibility.imports.reader import count_rows
from eligibility.imports.references import ReferenceGone
from eligibility.imports.report import ErrorReport
from eligibility.imports.writes import BatchWriter, ClaimLost, ProgressSaver
from eligibility.models import ImportJob

logger = logging.getLogger(__name__)

Progress = Callable[[ImportJob], None]

#: Rows per batch (one set of lookups and one set of writes each).
BATCH_SIZE_POSTGRESQL = 10_000
BATCH_SIZE_OTHER = 2000


class _Rejected(Exception):
    """Raised inside the all-or-nothing transaction to roll it back."""


def batch_size() -> int:
    if getattr(settings, "IMPORT_BATCH_SIZE", 0):
        return int(settings.IMPORT_BATCH_SIZE)
    return BATCH_SIZE_POSTGRESQL if connection.vendor == "postgresql" else BATCH_SIZE_OTHER


def choose_parse_path() -> str:
    """Where a job's rows are parsed, chosen once when it starts (and recorded on the job).

    ``settings.IMPORT_PARSE_PATH``: ``"process"`` or ``"thread"`` forces it; ``"auto"`` (the
    default) forks a child process on PostgreSQL, and only from a single-threaded process:
    a forked child gets copies of every lock held at that moment by other threads (logging,
    a test's helpers, a web server's) and would wait on them forever. Elsewhere, or when the
    forced child process would be unsafe, parsing runs in a thread.
    """
    wanted = getattr(settings, "IMPORT_PARSE_PATH", "auto")
    if wanted == ImportJob.ParsePath.THREAD:
        return ImportJob.ParsePath.THREAD
    fork_safe = threading.active_count() == 1
    if wanted == ImportJob.ParsePath.PROCESS or (connection.vendor == "postgresql" and fork_safe):
        return ImportJob.ParsePath.PROCESS if fork_safe else ImportJob.ParsePath.THREAD
    return ImportJob.ParsePath.THREAD


def make_importer(job: ImportJob) -> Importer:
    if job.kind == ImportJob.Kind.MEMBERS:
        return MemberImporter(actor=job.started_by, job_id=job.pk)
    return EmployerImporter(actor=job.started_by, job_id=job.pk)


# --- submitting ------------------------------------------------------------------------
def submit_job(
    *, kind: str, mode: str, upload: UploadedFile | File, user: Any, job: ImportJob | None = None
) -> ImportJob:
    """Store the uploaded file privately, create the job and queue it after the commit.

    ``user``: headquarters staff (an import writes every branch), or None for the system
    (management commands, tasks); anyone else is refused with NotAllowed.
    """
    if user is not None and not (
        getattr(user, "is_authenticated", False)
        and getattr(user, "is_active", False)
        and getattr(user, "is_staff", False)
        and getattr(user, "is_headquarters", False)
    ):
        raise NotAllowed("CSV取込は本部の職員のみ行えます。")
    job = job or ImportJob()
    job.kind = kind
    job.mode = mode
    job.status = ImportJob.Status.QUEUED
    job.started_by = user if getattr(user, "is_authenticated", False) else None
    job.original_name = mask_my_numbers(Path(upload.name or "").name)[:255]
    job.file.save(f"{uuid.uuid4().hex}.csv", upload, save=False)
    job.save()
    record_event(
        actor=user,
        action=AuditEvent.Action.CREATE,
        obj=job,
        changes={"kind": kind, "mode": mode, "file": job.original_name},
    )
    enqueue(job)
    return job


def time_limit_for(size_bytes: int) -> int:
    """Seconds a job of a file of ``size_bytes`` may run on the worker (hard limit): the
    file's size at ``IMPORT_BYTES_PER_SECOND`` (a third of the measured rate), at least
    ``IMPORT_TIME_LIMIT_MIN``, at most ``IMPORT_TIME_LIMIT`` (which the sweep waits for)."""
    needed = math.ceil(size_bytes / settings.IMPORT_BYTES_PER_SECOND)
    return max(settings.IMPORT_TIME_LIMIT_MIN, min(settings.IMPORT_TIME_LIMIT, needed))


def _file_size(job: ImportJob) -> int | None:
    try:
        return job.file.size if job.file else None
    except OSError:
        return None


def enqueue(job: ImportJob) -> None:
    """Queue the job after the commit, with a time limit sized to its file."""
    from eligibility.tasks import run_import

    job_id = job.pk
    size = _file_size(job)
    limit = settings.IMPORT_TIME_LIMIT if size is None else time_limit_for(size)
    queue = settings.IMPORT_QUEUE
    transaction.on_commit(
        lambda: run_import.apply_async(
            (job_id,), queue=queue, time_limit=limit, soft_time_limit=max(30, limit - 60)
        )
    )


# --- running ---------------------------------------------------------------------------
def run_job_by_id(job_id: int, *, on_progress: Progress | None = None) -> ImportJob | None:
    """Run a queued job (the worker's entry point).

    The job is claimed with a conditional update of its status, which gives the run its
    claim token: a redelivered message finds it running or finished and does nothing. A job
    whose worker died is queued again by :func:`sweep_jobs` once its heartbeat is late.
    """
    token = uuid.uuid4().hex
    now = timezone.now()
    claimed = ImportJob.objects.filter(pk=job_id, status=ImportJob.Status.QUEUED).update(
        status=ImportJob.Status.RUNNING,
        started_at=now,
        heartbeat=now,
        claim=token,
        attempts=F("attempts") + 1,
    )
    job = ImportJob.objects.select_related("started_by").filter(pk=job_id).first()
    if job is None or not claimed:
        return job
    return run_job(job, on_progress=on_progress)


def run_job(
    job: ImportJob, *, path: str | Path | None = None, on_progress: Progress | None = None
) -> ImportJob:
    """Run ``job`` on ``path`` (or on its stored file). Never raises for bad data: the
    outcome is in ``job.status``, the counts and the error report.

    A job claimed by :func:`run_job_by_id` keeps its claim; any other (the management
    command's) is claimed here. If the database goes away during the run, the job is not
    failed: its file is kept and it goes back to the queue (:func:`_hand_back`). If the
    sweep took the job from this run (its heartbeat came too late), the run stops and
    leaves the job to its new run.
    """
    if not job.claim or job.status != ImportJob.Status.RUNNING:
        job.claim = uuid.uuid4().hex
        job.attempts += 1
    job.status = ImportJob.Status.RUNNING
    job.started_at = job.heartbeat = timezone.now()
    job.save(update_fields=["status", "started_at", "heartbeat", "claim", "attempts"])
    report = ErrorReport()
    outcome = "finished"
    try:
        with _local_file(job, path) as local, bulk_gc():
            detected = detect_encoding(local)
            job.encoding = detected.encoding
            job.total_rows = max(0, detected.lines - 1)
            job.parse_path = choose_parse_path()
            _beat(job, "encoding", "total_rows", "parse_path")
            importer = make_importer(job)
            if job.mode == ImportJob.Mode.ALL_OR_NOTHING:
                _all_or_nothing(job, importer, local, report, on_progress)
            else:
                _good_rows(job, importer, local, report, on_progress)
    except ImportFileError as exc:
        report.add(exc.as_row_error())
        _reject(job, exc.message)
    except _Rejected:
        _reject(
            job, f"エラーが{report.error_count:,}件あるため、ファイル全体を取り込みませんでした。"
        )
    except ReferenceGone as exc:
        logger.warning("import job %s stopped: %s", job.pk, exc.message)
        _fail(job, exc.message)
    except ClaimLost:
        outcome = "lost"
        logger.warning("import job %s: taken over by a new run (heartbeat too late)", job.pk)
    except Exception as exc:
        if database_gone(exc):
            outcome = "interrupted"
            logger.warning("import job %s interrupted: the database went away", job.pk)
        else:
            logger.exception("import job %s failed", job.pk)
            _fail(job, "内部エラーのため取込を中止しました。")
    except BaseException:  # Ctrl-C on the command, the process asked to exit: recorded
        logger.warning("import job %s interrupted", job.pk)
        _fail(job, "取込が中断されました。")
        with contextlib.suppress(ClaimLost):
            _finish(job, report)
        raise
    if outcome == "finished":
        try:
            _finish(job, report)
        except ClaimLost:  # taken over between its last heartbeat and its end
            logger.warning("import job %s: taken over by a new run before it ended", job.pk)
    else:
        report.close()
        report.discard()
        if outcome == "interrupted":
            _hand_back(job)
    return job


def _beat(job: ImportJob, *fields: str) -> None:
    """Save ``fields`` of the running job with its heartbeat, while the run holds its claim."""
    job.heartbeat = timezone.now()
    values = {name: getattr(job, name) for name in (*fields, "heartbeat")}
    if not ImportJob.objects.filter(pk=job.pk, claim=job.claim).update(**values):
        raise ClaimLost(job.pk)


#: SQLSTATEs of a connection the server ended: 57P01 admin shutdown (a restart), 57P02 crash
#: shutdown, 57P03 cannot connect now (starting up); class 08 is every connection exception.
_CONNECTION_GONE_STATES = ("57P01", "57P02", "57P03")


def database_gone(error: BaseException | None) -> bool:
    """Whether ``error`` (or what caused it) says the database connection was lost or
    refused, rather than that a statement failed (a deadlock, a constraint, a bad value)."""
    import django.db

    seen = 0
    while error is not None and seen < 10:
        if isinstance(error, django.db.InterfaceError):
            return True
        if isinstance(error, django.db.OperationalError):
            cause = error.__cause__
            state = getattr(cause, "sqlstate", None)
            if state is None or state.startswith("08") or state in _CONNECTION_GONE_STATES:
                return True
        error = error.__cause__ or error.__context__
        seen += 1
    return False


def _hand_back(job: ImportJob) -> None:
    """After the database went away mid-run: nothing of the run is trusted (all_or_nothing
    was rolled back; good_rows' committed batches will come out unchanged). Once the
    database answers again (within ``IMPORT_RECONNECT_WAIT``), the job goes back to the
    queue, or is failed if it has used its ``IMPORT_MAX_ATTEMPTS`` runs. If it does not
    answer in time, the job stays running with its claim and the sweep takes it up once
    its heartbeat is older than the lease."""
    deadline = time.monotonic() + settings.IMPORT_RECONNECT_WAIT
    while True:
        if not connection.in_atomic_block:  # (a test's transaction keeps its connection)
            with contextlib.suppress(DatabaseError):
                connection.close()  # the next query opens a new one
        try:
            if job.attempts >= settings.IMPORT_MAX_ATTEMPTS:
                _fail(job, _attempts_used_reason(job.attempts))
                _finish(job, ErrorReport())
            else:
                _requeue(job, reason=REQUEUE_DATABASE_GONE)
            return
        except ClaimLost:
            return
        except DatabaseError:
            logger.debug("import job %s: not handed back yet", job.pk, exc_info=True)
            if time.monotonic() >= deadline:
                logger.warning(
                    "import job %s: the database did not come back; the sweep will requeue it",
                    job.pk,
                )
                return
            time.sleep(1)
        except Exception:  # the broker: the job is queued, its message is sent by the sweep
            logger.warning(
                "import job %s: queued again, but its message was not sent; the sweep will",
                job.pk,
                exc_info=True,
            )
            return


REQUEUE_DATABASE_GONE = (
    "データベースとの接続が切れたため、取込を中断しました。自動で最初から実行し直します"
    "（既に取り込まれた行は「変更なし」になります）。"
)
REQUEUE_WORKER_LOST = (
    "取込を実行していたワーカーが応答しなくなったため（強制終了、データベースの再起動など）、"
    "自動で最初から実行し直します（既に取り込まれた行は「変更なし」になります）。"
)


def _attempts_used_reason(attempts: int) -> str:
    return (
        f"取込を{attempts}回実行しましたが、いずれも途中でワーカーが停止したか、データベースとの"
        "接続が切れたため、取込を中止しました。ファイルが大きすぎる（メモリ不足）可能性があります。"
        "ファイルを分割するなどして、もう一度アップロードしてください。"
    )


def _requeue(job: ImportJob, *, reason: str, stale_before: datetime | None = None) -> bool:
    """Put a running job back in the queue (this run's claim, or, from the sweep, a claim
    whose heartbeat is older than ``stale_before``), its progress reset, and queue it on
    commit. False when the job was not in that state any more."""
    now = timezone.now()
    with transaction.atomic():
        held = ImportJob.objects.filter(pk=job.pk, status=ImportJob.Status.RUNNING, claim=job.claim)
        if stale_before is not None:
            held = held.filter(_late(stale_before))
        if not held.update(
            status=ImportJob.Status.QUEUED,
            claim="",
            heartbeat=now,
            message=reason,
            **{name: 0 for name in _PROGRESS_COUNTS},
        ):
            if stale_before is None:
                raise ClaimLost(job.pk)
            return False
        enqueue(job)
    return True


_PROGRESS_COUNTS = (
    "processed_rows", "created_count", "updated_count", "unchanged_count", "error_count",
    "error_rows",
)  # fmt: skip


def _late(stale_before: datetime) -> Q:
    return Q(heartbeat__lt=stale_before) | Q(heartbeat__isnull=True, started_at__lt=stale_before)


def _fail(job: ImportJob, reason: str) -> None:
    job.status = ImportJob.Status.FAILED
    job.message = reason + (
        "データは一切書き込まれていません。"
        if job.mode == ImportJob.Mode.ALL_OR_NOTHING
        else f"先頭から{job.processed_rows:,}件目のデータ行までの正常な行は取り込まれています"
        "（同じファイルを再度取り込むと、続きから反映されます）。"
    )


#: Allocations between young-generation collections during an import (default 700).
GC_GEN0_THRESHOLD = 100_000


@contextlib.contextmanager
def bulk_gc() -> Iterator[None]:
    """Fewer cyclic-garbage collections while importing.

    Parsing a million rows allocates tens of millions of short-lived objects (none of them
    in reference cycles); with the default thresholds the collector runs every 700
    allocations and, in older generations, walks every live object each time: measured,
    it cost more CPU than building the rows themselves. The objects alive before the
    import (Django, the app) are frozen (never scanned), and the young generation is
    collected less often; both are restored afterwards.
    """
    thresholds = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(GC_GEN0_THRESHOLD, *thresholds[1:])
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)
        gc.unfreeze()


@contextlib.contextmanager
def _local_file(job: ImportJob, path: str | Path | None) -> Iterator[Path]:
    if path is not None:
        yield Path(path)
        return
    try:
        yield Path(job.file.path)
        return
    except NotImplementedError:  # a storage without local paths: copy it first
        pass
    with tempfile.NamedTemporaryFile(suffix=".csv") as tmp, job.file.open("rb") as source:
        shutil.copyfileobj(source, tmp)
        tmp.flush()
        yield Path(tmp.name)


def _prepared(job: ImportJob, importer: Importer, path: Path) -> Iterator[tuple[int, list[Any]]]:
    """(rows in batch, prepared batch): the next batches are read and parsed ahead (in a
    child process or a thread, as chosen for the job, see :mod:`.pipeline`) while the
    caller checks the current one against the database and writes it, so both cores of a
    small machine are used."""
    in_process = job.parse_path == ImportJob.ParsePath.PROCESS
    return pipeline.prepared_batches(
        importer, path, job.encoding, batch_size(), in_process=in_process
    )


def _all_or_nothing(
    job: ImportJob,
    importer: Importer,
    path: Path,
    report: ErrorReport,
    on_progress: Progress | None,
) -> None:
    """One pass in one transaction: every batch is checked, and written while the file has
    shown no error; after the first error the rest is only checked (the report names every
    error), and the transaction is rolled back. So a good file is read once, and nothing of
    a bad one stays written."""
    counts = Counts()
    importer.start_pass()
    progress = ProgressSaver(job, in_thread=writes.in_thread_possible())
    try:
        with transaction.atomic():
            for size, prepared in _prepared(job, importer, path):
                outcome = importer.process(prepared, write=False)
                report.extend(outcome.errors)
                if not report.error_count:
                    importer.write(outcome.rows)
                    counts.add(outcome.counts)
                    _set_counts(job, counts)
                job.processed_rows += size
                _progress(job, report, on_progress, persist=progress.save)
            job.total_rows = job.processed_rows
            if report.error_count:
                raise _Rejected
    finally:
        progress.close()
    _succeed(job, counts, report)


def _good_rows(
    job: ImportJob,
    importer: Importer,
    path: Path,
    report: ErrorReport,
    on_progress: Progress | None,
) -> None:
    job.total_rows = count_rows(path, job.encoding, importer.columns)
    _beat(job, "total_rows")
    counts = Counts()
    importer.start_pass()
    # Created before the parser's child process is forked, started (lazily, by its first
    # write) after: a fork copies no thread.
    writer = BatchWriter(importer, in_thread=writes.in_thread_possible(), job=job)
    save = ProgressSaver(job, in_thread=False).save  # each batch commits: saved in turn
    try:
        for size, prepared in _prepared(job, importer, path):
            outcome = importer.process(prepared, write=False)
            writer.write(
                outcome.rows,
                then=_written(job, report, counts, outcome, size, on_progress, save),
            )
    finally:
        writer.close()
    _succeed(job, counts, report)


def _written(
    job: ImportJob,
    report: ErrorReport,
    counts: Counts,
    outcome: BatchOutcome,
    size: int,
    on_progress: Progress | None,
    save: Callable[[ImportJob], None],
) -> Callable[[], None]:
    """What to count once a batch is committed: only then is it in the job's progress."""

    def account() -> None:
        report.extend(outcome.errors)
        counts.add(outcome.counts)
        job.processed_rows += size
        _set_counts(job, counts)
        _progress(job, report, on_progress, persist=save)

    return account


def _set_counts(job: ImportJob, counts: Counts) -> None:
    job.created_count = counts.created
    job.updated_count = counts.updated
    job.unchanged_count = counts.unchanged


def _progress(
    job: ImportJob,
    report: ErrorReport,
    on_progress: Progress | None,
    *,
    persist: Callable[[ImportJob], None],
) -> None:
    job.error_count = report.error_count
    job.error_rows = report.error_rows
    persist(job)
    if on_progress is not None:
        on_progress(job)


def _succeed(job: ImportJob, counts: Counts, report: ErrorReport) -> None:
    _set_counts(job, counts)
    job.processed_rows = job.total_rows = max(job.total_rows, job.processed_rows)
    job.status = ImportJob.Status.SUCCEEDED
    summary = (
        f"新規 {counts.created:,} 件、更新 {counts.updated:,} 件、"
        f"変更なし {counts.unchanged:,} 件（文字コード: {encoding_label(job.encoding)}）。"
    )
    if report.error_count:
        summary += f"エラーのある {report.error_rows:,} 行は取り込んでいません。"
    if job.attempts > 1:
        summary += (
            f"途中でワーカーが停止したかデータベースとの接続が切れたため、{job.attempts}回目の"
            "実行で完了しました（それまでに取り込まれた行は「変更なし」に数えています）。"
        )
    job.message = summary


def _reject(job: ImportJob, message: str) -> None:
    job.status = ImportJob.Status.REJECTED
    job.message = message
    job.created_count = job.updated_count = job.unchanged_count = 0


def _finish(job: ImportJob, report: ErrorReport) -> None:
    """Save the job's outcome, if the run still holds its claim (else :class:`ClaimLost`:
    the job is its new run's), then delete its uploaded file. A file that outlives a crash
    between the two is deleted by the sweep (a finished job's file)."""
    job.message = mask_my_numbers(job.message)
    report.close()
    job.error_count = report.error_count
    job.error_rows = report.error_rows
    try:
        with transaction.atomic():
            held = (
                ImportJob.objects.select_for_update()
                .filter(pk=job.pk, claim=job.claim, status=ImportJob.Status.RUNNING)
                .exists()
            )
            if not held:
                raise ClaimLost(job.pk)
            if report.error_count:
                with report.path.open("rb") as stream:
                    job.error_report.save(f"{uuid.uuid4().hex}.csv", File(stream), save=False)
            job.finished_at = timezone.now()
            job.claim = ""
            job.save()
            record_job(job, actor=job.started_by)
    finally:
        report.discard()
    name = job.file.name
    delete_source(job)
    if name and not job.file:
        ImportJob.objects.filter(pk=job.pk, file=name).update(file="")


# --- the uploaded file, and the periodic sweep --------------------------------------------
SOURCE_DIR = "imports/source"
#: A file younger than this may belong to an upload whose job is not committed yet.
UPLOAD_COMMIT_GRACE = timedelta(hours=1)


def delete_source(job: ImportJob) -> None:
    """Delete the job's uploaded file (not saved here: the caller saves the job). A file
    that cannot be deleted now keeps its name, so that the sweep tries again."""
    if not job.file:
        return
    try:
        job.file.storage.delete(job.file.name)
    except OSError:
        logger.warning("import job %s: source file not deleted", job.pk, exc_info=True)
        return
    job.file = ""


def lease() -> timedelta:
    """How long a running job may go without a heartbeat before it counts as lost."""
    return timedelta(seconds=settings.IMPORT_LEASE)


@dataclass(frozen=True, slots=True)
class SweepResult:
    failed: int
    requeued: int
    deleted_files: int
    rerun: int = 0


WORKER_LOST_COMMAND = (
    "取込を実行していたプロセスが応答しなくなったため（強制終了など）、取込を中止しました。"
    "取り込むには、コマンドをもう一度実行してください。"
)
SOURCE_GONE = (
    "取込を実行していたワーカーが応答しなくなり、アップロードされたファイルも残っていないため、"
    "取込を中止しました。取り込むには、ファイルをもう一度アップロードしてください。"
)


def sweep_jobs(*, now: datetime | None = None) -> SweepResult:
    """What a killed worker, a restarted database or a lost message left behind (run
    periodically by beat, every ``IMPORT_SWEEP_INTERVAL``).

    - A running job whose heartbeat is older than :func:`lease` lost its worker. An uploaded
      job is run again from the start (``rerun``): safe in both modes, since all_or_nothing's
      one transaction was rolled back and good_rows' committed batches come out unchanged.
      After ``IMPORT_MAX_ATTEMPTS`` runs (a file that kills its worker would kill the next
      one), or when its file is gone, it is failed with the reason; so is a job of the
      management command, which has no stored file to run again (``failed``).
    - A queued job that no worker took within ``IMPORT_REQUEUE_AFTER`` of being queued is
      queued again (the message was lost); the claim in :func:`run_job_by_id` makes a
      duplicate harmless.
    - Uploaded files of finished jobs, and files under ``imports/source/`` that no unfinished
      job refers to (an upload whose transaction rolled back, files of older versions),
      are deleted.
    """
    now = now or timezone.now()
    stale_before = now - lease()
    failed = rerun = 0
    late = ImportJob.objects.filter(_late(stale_before), status=ImportJob.Status.RUNNING)
    for job in late.select_related("started_by"):
        if not job.file:
            reason = WORKER_LOST_COMMAND
        elif not _source_exists(job):
            reason = SOURCE_GONE
        elif job.attempts >= settings.IMPORT_MAX_ATTEMPTS:
            reason = _attempts_used_reason(job.attempts)
        else:
            if _requeue(job, reason=REQUEUE_WORKER_LOST, stale_before=stale_before):
                rerun += 1
                logger.warning(
                    "import job %s: no heartbeat since %s, queued again (run %s of %s)",
                    job.pk, job.heartbeat, job.attempts + 1, settings.IMPORT_MAX_ATTEMPTS,
                )  # fmt: skip
            continue
        _fail(job, reason)
        claimed = ImportJob.objects.filter(
            _late(stale_before), pk=job.pk, status=ImportJob.Status.RUNNING, claim=job.claim
        ).update(
            status=job.status,
            message=mask_my_numbers(job.message),
            finished_at=now,
            claim="",
        )
        if claimed:
            failed += 1
            logger.warning("import job %s: worker lost, marked failed", job.pk)
            job.finished_at = now
            record_job(job, actor=job.started_by)
    requeued = 0
    waited = now - timedelta(seconds=settings.IMPORT_REQUEUE_AFTER)
    for job in ImportJob.objects.filter(
        Q(heartbeat__lt=waited) | Q(heartbeat__isnull=True, created_at__lt=waited),
        status=ImportJob.Status.QUEUED,
    ).only("pk", "file"):
        # Queued again now: the next copy only after another IMPORT_REQUEUE_AFTER, so a
        # job waiting behind a long mailing on the bulk queue is not sent every sweep.
        with transaction.atomic():
            if ImportJob.objects.filter(pk=job.pk, status=ImportJob.Status.QUEUED).update(
                heartbeat=now
            ):
                enqueue(job)
                requeued += 1
    return SweepResult(
        failed=failed, requeued=requeued, deleted_files=_delete_left_files(now), rerun=rerun
    )


def _source_exists(job: ImportJob) -> bool:
    try:
        return bool(job.file) and job.file.storage.exists(job.file.name)
    except OSError:
        return False


def _delete_left_files(now: datetime) -> int:
    deleted = 0
    for job in ImportJob.objects.filter(status__in=ImportJob.FINISHED).exclude(file=""):
        name = job.file.name
        delete_source(job)
        if not job.file:
            ImportJob.objects.filter(pk=job.pk, file=name).update(file="")
            deleted += 1
    storage = ImportJob._meta.get_field("file").storage
    in_use = set(
        ImportJob.objects.exclude(status__in=ImportJob.FINISHED)
        .exclude(file="")
        .values_list("file", flat=True)
    )
    cutoff = now - UPLOAD_COMMIT_GRACE
    for name in _files_under(storage, SOURCE_DIR):
        if name in in_use:
            continue
        try:
            if storage.get_modified_time(name) >= cutoff:
                continue  # an upload whose job is not committed yet
            storage.delete(name)
        except OSError:
            logger.warning("import source file not deleted", exc_info=True)
            continue
        deleted += 1
    return deleted


def _files_under(storage: Any, directory: str) -> Iterator[str]:
    try:
        directories, files = storage.listdir(directory)
    except (FileNotFoundError, NotImplementedError):
        return
    for name in files:
        yield f"{directory}/{name}"
    for sub in directories:
        yield from _files_under(storage, f"{directory}/{sub}")
