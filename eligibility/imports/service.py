"""Import jobs: submitting, running in one of the two modes, counts, report and audit.

- 全件取込（all_or_nothing）: one pass in one transaction: batches are written while the
  file has shown no error, the rest is only checked once one has; any error or exception
  rolls all of it back.
- 正常行取込（good_rows）: the CSV structure of the whole file is checked first (a broken or
  truncated file is rejected before anything is written); then batch by batch, each in its
  own transaction, the good rows are written and the bad ones go to the report.

Both modes are idempotent: a re-import of the same file finds every row unchanged.

The uploaded file (it holds every full My Number of the file) does not outlive its job: it
is deleted when the job ends, whatever the outcome; :func:`sweep_jobs` (periodic, Celery
beat) fails a job whose worker was killed and deletes what a crash left. Messages and
reports pass through :func:`core.personal_ids.mask_my_numbers`.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import math
import shutil
import tempfile
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files import File
from django.core.files.uploadedfile import UploadedFile
from django.db import connection, transaction
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
from eligibility.imports.writes import BatchWriter, ProgressSaver
from eligibility.models import ImportJob

logger = logging.getLogger(__name__)

Progress = Callable[[ImportJob], None]

#: Rows per batch (one set of lookups and one set of writes each).
BATCH_SIZE_POSTGRESQL = 10_000
BATCH_SIZE_OTHER = 2000


class _Rejected(Exception):
    """Raised inside the all-or-nothing transaction to roll it back."""


def batch_size() -> int:
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
    transaction.on_commit(
        lambda: run_import.apply_async(
            (job_id,), time_limit=limit, soft_time_limit=max(30, limit - 60)
        )
    )


# --- running ---------------------------------------------------------------------------
def run_job_by_id(job_id: int, *, on_progress: Progress | None = None) -> ImportJob | None:
    """Run a queued job (the worker's entry point).

    The job is claimed with a conditional update of its status: a redelivered message finds
    it running or finished and does nothing (a job whose worker was killed is failed by
    :func:`sweep_jobs`, not run again: the file that killed it would kill the next one).
    """
    claimed = ImportJob.objects.filter(pk=job_id, status=ImportJob.Status.QUEUED).update(
        status=ImportJob.Status.RUNNING, started_at=timezone.now()
    )
    job = ImportJob.objects.select_related("started_by").filter(pk=job_id).first()
    if job is None or not claimed:
        return job
    return run_job(job, on_progress=on_progress)


def run_job(
    job: ImportJob, *, path: str | Path | None = None, on_progress: Progress | None = None
) -> ImportJob:
    """Run ``job`` on ``path`` (or on its stored file). Never raises for bad data: the
    outcome is in ``job.status``, the counts and the error report."""
    job.status = ImportJob.Status.RUNNING
    job.started_at = timezone.now()
    job.save(update_fields=["status", "started_at"])
    report = ErrorReport()
    try:
        with _local_file(job, path) as local, bulk_gc():
            detected = detect_encoding(local)
            job.encoding = detected.encoding
            job.total_rows = max(0, detected.lines - 1)
            job.parse_path = choose_parse_path()
            job.save(update_fields=["encoding", "total_rows", "parse_path"])
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
    except Exception:
        logger.exception("import job %s failed", job.pk)
        _fail(job, "内部エラーのため取込を中止しました。")
    except BaseException:  # Ctrl-C on the command, the process asked to exit: recorded
        logger.warning("import job %s interrupted", job.pk)
        _fail(job, "取込が中断されました。")
        raise
    finally:
        _finish(job, report)
    return job


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
    counts = Counts()
    importer.start_pass()
    # Created before the parser's child process is forked, started (lazily, by its first
    # write) after: a fork copies no thread.
    writer = BatchWriter(importer, in_thread=writes.in_thread_possible())
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
    job.message = summary


def _reject(job: ImportJob, message: str) -> None:
    job.status = ImportJob.Status.REJECTED
    job.message = message
    job.created_count = job.updated_count = job.unchanged_count = 0


def _finish(job: ImportJob, report: ErrorReport) -> None:
    job.message = mask_my_numbers(job.message)
    delete_source(job)
    report.close()
    job.error_count = report.error_count
    job.error_rows = report.error_rows
    try:
        if report.error_count:
            with report.path.open("rb") as stream:
                job.error_report.save(f"{uuid.uuid4().hex}.csv", File(stream), save=False)
    finally:
        report.discard()
    job.finished_at = timezone.now()
    job.save()
    record_job(job, actor=job.started_by)


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


def stale_after() -> timedelta:
    """How long after its start a running job is surely dead: its task's hard time limit,
    then a margin for the worker to record the failure itself."""
    return timedelta(seconds=settings.IMPORT_TIME_LIMIT + settings.IMPORT_SWEEP_MARGIN)


@dataclass(frozen=True, slots=True)
class SweepResult:
    failed: int
    requeued: int
    deleted_files: int


def sweep_jobs(*, now: datetime | None = None) -> SweepResult:
    """What a killed worker or a lost message left behind (run periodically by beat).

    - A job still running after :func:`stale_after` (its worker was killed: out of memory,
      a deploy, the hard time limit) is failed with its reason and its file deleted.
    - A queued job that no worker took within ``IMPORT_REQUEUE_AFTER`` is queued again (the
      message was lost); the claim in :func:`run_job_by_id` makes a duplicate harmless.
    - Uploaded files of finished jobs, and files under ``imports/source/`` that no unfinished
      job refers to (an upload whose transaction rolled back, files of older versions),
      are deleted.

    Jobs of the management command have no stored file and no time limit: the sweep leaves
    them alone.
    """
    now = now or timezone.now()
    failed = 0
    stale = ImportJob.objects.filter(
        status=ImportJob.Status.RUNNING, started_at__lt=now - stale_after()
    ).exclude(file="")
    for job in stale.select_related("started_by"):
        _fail(
            job,
            "取込を実行していたワーカーが停止したため（制限時間の超過または処理の中断）、"
            "取込を中止しました。アップロードされたファイルは削除しましたので、取り込むには"
            "ファイルをもう一度アップロードしてください。",
        )
        claimed = ImportJob.objects.filter(pk=job.pk, status=ImportJob.Status.RUNNING).update(
            status=job.status, message=mask_my_numbers(job.message), finished_at=now
        )
        if claimed:
            failed += 1
            logger.warning("import job %s: worker lost, marked failed", job.pk)
            job.finished_at = now
            record_job(job, actor=job.started_by)
    requeued = 0
    for job in ImportJob.objects.filter(
        status=ImportJob.Status.QUEUED,
        created_at__lt=now - timedelta(seconds=settings.IMPORT_REQUEUE_AFTER),
    ).only("pk"):
        enqueue(job)
        requeued += 1
    return SweepResult(failed=failed, requeued=requeued, deleted_files=_delete_left_files(now))


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
