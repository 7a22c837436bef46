"""Health probes, request ids in logs and tasks, metrics, and 503 (not 500) while the
database or the broker is away (core.observability)."""

from __future__ import annotations

import json
import logging
import sys
from unittest import mock

import pytest
from django.db import OperationalError
from django.test import Client
from kombu.exceptions import OperationalError as BrokerError

from core.observability import context, health, logs, metrics, middleware, tasks
from tests.factories.core import BranchStaffFactory

MY_NUMBER = "123456789018"


# --- /healthz, /readyz ------------------------------------------------------------------


@pytest.mark.django_db
def test_healthz_answers_without_sign_in_session_or_query(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/healthz", HTTP_HOST="10.0.0.7")  # a balancer probes by address
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "Set-Cookie" not in response.headers
    assert response["Cache-Control"] == "no-store"


@pytest.fixture
def storage_root(settings, tmp_path):
    (tmp_path / "private").mkdir(exist_ok=True)
    return settings.MEDIA_ROOT


@pytest.mark.django_db
def test_readyz_ok_when_database_broker_and_storage_answer(client, storage_root):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.django_db
@pytest.mark.parametrize("dependency", ["database", "broker", "storage"])
def test_readyz_503_and_says_nothing_of_which(client, dependency, caplog, storage_root):
    def broken() -> None:
        raise OperationalError("connection to server at 10.1.2.3 failed: password for kyoukai")

    with mock.patch.dict(health.CHECKS, {dependency: broken}):
        response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable"}
    assert dependency not in response.content.decode()
    assert "10.1.2.3" not in response.content.decode()
    assert any(dependency in r.getMessage() for r in caplog.records)  # the log says which


@pytest.mark.django_db
def test_readyz_503_when_private_storage_is_missing(client, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "not-there")
    assert client.get("/readyz").status_code == 503


@pytest.mark.django_db
def test_readyz_503_when_the_redis_broker_is_away(client, settings, storage_root):
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    assert client.get("/readyz").status_code == 503


# --- request id and JSON logs -------------------------------------------------------------


@pytest.mark.django_db
def test_request_id_returned_and_a_well_formed_incoming_one_kept(client):
    fresh = client.get("/api/v1/applications/forms/")
    assert len(fresh["X-Request-ID"]) == 32
    kept = client.get("/api/v1/applications/forms/", HTTP_X_REQUEST_ID="edge-abc123-XYZ")
    assert kept["X-Request-ID"] == "edge-abc123-XYZ"
    refused = client.get("/api/v1/applications/forms/", HTTP_X_REQUEST_ID="<script>x</script>")
    assert refused["X-Request-ID"] != "<script>x</script>"
    assert len(refused["X-Request-ID"]) == 32


@pytest.mark.django_db
def test_access_line_is_json_with_request_id_and_user_kind_and_no_query_string(
    client, tokyo, caplog
):
    staff = BranchStaffFactory(branch=tokyo)
    client.force_login(staff)
    with caplog.at_level(logging.INFO, logger="core.access"):
        response = client.get(f"/api/v1/eligibility/lookup/?q={MY_NUMBER}")
    record = next(r for r in caplog.records if r.name == "core.access")
    line = json.loads(_format_in_request_context(record, response["X-Request-ID"], "staff"))
    assert line["request_id"] == response["X-Request-ID"]
    assert line["user_kind"] == "staff"
    assert line["view"] not in ("", "unmatched")
    assert line["status"] == response.status_code
    assert isinstance(line["queries"], int)
    assert MY_NUMBER not in json.dumps(line)
    assert staff.username not in json.dumps(line)


def _format_in_request_context(record: logging.LogRecord, request_id: str, kind: str) -> str:
    token = context.bind(context.WorkContext(request_id, kind))
    try:
        return logs.JsonFormatter().format(record)
    finally:
        context.reset(token)


def test_json_formatter_masks_a_my_number_and_keeps_the_traceback():
    try:
        raise ValueError(f"bad {MY_NUMBER}")
    except ValueError:
        record = logging.getLogger("x").makeRecord(
            "x", logging.ERROR, __file__, 1, "failed for %s", (MY_NUMBER,), sys.exc_info()
        )
    line = json.loads(logs.JsonFormatter().format(record))
    assert MY_NUMBER not in json.dumps(line, ensure_ascii=False)
    assert line["message"].endswith("9018")
    assert "ValueError" in line["exc"]
    assert line["level"] == "ERROR"


def test_request_id_goes_into_the_task_headers_and_back_into_the_task_context():
    token = context.bind(context.WorkContext("req-0123456789"))
    headers: dict = {}
    try:
        tasks.add_headers(headers=headers)
    finally:
        context.reset(token)
    assert headers["request_id"] == "req-0123456789"
    assert isinstance(headers["published_at"], float)

    task = mock.Mock()
    task.name = "applications.tasks.example"
    task.request.request_id = headers["request_id"]
    task.request.published_at = headers["published_at"]
    task.request.is_eager = False
    task.request.delivery_info = {"routing_key": "interactive"}
    before = _sample("kyoukai_celery_queue_wait_seconds_count", queue="interactive")
    tasks.task_started(task_id="t1", task=task)
    assert context.current_request_id() == "req-0123456789"
    tasks.task_finished(task_id="t1", task=task)
    assert context.current_request_id() is None
    after = _sample("kyoukai_celery_queue_wait_seconds_count", queue="interactive")
    assert after == before + 1


def test_a_task_published_outside_a_request_gets_an_id_of_its_own():
    headers: dict = {}
    tasks.add_headers(headers=headers)
    assert len(headers["request_id"]) == 32


# --- metrics ----------------------------------------------------------------------------


def _sample(name: str, **labels: str) -> float:
    from prometheus_client import REGISTRY

    return REGISTRY.get_sample_value(name, labels) or 0.0


@pytest.mark.django_db
def test_metrics_count_requests_by_view_and_queries(client):
    labels = {"view": "api-application-forms", "method": "GET", "status": "4xx"}
    before = _sample("kyoukai_http_request_duration_seconds_count", **labels)
    client.get("/api/v1/applications/forms/")  # not signed in: 401/403
    assert _sample("kyoukai_http_request_duration_seconds_count", **labels) == before + 1
    text = client.get("/metrics").content.decode()
    assert 'kyoukai_http_request_duration_seconds_bucket{le="0.1",method="GET"' in text
    assert "kyoukai_http_request_db_queries_count" in text
    assert "kyoukai_batch_items_done" in text


@pytest.mark.django_db
def test_metrics_only_from_the_machine_itself(client):
    assert client.get("/metrics", REMOTE_ADDR="127.0.0.1").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="203.0.113.9").status_code == 404


