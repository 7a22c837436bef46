"""Prometheus metrics of the web processes and the Celery workers, and ``/metrics``.

Every process records into ``prometheus_client``'s default registry. Under gunicorn and the
Celery prefork pool there are many processes: with ``PROMETHEUS_MULTIPROC_DIR`` set (as
``scripts/serve.sh`` does, one directory for the web and the workers of a machine) each
process writes its values to files there and ``/metrics`` adds them up
(``MultiProcessCollector``); ``config/gunicorn.conf.py`` marks a dead worker's files.
Read at scrape time, not recorded: the length of each Celery queue (Redis ``LLEN``) and the
progress of running batches (:data:`BATCH_PROGRESS_SOURCES`).

``docs/observability.md`` says what each metric means and how a dashboard reads it.
"""

from __future__ import annotations

import ipaddress
import logging
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.module_loading import import_string
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import REGISTRY, Collector

logger = logging.getLogger("core.metrics")

LATENCY_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.2, 0.4, 0.8, 1.6, 3.2, 10.0)
QUERY_BUCKETS = (0, 1, 2, 4, 8, 16, 32, 64, 128)
WAIT_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 300.0)
TASK_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0, 1800.0)

HTTP_LATENCY = Histogram(
    "kyoukai_http_request_duration_seconds",
    "Time to answer a request, by view (URL name), method and status class.",
    ["view", "method", "status"],
    buckets=LATENCY_BUCKETS,
)
HTTP_QUERIES = Histogram(
    "kyoukai_http_request_db_queries",
    "Database queries made while answering one request, by view.",
    ["view"],
    buckets=QUERY_BUCKETS,
)
HTTP_UNAVAILABLE = Counter(
    "kyoukai_http_unavailable_total",
    "Requests answered 503 because a dependency was away (database, broker).",
    ["dependency"],
)
TASKS = Counter(
    "kyoukai_celery_tasks_total",
    "Celery tasks finished, by task name and outcome (succeeded, failed, retried, rejected).",
    ["task", "outcome"],
)
TASK_DURATION = Histogram(
    "kyoukai_celery_task_duration_seconds",
    "Run time of a Celery task, by task name.",
    ["task"],
    buckets=TASK_BUCKETS,
)
QUEUE_WAIT = Histogram(
    "kyoukai_celery_queue_wait_seconds",
    "Time from publishing a task to a worker starting it, by queue.",
    ["queue"],
    buckets=WAIT_BUCKETS,
)


@dataclass(frozen=True, slots=True)
class BatchProgress:
    """One running batch: its kind (import, mailing), id, items done and items in all."""

    kind: str
    batch: str
    done: int
    total: int


#: Functions returning the running batches' progress, read at each scrape. A new kind of
#: batch (the mailings) adds its own with ``METRICS_BATCH_PROGRESS_SOURCES``.
BATCH_PROGRESS_SOURCES_DEFAULT = ("eligibility.selectors.running_import_progress",)


def _queue_names() -> list[str]:
    return [q for q in settings.CELERY_QUEUES_ALL.split(",") if q]


def redis_queue_lengths(url: str, queues: Iterable[str]) -> dict[str, int]:
    """Messages waiting per queue in the Redis broker (kombu keeps one list per queue and
    priority step: ``name`` and ``name\\x06\\x16N``)."""
    import redis

    client = redis.Redis.from_url(url, socket_timeout=1, socket_connect_timeout=1)
    try:
        out = {}
        for queue in queues:
            keys = [queue, *(f"{queue}\x06\x16{step}" for step in range(1, 10))]
            pipe = client.pipeline(transaction=False)
            for key in keys:
                pipe.llen(key)
            out[queue] = sum(pipe.execute())
        return out
    finally:
        client.close()


class ScrapeTimeCollector(Collector):
    """Queue lengths and batch progress, read when Prometheus scrapes."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        yield from self._queues()
        yield from self._batches()

    def _queues(self) -> Iterator[GaugeMetricFamily]:
        url = settings.CELERY_BROKER_URL
        if not url.startswith("redis"):
            return
        family = GaugeMetricFamily(
            "kyoukai_celery_queue_length", "Messages waiting in a Celery queue.", labels=["queue"]
        )
        try:
            lengths = redis_queue_lengths(url, _queue_names())
        except Exception as error:  # the broker is away: no figure rather than a failed scrape
            logger.warning("queue lengths unavailable (%s)", type(error).__name__)
            return
        for queue, length in lengths.items():
            family.add_metric([queue], length)
        yield family

    def _batches(self) -> Iterator[GaugeMetricFamily]:
        done = GaugeMetricFamily(
            "kyoukai_batch_items_done", "Items done in a running batch.", labels=["kind", "batch"]
        )
        total = GaugeMetricFamily(
            "kyoukai_batch_items_total", "Items in a running batch.", labels=["kind", "batch"]
        )
        sources = getattr(
            settings, "METRICS_BATCH_PROGRESS_SOURCES", BATCH_PROGRESS_SOURCES_DEFAULT
        )
        for path in sources:
            try:
                source: Callable[[], Iterable[BatchProgress]] = import_string(path)
                rows = list(source())
            except Exception as error:  # the database is away: no figure
                logger.warning("batch progress unavailable (%s)", type(error).__name__)
                continue
            for row in rows:
                done.add_metric([row.kind, row.batch], row.done)
                total.add_metric([row.kind, row.batch], row.total)
        yield done
        yield total


def exposition() -> bytes:
    """The text Prometheus scrapes: every process's recorded values, then the read ones."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        MultiProcessCollector(registry)
    else:
        registry = CollectorRegistry()
        for collector in list(REGISTRY._collector_to_names):
            registry.register(collector)
    registry.register(ScrapeTimeCollector())
    return generate_latest(registry)


def _allowed(request: HttpRequest) -> bool:
    """From the machine itself or a network of ``METRICS_ALLOWED_NETWORKS``."""
    try:
        address = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        return False
    networks = getattr(settings, "METRICS_ALLOWED_NETWORKS", ["127.0.0.0/8", "::1/128"])
    return any(address in ipaddress.ip_network(net) for net in networks)


def metrics_view(request: HttpRequest) -> HttpResponse:
    if not _allowed(request):
        return HttpResponse(status=404)
    response = HttpResponse(exposition(), content_type=CONTENT_TYPE_LATEST)
    response["Cache-Control"] = "no-store"
    return response
