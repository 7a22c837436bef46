"""A probe task per queue: how long a task waits before a worker starts it.

Celery beat sends :func:`queue_probe` to the ``interactive`` and ``bulk`` queues every
``QUEUE_PROBE_INTERVAL`` seconds (``CELERY_BEAT_SCHEDULE``). It does nothing: its wait is
observed by ``core.observability.tasks`` into ``kyoukai_celery_queue_wait_seconds``, so the
wait of a queue is known even when no member work happens to run through it (a mailing
filling ``bulk`` at night). The load test sends it more often (``loadtest/run.py``).
"""

from __future__ import annotations

from celery import shared_task


@shared_task(name="core.tasks.queue_probe", ignore_result=True, acks_late=False)
def queue_probe() -> None:
    """Nothing to do: being started is the measure."""