def test_task_outcomes_counted_by_task():
    sender = mock.Mock()
    sender.name = "notices.tasks.render_chunk"
    before = _sample("kyoukai_celery_tasks_total", task=sender.name, outcome="failed")
    tasks._on_failure(sender=sender)
    assert _sample("kyoukai_celery_tasks_total", task=sender.name, outcome="failed") == before + 1


@pytest.mark.django_db
def test_running_import_shows_as_batch_progress(hq_admin):
    from eligibility.models import ImportJob

    job = ImportJob.objects.create(
        kind=ImportJob.Kind.MEMBERS,
        status=ImportJob.Status.RUNNING,
        total_rows=10,
        processed_rows=4,
    )
    text = metrics.exposition().decode()
    assert f'kyoukai_batch_items_done{{batch="{job.pk}",kind="import"}} 4.0' in text
    assert f'kyoukai_batch_items_total{{batch="{job.pk}",kind="import"}} 10.0' in text


def test_queue_lengths_read_from_redis_lists():
    client = mock.MagicMock()
    client.pipeline.return_value.execute.return_value = [3, 0, 1] + [0] * 7
    with mock.patch("redis.Redis.from_url", return_value=client):
        assert metrics.redis_queue_lengths("redis://x/0", ["bulk"]) == {"bulk": 4}


# --- 503 while a dependency is away --------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("error", "dependency"),
    [
        (OperationalError("server closed the connection unexpectedly"), "database"),
        (BrokerError("Error 111 connecting to 127.0.0.1:6379"), "broker"),
    ],
)
def test_a_dependency_away_answers_503_in_japanese_not_500(tokyo, error, dependency):
    client = Client(raise_request_exception=False)
    client.force_login(BranchStaffFactory(branch=tokyo))
    before = _sample("kyoukai_http_unavailable_total", dependency=dependency)
    with mock.patch("rest_framework.views.APIView.initial", side_effect=error):
        response = client.get("/api/v1/eligibility/lookup/?q=abc")
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    body = response.json()
    assert "しばらく" in body["detail"] and body["errors"] == {}
    assert "6379" not in response.content.decode()
    assert _sample("kyoukai_http_unavailable_total", dependency=dependency) == before + 1


