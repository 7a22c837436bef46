"""The import_members / import_employers commands: exit status and the report file."""

from __future__ import annotations

import csv
import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from eligibility.models import EligibilityRecord, Employer, ImportJob
from tests.factories.eligibility import EmployerFactory
from tests.factories.imports import employer_row, member_row, write_csv


def test_import_members_succeeds(tmp_path, tokyo, capsys):
    EmployerFactory(symbol="13000001")
    path = write_csv(tmp_path / "members.csv", [member_row("13000001")], encoding="cp932")
    call_command("import_members", str(path), "--no-progress")
    assert EligibilityRecord.objects.count() == 1
    assert "新規 1 件" in capsys.readouterr().out
    job = ImportJob.objects.get()
    assert (job.kind, job.encoding, job.original_name) == ("members", "cp932", "members.csv")


def test_rejected_file_fails_and_writes_the_report(tmp_path, tokyo):
    EmployerFactory(symbol="13000001")
    rows = [member_row("13000001", "1"), member_row("13000001", "2", 生年月日="2025-02-30")]
    path = write_csv(tmp_path / "members.csv", rows)
    target = tmp_path / "errors.csv"
    with pytest.raises(CommandError, match="取込できませんでした"):
        call_command("import_members", str(path), "--report", str(target), "--no-progress")
    assert not EligibilityRecord.objects.exists()
    with target.open(encoding="utf-8-sig") as stream:
        [error] = list(csv.DictReader(stream))
    assert (error["行"], error["列"], error["値"]) == ("3", "生年月日", "2025-02-30")


def test_good_rows_mode_loads_the_good_rows(tmp_path, tokyo):
    EmployerFactory(symbol="13000001")
    rows = [member_row("13000001", "1"), member_row("13000001", "2", 性別="x")]
    path = write_csv(tmp_path / "members.csv", rows)
    call_command("import_members", str(path), "--mode", "good_rows", "--no-progress")
    assert EligibilityRecord.objects.count() == 1


def test_import_employers(tmp_path, tokyo):
    path = write_csv(tmp_path / "employers.csv", [employer_row("13000001")])
    call_command("import_employers", str(path), "--no-progress")
    assert Employer.objects.get().symbol == "13000001"


def test_missing_file(tmp_path, db):
    with pytest.raises(CommandError, match="ファイルがありません"):
        call_command("import_members", str(tmp_path / "none.csv"))


def test_exit_status_of_the_process(tmp_path):
    """A rejected file makes `manage.py import_members` exit with status 1 (a real process,
    on a throw-away SQLite database)."""
    path = tmp_path / "bad.csv"
    path.write_bytes("氏名\n太郎\n".encode())
    db = tmp_path / "cli.sqlite3"
    env = {"DATABASE_URL": f"sqlite:///{db}", "DJANGO_SETTINGS_MODULE": "config.settings.test"}
    env = {**os.environ, **env}
    env.pop("CELERY_BROKER_URL", None)
    manage = str(settings.BASE_DIR / "manage.py")
    subprocess.run([sys.executable, manage, "migrate", "-v0"], env=env, check=True)
    done = subprocess.run(
        [sys.executable, manage, "import_members", str(path), "--no-progress"],
        env=env,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 1
    assert "見出し行に必須の列がありません" in done.stdout + done.stderr
