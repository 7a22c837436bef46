"""Celery tasks of the mailing batches: thin, by id, calling notices.batches.services.

Chunks and outputs run on the ``bulk`` queue (CELERY_TASK_ROUTES); the sweep on
``default``. Chunk time limit: a chunk is at most NOTICE_CHUNK_PARTS files of ~190 items; an
output chunk the manifest, or NOTICE_LIST_CHUNK_EMPLOYERS employers' 対象者一覧表."""

from __future__ import annotations

from celery import shared_task

from notices.batches import finishing, services


@shared_task(acks_late=True, time_limit=30 * 60, soft_time_limit=28 * 60)
def render_chunk(chunk_id: int) -> str:
    return services.render_chunk(chunk_id)


@shared_task(acks_late=True, time_limit=2 * 60 * 60, soft_time_limit=115 * 60)
def finish_batch(batch_id: int) -> bool:
    return services.finish_batch(batch_id)


@shared_task(acks_late=True, time_limit=30 * 60, soft_time_limit=28 * 60)
def write_output_chunk(chunk_id: int) -> str:
    return finishing.write_chunk(chunk_id)


@shared_task
def sweep_batches() -> dict[str, int]:
    return services.sweep()


@shared_task
def standing_certificates() -> int | None:
    batch = services.run_standing()
    return batch.pk if batch else None


@shared_task(acks_late=True)
def reissue(application_id: int) -> int | None:
    batch = services.reissue_for_application(application_id)
    return batch.pk if batch else None
