"""The load run's reconciliation (loadtest/run.py) finds what a fault lost or duplicated:
batch items rendered twice or never, files missing or orphaned, 返戻 without a package or
with two, server errors outside the outage; and its fault actions restart the server the
URLs point at, refusing the machine's shared ones."""

from __future__ import annotations

import json
import time
from datetime import date
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.core.files.base import ContentFile

from loadtest import run
from notices.batches import finishing, services
from notices.batches.models import Kind, MailingBatch, MailingItem
from notices.batches.storage import batch_storage
from returns.models import ReturnPackage
from tests.factories.eligibility import EmployerFactory, InsuredRecordFactory
from tests.returns.support import built, return_it, reviewing_application

TODAY = date(2026, 12, 1)


@pytest.fixture(autouse=True)
def _small_files(settings):
    settings.NOTICE_PART_ITEMS = 2
    settings.NOTICE_CHUNK_PARTS = 1


def _rendered_batch(operator, tokyo) -> MailingBatch:
    employer = EmployerFactory(branch=tokyo)
    for _ in range(4):
        InsuredRecordFactory(employer=employer)
    batch = services.define_batch(actor=operator, kind=Kind.NOTICE_ALL, as_of=TODAY, today=TODAY)
    services.launch(batch.pk, actor=operator, today=TODAY)
    for chunk_id in batch.chunks.values_list("pk", flat=True):
        services.render_chunk(chunk_id)
    services.finish_batch(batch.pk)
    for chunk_id in batch.output_chunks.values_list("pk", flat=True):
        finishing.write_chunk(chunk_id)
    batch.refresh_from_db()
    return batch


def test_a_clean_batch_reconciles_to_nothing_lost_or_duplicated(operator, tokyo):
    batch = _rendered_batch(operator, tokyo)
    assert batch.status == MailingBatch.Status.DONE

    items, state = run.batch_accounting(batch.pk)

    assert "lost 0 " in items and "duplicated 0 " in items and "orphaned PDF files 0" in items
    assert "{'rendered': 4}" in items
    assert "完了 (done)" in state


def test_items_rendered_twice_never_or_into_a_lost_file_are_counted(operator, tokyo):
    batch = _rendered_batch(operator, tokyo)
    first, second, third, _fourth = batch.items.order_by("seq")
    MailingItem.objects.filter(pk=first.pk).update(render_count=2)
    MailingItem.objects.filter(pk=second.pk).update(state="pending", render_count=0)
    storage = batch_storage()
    storage.delete(third.file)  # its file mate (the same part) is lost with it
    storage.save(f"mailings/{batch.pk}/notice-99999-orphan.pdf", ContentFile(b"%PDF-"))

    items, _state = run.batch_accounting(batch.pk)

    mates = batch.items.filter(file=third.file, state="rendered").count()
    assert f"lost {1 + mates} " in items
    assert "duplicated 1 " in items
    assert "orphaned PDF files 1" in items


def test_every_returned_application_needs_exactly_one_ready_package(reviewer):
    good = return_it(reviewing_application(), reviewer)
    built(good)
    pending = return_it(reviewing_application(), reviewer)
    twice = return_it(reviewing_application(), reviewer)
    built(twice)
    ReturnPackage.objects.create(message=twice, version=2, state="ready")
    never = reviewing_application()  # returned in the history, no message (a lost signal)
    returned = {good.application_id, pending.application_id, twice.application_id, never.pk}

    line = run.package_accounting({good.application_id}, returned)

    assert "for 4 返戻" in line
    assert "lost (no package) 1" in line
    assert "not ready 1" in line
    assert "duplicated (more than one) 1" in line


def test_errors_outside_the_outage_are_counted(tmp_path: Path):
    journal = tmp_path / "journal.jsonl"
    began = time.time()
    lines = [
        {"kind": "filing", "key": "k", "id": 1, "at": began - 5},
        {"kind": "error", "name": "member: records", "status": 503, "at": began + 0.3},
        {"kind": "error", "name": "member: file", "status": 0, "at": began + 0.9},
        {"kind": "error", "name": "member: records", "status": 500, "at": began + 30},
    ]
    journal.write_text("\n".join(json.dumps(x) for x in lines) + "\n")
    fault = SimpleNamespace(
        started_at=began, action_seconds=0.5, outage=(0.0, 1.0), recovered_after=1.25
    )

    line = run.error_timing(journal, fault)  # type: ignore[arg-type]

    assert "{503: 1, 'dropped connection': 1, 500: 1}" in line
    assert "outside the outage (fault start to 2.00 s): 1" in line
    assert "recovered (the last error or not-ready answer) 30.00 s" in line


def test_postgres_restart_follows_the_server_the_url_points_at(monkeypatch):
    debian = {
        "config_file": "/etc/postgresql/15/main/postgresql.conf",
        "data_directory": "/var/lib/postgresql/15/main",
        "server_version_num": "150010",
        "port": "5432",
    }
    monkeypatch.setattr(run, "_pg_settings", lambda: debian)
    assert run.postgres_restart_command() == [
        "pg_ctlcluster", "--skip-systemctl-redirect", "15", "main", "restart",
    ]  # fmt: skip

    private = {**debian, "config_file": "/nonexistent/pg/postgresql.conf"}
    private["data_directory"] = "/nonexistent/pg"
    monkeypatch.setattr(run, "_pg_settings", lambda: private)
    monkeypatch.setattr(Path, "owner", lambda self: "postgres")
    command = run.postgres_restart_command()
    assert "/usr/lib/postgresql/15/bin/pg_ctl -D /nonexistent/pg -m fast -w restart" in " ".join(
        command
    )

    monkeypatch.setenv("LOADTEST_PG_RESTART", "my-restart --now")
    assert run.postgres_restart_command() == ["sh", "-c", "my-restart --now"]


def test_redis_address_comes_from_the_broker_url(monkeypatch):
    monkeypatch.setenv("CELERY_BROKER_URL", "redis://127.0.0.1:8142/0")
    assert run.redis_address() == ("127.0.0.1", 8142)
    monkeypatch.setenv("LOADTEST_REDIS_START", "redis-server --port 8142")
    assert run.redis_start_command() == ["sh", "-c", "redis-server --port 8142"]
