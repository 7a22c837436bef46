"""The import admin (headquarters only), the report download, the task and the worker."""

from __future__ import annotations

from pathlib import Path
from unittest import mock

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from core.models import AuditEvent
from eligibility import tasks
from eligibility.imports import admin as _imports_admin  # noqa: F401 (registers the admin)
from eligibility.imports import service
from eligibility.models import EligibilityRecord, ImportJob
from tests.eligibility.import_helpers import run
from tests.factories.eligibility import EmployerFactory
from tests.factories.imports import ImportJobFactory, csv_text, member_row
from tests.worker import wait_for

ADD_URL = "admin:eligibility_importjob_add"
LIST_URL = "admin:eligibility_importjob_changelist"


def upload(rows, name="members.csv", encoding="utf-8"):
    return SimpleUploadedFile(name, csv_text(rows).encode(encoding), content_type="text/csv")


def test_headquarters_add_enqueues_after_commit(
    client, hq_admin, tokyo, django_capture_on_commit_callbacks
):
    client.force_login(hq_admin)
    with (
        mock.patch.object(tasks.run_import, "apply_async") as apply_async,
        django_capture_on_commit_callbacks(execute=True) as callbacks,
    ):
        response = client.post(
            reverse(ADD_URL),
            {"kind": "members", "mode": "good_rows", "file": upload([member_row("13000001")])},
        )
    assert response.status_code == 302, response.content.decode()[:2000]
    job = ImportJob.objects.get()
    assert len(callbacks) == 1
    apply_async.assert_called_once()
    assert apply_async.call_args.args == ((job.pk,),)
    assert apply_async.call_args.kwargs["time_limit"] == service.time_limit_for(job.file.size)
    assert (job.status, job.mode, job.started_by) == ("queued", "good_rows", hq_admin)
    assert job.original_name == "members.csv"
    assert job.file.name.startswith("imports/source/") and "members" not in job.file.name
    assert AuditEvent.objects.filter(action="create", object_type="eligibility.importjob").exists()


def test_add_view_refuses_a_non_csv_file(client, hq_admin):
    client.force_login(hq_admin)
    data = {"kind": "members", "mode": "good_rows", "file": upload([member_row("1")], "a.pdf")}
    response = client.post(reverse(ADD_URL), data)
    assert response.status_code == 200
    assert "CSVファイル" in response.content.decode()
    assert not ImportJob.objects.exists()


def test_list_shows_progress_and_report_link(client, hq_admin, tokyo, tmp_path):
    EmployerFactory(symbol="13000001")
    rows = [member_row("13000001", "1"), member_row("13000001", "2", 性別="9")]
    job = run(tmp_path, rows, mode=ImportJob.Mode.GOOD_ROWS)
    ImportJobFactory(total_rows=200, processed_rows=50, status=ImportJob.Status.RUNNING)
    client.force_login(hq_admin)
    page = client.get(reverse(LIST_URL)).content.decode()
    assert "50 / 200（25%）" in page
    assert reverse("admin:eligibility_importjob_report", args=[job.pk]) in page


def test_report_download_is_audited(client, hq_admin, tokyo, tmp_path):
    EmployerFactory(symbol="13000001")
    job = run(tmp_path, [member_row("13000001", "1", 性別="9")])
    client.force_login(hq_admin)
    response = client.get(reverse("admin:eligibility_importjob_report", args=[job.pk]))
    assert response.status_code == 200
    body = b"".join(response.streaming_content)
    assert body.startswith(b"\xef\xbb\xbf")
    assert "性別".encode() in body
    event = AuditEvent.objects.get(action=AuditEvent.Action.DOWNLOAD)
    assert (event.actor, event.object_id) == (hq_admin, str(job.pk))


def test_branch_staff_cannot_reach_the_import_admin_or_report(client, reviewer, tokyo, tmp_path):
    EmployerFactory(symbol="13000001")
    job = run(tmp_path, [member_row("13000001", "1", 性別="9")])
    reviewer.is_superuser = False
    client.force_login(reviewer)
    assert client.get(reverse(LIST_URL)).status_code == 403
    assert client.get(reverse(ADD_URL)).status_code == 403
    report_url = reverse("admin:eligibility_importjob_report", args=[job.pk])
    assert client.get(report_url).status_code == 403
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.DOWNLOAD).exists()
    index = client.get(reverse("admin:index")).content.decode()
    assert reverse(LIST_URL) not in index


def test_task_runs_a_job_once(tokyo, settings, django_capture_on_commit_callbacks):
    EmployerFactory(symbol="13000001")
    with (
        mock.patch.object(tasks.run_import, "apply_async"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        job = service.submit_job(
            kind="members",
            mode="all_or_nothing",
            upload=upload([member_row("13000001")]),
            user=None,
        )
    assert tasks.run_import(job.pk) == ImportJob.Status.SUCCEEDED
    job.refresh_from_db()
    assert (job.processed_rows, job.total_rows, job.created_count) == (1, 1, 1)
    # A redelivered message does nothing to a finished job.
    assert tasks.run_import(job.pk) == ImportJob.Status.SUCCEEDED
    assert EligibilityRecord.objects.count() == 1
    assert ImportJob.objects.get().created_count == 1


@pytest.mark.worker
def test_worker_runs_an_uploaded_import(celery_worker_process, settings, hq_admin, tokyo):
    settings.MEDIA_ROOT = celery_worker_process.media_root
    EmployerFactory(symbol="13000001")
    rows = [member_row("13000001", str(n)) for n in range(1, 4)]
    job = service.submit_job(
        kind="members", mode="good_rows", upload=upload(rows, encoding="cp932"), user=hq_admin
    )
    finished = wait_for(
        lambda: ImportJob.objects.filter(pk=job.pk, finished_at__isnull=False).first(),
        timeout=60,
    )
    assert finished.status == ImportJob.Status.SUCCEEDED, finished.message
    assert (finished.processed_rows, finished.created_count) == (3, 3)
    assert finished.encoding == "cp932"
    assert EligibilityRecord.objects.filter(symbol="13000001").count() == 3
    # The worker's pool process is daemonic; the file is still parsed on the other core.
    stored_name = Path(job.file.name).name
    assert finished.file.name == ""  # the uploaded file did not outlive its job
    log = celery_worker_process.log_path.read_text()
    assert f"{stored_name}: parsing in a child process" in log, log[-2000:]
    assert AuditEvent.objects.filter(
        action="import", object_id=str(job.pk), actor=hq_admin
    ).exists()
