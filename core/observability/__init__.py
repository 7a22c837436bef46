"""Running the application in production: health probes, request ids and JSON logs,
Prometheus metrics, and clear 503s while PostgreSQL or the broker is away.

- :mod:`.context`: the request id and user kind of the work in progress (web or task);
- :mod:`.logs`: the JSON-lines formatter and the Celery logging hooks;
- :mod:`.health`: ``/healthz`` and ``/readyz``;
- :mod:`.metrics`: the Prometheus metrics and ``/metrics``;
- :mod:`.middleware`: the middleware that ties them to each request;
- :mod:`.tasks`: Celery signals (request id into task headers, task outcomes, queue wait).
"""
