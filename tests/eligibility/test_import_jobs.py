"""An import job's life: claimed once, its uploaded file deleted when it ends, the periodic
sweep, the job's admin page, and what its messages and report may show."""

from __future__ import annotations

import io
import logging
import os
import time
from datetime import timedelta
from pathlib import Path
from unittest import mock

import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from core.log_masking import MaskMyNumbers
from core.models import AuditEvent
from eligibility import tasks
from eligibility.imports import admin as _imports_admin  # noqa: F401 (registers the admin)
from eligibility.imports import service
from eligibility.imports.members import MemberImporter
from eligibility.models import EligibilityRecord, ImportJob
from tests.eligibility.import_helpers import report, run
from tests.factories.eligibility import EmployerFactory, valid_my_number
from tests.factories.imports import ImportJobFactory, csv_text, member_row

SYMBOL = "13000001"
NUMBER = valid_my_number(7)


@pytest.fixture
def employer(tokyo):
    return EmployerFactory(symbol=SYMBOL, branch=tokyo)


def submit(rows, *, mode=ImportJob.Mode.ALL_OR_NOTHING, data: bytes | None = None) -> ImportJob:
    data = csv_text(rows).encode() if data is None else data
    with mock.patch.object(tasks.run_import, "apply_async"):
        return service.submit_job(
            kind=ImportJob.Kind.MEMBERS,
            mode=mode,
            upload=SimpleUploadedFile("members.csv", data),
            user=None,
        )


def source_files() -> list[Path]:
    root = Path(settings.MEDIA_ROOT) / "imports" / "source"
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


# --- the uploaded file does not outlive its job ---------------------------------------------
@pytest.mark.parametrize(
    ("rows", "status"),
    [
        ([member_row(SYMBOL, 個人番号=NUMBER)], ImportJob.Status.SUCCEEDED),
        ([member_row(SYMBOL, 個人番号=NUMBER, 性別="9")], ImportJob.Status.REJECTED),
    ],
)
def test_the_uploaded_file_is_deleted_when_the_job_ends(employer, rows, status):
    job = submit(rows)
    assert len(source_files()) == 1
    assert tasks.run_import(job.pk) == status
    job.refresh_from_db()
    assert source_files() == []
    assert job.file.name == ""
    assert job.original_name == "members.csv"


def test_the_uploaded_file_is_deleted_when_the_job_fails(employer, monkeypatch, caplog):
    job = submit([member_row(SYMBOL, 個人番号=NUMBER)])

    def failing(self, rows):
        raise RuntimeError(f"disk full while writing {NUMBER}")

    monkeypatch.setattr(MemberImporter, "write", failing)
    assert tasks.run_import(job.pk) == ImportJob.Status.FAILED
    assert source_files() == []
    assert "内部エラー" in ImportJob.objects.get().message
    # The traceback is logged, with the number masked.
    [failure] = [r for r in caplog.records if "failed" in r.getMessage()]
    assert failure.exc_text and "RuntimeError" in failure.exc_text
    assert NUMBER not in caplog.text and f"********{NUMBER[-4:]}" in caplog.text


def test_a_redelivered_message_does_not_run_a_running_job(employer):
    job = submit([member_row(SYMBOL)])
    ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.RUNNING)
    assert tasks.run_import(job.pk) == ImportJob.Status.RUNNING
    assert not EligibilityRecord.objects.exists()
    assert len(source_files()) == 1  # still its job's: the sweep decides


# --- the periodic sweep -----------------------------------------------------------------
def test_sweep_fails_a_job_whose_worker_was_killed_on_its_last_run(employer, hq_admin, settings):
    settings.IMPORT_MAX_ATTEMPTS = 2
    job = submit([member_row(SYMBOL, 個人番号=NUMBER)], mode=ImportJob.Mode.GOOD_ROWS)
    # The worker claimed it, then was killed: nothing after the claim ran.
    ImportJob.objects.filter(pk=job.pk).update(attempts=1)
    with mock.patch.object(service, "run_job"):
        service.run_job_by_id(job.pk)
    ImportJob.objects.filter(pk=job.pk).update(processed_rows=2000, started_by=hq_admin)
    assert ImportJob.objects.get().status == ImportJob.Status.RUNNING

    assert service.sweep_jobs().failed == 0  # its heartbeat is fresh: it may still be running
    assert len(source_files()) == 1

    later = timezone.now() + service.lease() + timedelta(seconds=1)
    result = service.sweep_jobs(now=later)
    assert (result.failed, result.rerun, result.deleted_files) == (1, 0, 1)
    job.refresh_from_db()
    assert job.status == ImportJob.Status.FAILED
    assert job.finished_at == later
    assert job.message.startswith("取込を2回実行しましたが、いずれも途中でワーカーが停止したか")
    assert "ファイルを分割するなどして、もう一度アップロードしてください" in job.message
    assert "2,000件目のデータ行までの正常な行は取り込まれています" in job.message
    assert source_files() == [] and job.file.name == ""
    event = AuditEvent.objects.get(action=AuditEvent.Action.IMPORT, object_id=str(job.pk))
    assert (event.actor, event.changes["status"]) == (hq_admin, "failed")
    # A second sweep (or a late worker) finds nothing to do.
    assert service.sweep_jobs(now=later) == service.SweepResult(0, 0, 0)


