"""Employer CSV import: validation, upsert by (支部, 記号), audit of changes."""

from __future__ import annotations

from core.models import AuditEvent
from eligibility.models import Employer, ImportJob
from tests.eligibility.import_helpers import errors_at, report, run
from tests.factories.imports import employer_row

EMPLOYERS = ImportJob.Kind.EMPLOYERS


def test_employers_are_created_then_unchanged_then_updated(tmp_path, tokyo, hq_admin):
    rows = [employer_row("13000001"), employer_row("１３０００００２", 支部="13")]
    job = run(tmp_path, rows, kind=EMPLOYERS, user=hq_admin)
    assert (job.status, job.created_count) == (ImportJob.Status.SUCCEEDED, 2)
    assert set(Employer.objects.values_list("symbol", flat=True)) == {"13000001", "13000002"}

    job = run(tmp_path, rows, kind=EMPLOYERS, user=hq_admin)
    assert (job.created_count, job.updated_count, job.unchanged_count) == (0, 0, 2)
    assert not AuditEvent.objects.filter(object_type="eligibility.employer").exists()

    rows[0]["事業所名称"] = "株式会社新商号"
    job = run(tmp_path, rows, kind=EMPLOYERS, user=hq_admin)
    assert (job.updated_count, job.unchanged_count) == (1, 1)
    [event] = AuditEvent.objects.filter(object_type="eligibility.employer")
    assert event.changes["name"] == ["株式会社テスト商事", "株式会社新商号"]
    assert event.actor == hq_admin


def test_bad_employer_rows_are_named(tmp_path, tokyo):
    rows = [
        employer_row("13000001"),
        employer_row("1300", カナ="テスト商事"),
        employer_row("13000003", 支部="99"),
        employer_row("13000004", 電話番号="03-1234"),
        employer_row("13000001"),
    ]
    job = run(tmp_path, rows, kind=EMPLOYERS)
    assert job.status == ImportJob.Status.REJECTED
    assert errors_at(job) == {
        ("3", "記号"),
        ("3", "カナ"),
        ("4", "支部"),
        ("5", "電話番号"),
        ("6", "記号"),
    }
    assert any("2行目と重複" in r["エラー内容"] for r in report(job))
    assert not Employer.objects.exists()