@pytest.mark.django_db
def test_a_page_answers_a_japanese_503_page_when_the_session_store_is_away(tokyo):
    client = Client(raise_request_exception=False)
    client.force_login(BranchStaffFactory(branch=tokyo))
    error = OperationalError("could not connect to server")
    with mock.patch("django.contrib.sessions.backends.db.SessionStore.load", side_effect=error):
        response = client.get("/admin/")
    assert response.status_code == 503
    assert "一時的に利用できません" in response.content.decode()


@pytest.mark.django_db
def test_any_other_error_stays_a_500(tokyo):
    client = Client(raise_request_exception=False)
    client.force_login(BranchStaffFactory(branch=tokyo))
    with mock.patch("rest_framework.views.APIView.initial", side_effect=RuntimeError("bug")):
        response = client.get("/api/v1/eligibility/lookup/?q=abc")
    assert response.status_code == 500


def test_dependency_found_in_the_cause_chain():
    try:
        try:
            raise BrokerError("down")
        except BrokerError as inner:
            raise RuntimeError("publishing failed") from inner
    except RuntimeError as outer:
        assert middleware.dependency_of(outer) == "broker"
    assert middleware.dependency_of(ValueError("x")) is None


# --- the request id on a real worker (PostgreSQL + Redis lane) --------------------------------


@pytest.mark.worker
def test_a_requests_id_reaches_the_real_workers_json_log_lines(client, hq_admin, tokyo, tmp_path):
    """A request with X-Request-ID enqueues a task (an import uploaded in the admin); the
    worker process that runs it writes JSON log lines that carry the same request id."""
    import os

    from django.conf import settings
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.urls import reverse

    from eligibility.imports import admin as _imports_admin  # noqa: F401 (the admin)
    from eligibility.models import ImportJob
    from tests.factories.eligibility import EmployerFactory
    from tests.factories.imports import csv_text, member_row
    from tests.worker import start_private_worker, stop, wait_for

    queue = f"request-id-test-{os.getpid()}"  # the session's worker does not listen here
    settings.IMPORT_QUEUE = queue
    settings.MEDIA_ROOT = str(tmp_path / "media")
    EmployerFactory(symbol="13000001", branch=tokyo)
    request_id = f"edge-{os.getpid()}-4f2a9c"
    client.force_login(hq_admin)
    upload = SimpleUploadedFile(
        "members.csv", csv_text([member_row("13000001")]).encode(), content_type="text/csv"
    )
    response = client.post(
        reverse("admin:eligibility_importjob_add"),
        {"kind": "members", "mode": "all_or_nothing", "file": upload},
        HTTP_X_REQUEST_ID=request_id,
    )
    assert response.status_code == 302
    assert response["X-Request-ID"] == request_id
    job = ImportJob.objects.get()

    log = tmp_path / "worker.log"
    worker = start_private_worker(
        log,
        queue=queue,
        name="request-id",
        env={
            "LOG_FORMAT": "json",
            "PRIVATE_MEDIA_ROOT": settings.MEDIA_ROOT,
            "IMPORT_QUEUE": queue,
        },
    )
    try:
        wait_for(lambda: ImportJob.objects.get(pk=job.pk).is_finished, timeout=120)
        wait_for(lambda: "succeeded in" in log.read_text(), timeout=30)
    finally:
        stop(worker)
    assert ImportJob.objects.get(pk=job.pk).status == ImportJob.Status.SUCCEEDED
    lines = []
    for text in log.read_text().splitlines():
        try:
            lines.append(json.loads(text))
        except ValueError:
            continue  # the worker's banner is not a log line
    in_task = [line for line in lines if line.get("task") == "eligibility.tasks.run_import"]
    assert in_task, log.read_text()[-3000:]
    assert {line.get("request_id") for line in in_task} == {request_id}
    assert any("succeeded in" in line["message"] for line in in_task)
