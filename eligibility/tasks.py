"""Celery tasks of the eligibility app (imports on queue "bulk", the sweep on "default";
see CELERY_TASK_ROUTES and CELERY_BEAT_SCHEDULE)."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings

from eligibility.imports import service


@shared_task(
    name="eligibility.tasks.run_import",
    time_limit=settings.IMPORT_TIME_LIMIT,
    soft_time_limit=max(60, settings.IMPORT_TIME_LIMIT - 60),
)
def run_import(job_id: int) -> str | None:
    """Run a queued CSV import; counts are saved after each batch (progress in the admin).

    The job is claimed first: a redelivered message does nothing.
    """
    job = service.run_job_by_id(job_id)
    return None if job is None else job.status


@shared_task(name="eligibility.tasks.sweep_imports")
def sweep_imports() -> dict[str, int]:
    """Periodic: fail imports whose worker was killed, queue lost ones again, delete the
    uploaded files that outlived their job."""
    result = service.sweep_jobs()
    return {
        "failed": result.failed,
        "requeued": result.requeued,
        "deleted_files": result.deleted_files,
    }


@shared_task(name="eligibility.tasks.check_references")
def check_references() -> dict[str, int]:
    """Nightly: every record's branch, person, employer and insured record exist; a broken
    one is kept for headquarters' alert on the admin's index (eligibility.integrity)."""
    from eligibility.integrity import record_reference_check

    return record_reference_check().broken