def test_sweep_fails_a_command_job_whose_process_died_and_leaves_a_live_one(employer):
    now = timezone.now()
    dead = ImportJobFactory(
        status=ImportJob.Status.RUNNING, started_at=now, heartbeat=now, claim="a" * 32
    )
    later = now + service.lease() + timedelta(seconds=1)
    alive = ImportJobFactory(
        status=ImportJob.Status.RUNNING, started_at=now, heartbeat=later, claim="b" * 32
    )
    assert service.sweep_jobs(now=later).failed == 1
    dead.refresh_from_db()
    assert dead.status == ImportJob.Status.FAILED
    assert dead.message.startswith("取込を実行していたプロセスが応答しなくなったため")
    assert "コマンドをもう一度実行してください" in dead.message
    assert ImportJob.objects.get(pk=alive.pk).status == ImportJob.Status.RUNNING


def test_sweep_queues_again_a_job_whose_message_was_lost(
    employer, django_capture_on_commit_callbacks
):
    job = submit([member_row(SYMBOL)])
    later = timezone.now() + timedelta(seconds=settings.IMPORT_REQUEUE_AFTER + 1)
    with (
        mock.patch.object(tasks.run_import, "apply_async") as apply_async,
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert service.sweep_jobs().requeued == 0
        assert service.sweep_jobs(now=later).requeued == 1
    apply_async.assert_called_once()
    assert apply_async.call_args.args == ((job.pk,),)
    assert len(source_files()) == 1


def test_sweep_deletes_files_left_by_finished_jobs_and_old_orphans(employer):
    finished = submit([member_row(SYMBOL)])
    ImportJob.objects.filter(pk=finished.pk).update(status=ImportJob.Status.SUCCEEDED)
    queued = submit([member_row(SYMBOL, "2")])
    orphan = default_storage.save("imports/source/2025/01/orphan.csv", ContentFile(b"x"))
    young = default_storage.save("imports/source/2025/01/young.csv", ContentFile(b"x"))
    old = time.time() - 2 * service.UPLOAD_COMMIT_GRACE.total_seconds()
    os.utime(default_storage.path(orphan), (old, old))
    os.utime(default_storage.path(queued.file.name), (old, old))

    assert service.sweep_jobs().deleted_files == 2
    assert ImportJob.objects.get(pk=finished.pk).file.name == ""
    assert not default_storage.exists(orphan)
    assert default_storage.exists(young)  # its upload may not be committed yet
    assert default_storage.exists(queued.file.name)  # a queued job still needs its file


def test_sweep_task_is_scheduled_on_the_default_queue():
    from config.celery import app

    [entry] = [
        e
        for e in settings.CELERY_BEAT_SCHEDULE.values()
        if e["task"] == "eligibility.tasks.sweep_imports"
    ]
    assert entry["schedule"] > 0
    route = app.amqp.router.route({}, "eligibility.tasks.sweep_imports")
    assert route["queue"].name == "default"
    assert app.amqp.router.route({}, "eligibility.tasks.run_import")["queue"].name == "bulk"
    assert tasks.run_import.time_limit == settings.IMPORT_TIME_LIMIT
    # A lost job is found within a lease and a sweep: minutes, not the 2-hour time limit.
    assert entry["schedule"] < settings.IMPORT_LEASE < settings.IMPORT_TIME_LIMIT / 10


# --- the job's admin page ---------------------------------------------------------------
@pytest.mark.parametrize("outcome", ["queued", "succeeded", "rejected"])
def test_headquarters_can_open_any_job(client, hq_admin, employer, tmp_path, outcome):
    if outcome == "queued":
        job = submit([member_row(SYMBOL)])
    else:
        row = member_row(SYMBOL, 性別="1" if outcome == "succeeded" else "9")
        job = run(tmp_path, [row])
    client.force_login(hq_admin)
    response = client.get(reverse("admin:eligibility_importjob_change", args=[job.pk]))
    assert response.status_code == 200
    page = response.content.decode()
    assert job.get_status_display() in page
    if job.message:
        assert job.message in page
    assert 'type="file"' not in page and 'name="_save"' not in page


# --- messages and reports ------------------------------------------------------------------
def test_a_file_without_a_header_row_does_not_echo_its_first_row(employer, tmp_path):
    first = member_row(SYMBOL, 個人番号=NUMBER, 氏名="協会　一郎")
    data = csv_text([first, member_row(SYMBOL, "2")]).split("\r\n", 1)[1].encode()
    job = run(tmp_path, data=data)
    assert job.status == ImportJob.Status.REJECTED
    assert job.message.startswith("1行目が見出し行ではありません")
    assert "保険者番号" in job.message
    for secret in (NUMBER, NUMBER[-4:], "協会　一郎", "1980-04-02"):
        assert secret not in job.message
        assert all(secret not in str(row) for row in report(job))


def test_a_header_row_with_a_missing_column_names_only_column_names(employer, tmp_path):
    data = f"記号,番号,{NUMBER}\n{SYMBOL},1,x\n".encode()
    job = run(tmp_path, data=data)
    assert job.status == ImportJob.Status.REJECTED
    assert "見出し行に必須の列がありません" in job.message
    assert "見出し行の列: 記号、番号" in job.message
    assert NUMBER not in job.message


def test_a_my_number_in_any_column_is_masked_in_the_report(employer, tmp_path):
    dashed = f"{NUMBER[:4]}-{NUMBER[4:8]}-{NUMBER[8:]}"
    rows = [
        member_row(SYMBOL, NUMBER),  # in 番号 (1–8 digits): an error echoing its value
        member_row(SYMBOL, "2", 住所=f"東京都{dashed}"),  # in 住所: no error
        member_row(SYMBOL, "3", 郵便番号=dashed, 個人番号=NUMBER + "0"),
    ]
    job = run(tmp_path, rows, mode=ImportJob.Mode.GOOD_ROWS)
    errors = {(e["行"], e["列"]): e["値"] for e in report(job)}
    masked = f"********{NUMBER[-4:]}"
    assert errors[("2", "番号")] == masked
    assert errors[("4", "郵便番号")] == masked
    assert errors[("4", "個人番号")] == f"********{NUMBER[-3:]}0"
    assert job.created_count == 1  # the address is stored as given: data, not a message


def test_log_lines_are_masked_whatever_handler_they_reach(caplog):
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    logger = logging.getLogger("tests.masking")
    logger.addHandler(handler)
    try:
        with caplog.at_level(logging.INFO):
            logger.info("row %s: %s", 3, f"{NUMBER[:4]} {NUMBER[4:8]} {NUMBER[8:]}")
            logger.info("count %s", 1234567)
    finally:
        logger.removeHandler(handler)
    masked = f"********{NUMBER[-4:]}"
    assert stream.getvalue() == f"row 3: {masked}\ncount 1234567\n"
    assert [r.getMessage() for r in caplog.records] == [f"row 3: {masked}", "count 1234567"]
    assert caplog.records[1].args == (1234567,)  # a record without a number is untouched


def test_the_filter_masks_a_record_made_elsewhere():
    record = logging.makeLogRecord({"msg": "number %s", "args": (int(NUMBER),)})
    assert MaskMyNumbers().filter(record)
    assert record.getMessage() == f"number ********{NUMBER[-4:]}"
    handlers = settings.LOGGING["handlers"]
    assert all("mask_my_numbers" in h.get("filters", []) for h in handlers.values())


# --- what earlier versions left ------------------------------------------------------------
def test_migration_masks_what_earlier_imports_left(employer):
    import importlib

    from django.apps import apps

    migration = importlib.import_module(
        "eligibility.migrations.0009_mask_my_numbers_in_import_history"
    )
    dashed = f"{NUMBER[:4]}-{NUMBER[4:8]}-{NUMBER[8:]}"
    echo = f"見出し行に必須の列がありません: 記号（見出し行の列: 13130012、{NUMBER}、協会　太郎）"
    old = ImportJobFactory(
        status=ImportJob.Status.REJECTED, message=echo, original_name=f"{NUMBER}.csv"
    )
    old.file.save("old.csv", ContentFile(f"記号\n{NUMBER}\n".encode()), save=False)
    report = f"行,列,値,エラー内容\n1,記号,,{echo}\n2,番号,{dashed},番号は数字1～8桁\n"
    old.error_report.save("r.csv", ContentFile(report.encode("utf-8-sig")), save=False)
    old.save()
    running = submit([member_row(SYMBOL)])
    ImportJob.objects.filter(pk=running.pk).update(status=ImportJob.Status.RUNNING)

    migration.forwards(apps, None)
    migration.forwards(apps, None)  # twice: nothing more to do

    old.refresh_from_db()
    assert NUMBER not in old.message and f"********{NUMBER[-4:]}" in old.message
    assert old.original_name == f"********{NUMBER[-4:]}.csv"
    assert old.file.name == "" and not list(Path(settings.MEDIA_ROOT).rglob("old*.csv"))
    text = old.error_report.open("rb").read().decode("utf-8-sig")
    assert NUMBER not in text and dashed not in text and "番号は数字1～8桁" in text
    assert ImportJob.objects.get(pk=running.pk).file.name  # a running job keeps its file


def test_the_time_limit_follows_the_file_size(settings):
    settings.IMPORT_BYTES_PER_SECOND = 1_000_000
    settings.IMPORT_TIME_LIMIT_MIN = 600
    settings.IMPORT_TIME_LIMIT = 7200
    assert service.time_limit_for(0) == 600  # a small file: the floor
    assert service.time_limit_for(1_500_000_000) == 1500
    # 40 million rows (~139 bytes a row): ~93 minutes, under the cap the sweep waits for.
    assert service.time_limit_for(40_000_000 * 139) == 5560
    assert service.time_limit_for(50 * 10**9) == 7200
