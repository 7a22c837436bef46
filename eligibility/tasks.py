"""Celery tasks of the eligibility app (queue "bulk", see CELERY_TASK_ROUTES)."""

from __future__ import annotations

from celery import shared_task

from eligibility.imports import service


@shared_task(name="eligibility.tasks.run_import")
def run_import(job_id: int) -> str | None:
    """Run a queued CSV import; counts are saved after each batch (progress in the admin).

    A job that is already finished is left alone (a redelivered message does nothing).
    """
    job = service.run_job_by_id(job_id)
    return None if job is None else job.status
