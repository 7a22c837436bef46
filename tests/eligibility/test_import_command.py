"""The import_members / import_employers commands: exit status and the report file."""

from __future__ import annotations

import csv
import os
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection

from eligibility.models import EligibilityRecord, Employer, ImportJob
from tests.factories.eligibility import EmployerFactory, valid_my_number
from tests.factories.imports import dependent_row, employer_row, member_row, write_csv


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


# --- a real import in a fresh process, on the lane's database ----------------------------
SYMBOL = "13000001"
PROCESS_PATH = "parsing in a child process"
THREAD_PATH = "parsing in a thread"
#: Runs a management command like manage.py, but without tqdm's monitor thread (which
#: tqdm starts with every bar, even a disabled one: the process is single-threaded again).
WITHOUT_TQDM_MONITOR = (
    "import sys, tqdm; tqdm.tqdm.monitor_interval = 0; "
    "from django.core.management import execute_from_command_line; "
    "execute_from_command_line(['manage.py', *sys.argv[1:]])"
)


@dataclass
class Cli:
    """Commands run in new processes against this lane's database."""

    env: dict[str, str]
    query: Callable[[str], list[tuple]]
    vendor: str

    def run(self, *args: str, tqdm_monitor: bool = False) -> str:
        """The command's output (stdout, stderr with the INFO log); fails on exit status."""
        if tqdm_monitor:  # exactly `manage.py ...`
            head = [sys.executable, str(settings.BASE_DIR / "manage.py")]
        else:
            head = [sys.executable, "-c", WITHOUT_TQDM_MONITOR]
        done = subprocess.run(
            [*head, *args, "--no-progress"], env=self.env, cwd=settings.BASE_DIR,
            capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        output = done.stdout + done.stderr
        assert done.returncode == 0, output
        return output


@pytest.fixture
def cli(tmp_path, transactional_db) -> Cli:
    """PostgreSQL: this lane's test database, transactional (the processes see what the test
    committed and the test sees what they committed; flushed afterwards). SQLite: the lane's
    test database is in memory, so a throw-away file instead."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "PRIVATE_MEDIA_ROOT": str(tmp_path / "media"),
        "LOG_LEVEL": "INFO",
    }
    if connection.vendor == "postgresql":
        db = connection.settings_dict
        env["DATABASE_URL"] = (
            f"postgres://{db['USER'] or ''}:{db['PASSWORD'] or ''}@"
            f"{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
        )

        def query(sql: str) -> list[tuple]:
            with connection.cursor() as cursor:
                cursor.execute(sql)
                return cursor.fetchall()

        return Cli(env, query, connection.vendor)
    file = tmp_path / "cli.sqlite3"
    env["DATABASE_URL"] = f"sqlite:///{file}"
    env.pop("CELERY_BROKER_URL", None)
    manage = str(settings.BASE_DIR / "manage.py")
    subprocess.run([sys.executable, manage, "migrate", "-v0"], env=env, check=True)

    def query_file(sql: str) -> list[tuple]:
        with closing(sqlite3.connect(file)) as db:
            return db.execute(sql).fetchall()

    return Cli(env, query_file, "sqlite")


def _records(cli: Cli) -> list[tuple[str, ...]]:
    return [
        tuple(str(value) for value in row)
        for row in cli.query(
            "SELECT b.code, r.kind, r.symbol, r.number, r.branch_number, r.name, r.name_kana,"
            " r.birth_date, r.sex, r.acquired_on, r.standard_monthly_remuneration,"
            " p.my_number_last4, r.updated_at"
            " FROM eligibility_eligibilityrecord r"
            " JOIN core_branch b ON b.id = r.branch_id"
            " JOIN eligibility_person p ON p.id = r.person_id"
            " ORDER BY r.number, r.branch_number"
        )
    ]


@pytest.mark.django_db(transaction=True)
def test_import_in_a_fresh_process(cli, tmp_path):
    """A real import in a new, single-threaded process: on PostgreSQL the file is parsed in
    a forked child process (the production path, which the test process itself never takes:
    it always has other threads), elsewhere in a thread; the rows are the same either way."""
    expected = PROCESS_PATH if cli.vendor == "postgresql" else THREAD_PATH
    employers = write_csv(tmp_path / "employers.csv", [employer_row(SYMBOL)], encoding="cp932")
    output = cli.run("import_employers", str(employers))
    assert "新規 1 件" in output, output
    assert f"employers.csv: {expected}" in output, output
    rows = [
        member_row(SYMBOL, "1", 個人番号=valid_my_number(5)),
        dependent_row(SYMBOL, "1"),
        member_row(SYMBOL, "2", 生年月日="2025/02/30"),
        member_row(SYMBOL, "3", 資格取得年月日="R2.4.1"),
    ]
    members = write_csv(tmp_path / "members.csv", rows, encoding="cp932")
    report = tmp_path / "errors.csv"
    args = ("import_members", str(members), "--mode", "good_rows")
    output = cli.run(*args, "--report", str(report))
    assert "新規 3 件、更新 0 件、変更なし 0 件（文字コード: Shift_JIS" in output, output
    assert f"members.csv: {expected}" in output, output
    with report.open(encoding="utf-8-sig") as stream:
        assert [(e["行"], e["列"]) for e in csv.DictReader(stream)] == [("4", "生年月日")]
    created = _records(cli)
    assert [row[:-1] for row in created] == [
        ("13", "insured", SYMBOL, "1", "00", "協会　太郎", "キョウカイ　タロウ", "1980-04-02",
         "1", "2010-04-01", "300000", valid_my_number(5)[-4:]),
        ("13", "dependent", SYMBOL, "1", "01", "協会　花子", "キョウカイ　ハナコ", "2015-06-10",
         "2", "2015-06-10", "None", ""),
        ("13", "insured", SYMBOL, "3", "00", "協会　太郎", "キョウカイ　タロウ", "1980-04-02",
         "1", "2020-04-01", "300000", ""),
    ]  # fmt: skip

    output = cli.run(*args)
    assert "新規 0 件、更新 0 件、変更なし 3 件" in output, output
    assert f"members.csv: {expected}" in output, output
    assert _records(cli) == created  # not even updated_at changed
    if cli.vendor == "postgresql":  # and the test's own connection sees the same rows
        assert EligibilityRecord.objects.filter(symbol=SYMBOL).count() == 3
        assert ImportJob.objects.filter(kind="members", unchanged_count=3).count() == 1


@pytest.mark.django_db(transaction=True)
def test_plain_manage_py_parses_in_a_child_process_on_postgresql(cli, tmp_path):
    employers = write_csv(tmp_path / "employers.csv", [employer_row(SYMBOL)])
    output = cli.run("import_employers", str(employers), tqdm_monitor=True)
    assert "新規 1 件" in output, output
    expected = PROCESS_PATH if cli.vendor == "postgresql" else THREAD_PATH
    assert f"employers.csv: {expected}" in output, output
