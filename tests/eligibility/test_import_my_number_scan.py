"""No full My Number of an imported file anywhere: after imports through the admin, the
command and a real worker, in every outcome (success, refusal, a missing header row, an
internal error, a killed worker, an interrupted command), every file under the private
media root, every column of every table, the admin's pages and downloads, the command's
output and report, and every log line are scanned for each full number of the files, in
any writing (full-width digits, separators), and none is found."""

from __future__ import annotations

import logging
import re
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from unittest import mock

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from core.jp.checkdigits import SEPARATOR_CHARS
from eligibility import tasks
from eligibility.imports import admin as _imports_admin  # noqa: F401 (registers the admin)
from eligibility.imports import service
from eligibility.imports.members import MemberImporter
from eligibility.models import ImportJob, Person
from tests.eligibility.test_import_command import cli as cli_database  # noqa: F401 (a fixture)
from tests.factories.eligibility import EmployerFactory, valid_my_number
from tests.factories.imports import csv_text, member_row
from tests.worker import wait_for

SYMBOL = "13000001"
#: Every full number the files carry (valid check digits), and one mistyped.
NUMBERS = [valid_my_number(9000 + n) for n in range(8)]
MISTYPED = NUMBERS[7][:11] + str((int(NUMBERS[7][11]) + 1) % 10)
ALL_NUMBERS = [*NUMBERS[:7], MISTYPED]
_FULLWIDTH = str.maketrans("０１２３４５６７８９", "0123456789")
_WIDE = str.maketrans("0123456789", "０１２３４５６７８９")
_NO_SEPARATORS = str.maketrans("", "", SEPARATOR_CHARS)


def dashed(number: str) -> str:
    return f"{number[:4]}-{number[4:8]}-{number[8:]}"


def wide(number: str) -> str:
    return f"{number[:4]} {number[4:8]} {number[8:]}".translate(_WIDE)


def good_rows(first: int) -> list[dict[str, str]]:
    """Rows that import: the numbers written three ways, in the 個人番号 column."""
    return [
        member_row(SYMBOL, str(first), 個人番号=NUMBERS[0]),
        member_row(SYMBOL, str(first + 1), 個人番号=dashed(NUMBERS[1])),
        member_row(SYMBOL, str(first + 2), 個人番号=wide(NUMBERS[2])),
    ]


def refused_rows() -> list[dict[str, str]]:
    """Rows with errors: a number in the wrong columns, a mistyped one, another error."""
    return [
        *good_rows(10),
        member_row(SYMBOL, NUMBERS[3]),  # 番号 is 1–8 digits: the value is echoed
        member_row(SYMBOL, "21", 郵便番号=dashed(NUMBERS[4])),
        member_row(SYMBOL, "22", 個人番号=MISTYPED),
        member_row(SYMBOL, "23", 個人番号=NUMBERS[5], 性別="9"),
        member_row(SYMBOL, "24", 住所=f"東京都 {NUMBERS[6]}", 生年月日="x"),
    ]


def headerless() -> bytes:
    """A file without its header row: the first line is data with a number."""
    rows = [member_row(SYMBOL, "31", 個人番号=NUMBERS[5]), member_row(SYMBOL, "32")]
    return csv_text(rows).split("\r\n", 1)[1].encode()


def find_numbers(text: str) -> set[str]:
    """The full numbers in ``text``, however written."""
    plain = text.translate(_FULLWIDTH)
    squeezed = plain.translate(_NO_SEPARATORS)
    return {n for n in ALL_NUMBERS if n in plain or n in squeezed}


def decoded(data: bytes) -> str:
    for encoding in ("utf-8-sig", "cp932"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1")


def scan_media(root: Path) -> dict[str, set[str]]:
    return {
        str(path): found
        for path in root.rglob("*")
        if path.is_file() and (found := find_numbers(decoded(path.read_bytes())))
    }


def scan_database() -> dict[str, set[str]]:
    """Every column of every table (not only the models' text columns: JSON, m2m, all)."""
    found: dict[str, set[str]] = {}
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
            hits = find_numbers(repr(cursor.fetchall()))
            if hits:
                found[table] = hits
    return found


def upload_in_admin(client, data: bytes, mode: str, captured) -> ImportJob:
    file = SimpleUploadedFile(f"{NUMBERS[0]}.csv", data, content_type="text/csv")
    with mock.patch.object(tasks.run_import, "apply_async"), captured(execute=True):
        response = client.post(
            reverse("admin:eligibility_importjob_add"),
            {"kind": "members", "mode": mode, "file": file},
        )
    assert response.status_code == 302, response.content.decode()[:2000]
    return ImportJob.objects.order_by("-pk").first()


def test_no_full_my_number_anywhere_after_imports(
    client, hq_admin, tokyo, tmp_path, caplog, capsys, monkeypatch,
    django_capture_on_commit_callbacks,
):  # fmt: skip
    caplog.set_level(logging.DEBUG)
    EmployerFactory(symbol=SYMBOL, branch=tokyo)
    client.force_login(hq_admin)
    outputs: list[str] = []
    jobs: dict[str, ImportJob] = {}

    def admin_import(name: str, data: bytes, mode: str = "all_or_nothing") -> None:
        job = upload_in_admin(client, data, mode, django_capture_on_commit_callbacks)
        tasks.run_import(job.pk)  # what the worker does
        jobs[name] = job

    # --- through the admin ---
    admin_import("admin success", csv_text(good_rows(1)).encode())
    admin_import("admin refusal", csv_text(refused_rows()).encode("cp932"))
    admin_import("admin good rows", csv_text(refused_rows()).encode(), mode="good_rows")
    admin_import("admin no header", headerless())
    with monkeypatch.context() as patch:  # an internal error whose message holds a number
        patch.setattr(MemberImporter, "write", mock.Mock(side_effect=RuntimeError(NUMBERS[0])))
        admin_import("admin error", csv_text(good_rows(40)).encode())
    # A worker killed mid-job: it claimed the job, and nothing after that ran.
    killed = upload_in_admin(
        client, csv_text(refused_rows()).encode(), "good_rows", django_capture_on_commit_callbacks
    )
    with mock.patch.object(service, "run_job"):
        tasks.run_import(killed.pk)
    assert len(list((Path(settings.MEDIA_ROOT) / "imports" / "source").rglob("*.csv"))) == 1
    later = timezone.now() + service.lease() + timedelta(minutes=1)
    monkeypatch.setattr(settings, "IMPORT_MAX_ATTEMPTS", 1)  # failed at once, not run again
    assert service.sweep_jobs(now=later).failed == 1
    jobs["admin killed"] = killed

    # --- through the command ---
    def command_import(name: str, data: bytes, *args: str) -> None:
        path = tmp_path / f"{name.replace(' ', '_')}_{NUMBERS[1]}.csv"
        path.write_bytes(data)
        try:
            call_command("import_members", str(path), *args)
        except CommandError as exc:
            outputs.append(str(exc))
        finally:
            jobs[name] = ImportJob.objects.order_by("-pk").first()

    report = tmp_path / "report.csv"
    command_import("command success", csv_text(good_rows(50)).encode("cp932"))
    command_import("command refusal", csv_text(refused_rows()).encode(), "--report", str(report))
    command_import(
        "command good rows", csv_text(refused_rows()).encode(), "--mode", "good_rows",
        "--report", str(tmp_path / "report-good.csv"),
    )  # fmt: skip
    command_import("command no header", headerless(), "--report", str(tmp_path / "r3.csv"))
    with monkeypatch.context() as patch:  # the operator presses Ctrl-C
        patch.setattr(MemberImporter, "write", mock.Mock(side_effect=KeyboardInterrupt))
        with pytest.raises(KeyboardInterrupt):
            command_import("command interrupted", csv_text(good_rows(60)).encode())
    captured = capsys.readouterr()
    outputs += [captured.out, captured.err]

    # --- what headquarters sees ---
    pages = [client.get(reverse("admin:eligibility_importjob_changelist")).content.decode()]
    for job in ImportJob.objects.all():
        pages.append(
            client.get(
                reverse("admin:eligibility_importjob_change", args=[job.pk])
            ).content.decode()
        )
        if job.error_report:
            download = client.get(reverse("admin:eligibility_importjob_report", args=[job.pk]))
            pages.append(b"".join(download.streaming_content).decode("utf-8-sig"))

    # The imports did what they should (so the scan below looks at real output).
    status = {name: ImportJob.objects.get(pk=job.pk).status for name, job in jobs.items()}
    assert status == {
        "admin success": "succeeded",
        "admin refusal": "rejected",
        "admin good rows": "succeeded",
        "admin no header": "rejected",
        "admin error": "failed",
        "admin killed": "failed",
        "command success": "succeeded",
        "command refusal": "rejected",
        "command good rows": "succeeded",
        "command no header": "rejected",
        "command interrupted": "failed",
    }
    assert set(Person.objects.values_list("my_number_last4", flat=True)) >= {
        n[-4:] for n in NUMBERS[:3]
    }
    reports = list((Path(settings.MEDIA_ROOT) / "imports" / "reports").rglob("*.csv"))
    assert len(reports) == 6  # the refusals, the good-rows reports, the headerless files
    assert f"********{NUMBERS[3][-4:]}" in report.read_text(encoding="utf-8-sig")
    assert "RuntimeError" in caplog.text  # the internal error's traceback was logged...
    assert f"********{NUMBERS[0][-4:]}" in caplog.text  # ...with its number masked

    # --- the scan ---
    assert scan_media(Path(settings.MEDIA_ROOT)) == {}
    assert list((Path(settings.MEDIA_ROOT) / "imports" / "source").rglob("*.*")) == []
    assert scan_database() == {}
    assert {str(p): find_numbers(decoded(p.read_bytes())) for p in tmp_path.glob("r*.csv")} == {
        str(p): set() for p in tmp_path.glob("r*.csv")
    }
    assert find_numbers("\n".join(pages)) == set()
    assert find_numbers("\n".join(outputs)) == set()
    assert find_numbers(caplog.text) == set()
    assert find_numbers("\n".join(r.getMessage() for r in caplog.records)) == set()


def test_the_scan_finds_a_number_however_written(tmp_path):
    """The scanner itself: a test that cannot fail would prove nothing."""
    for text in (NUMBERS[0], dashed(NUMBERS[1]), wide(NUMBERS[2]), f"x{MISTYPED}y"):
        assert find_numbers(text)
        path = tmp_path / "a" / "b.csv"
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(f"行,{text}\n".encode("cp932"))
        assert scan_media(tmp_path) == {str(path): find_numbers(text)}
    assert not find_numbers(f"********{NUMBERS[0][-4:]}")


# --- a worker really killed (SIGKILL) mid-job, in a process of its own ---------------------
WORKER = """
import os, signal, sys
import django
django.setup()
from datetime import timedelta
from django.core.files.base import ContentFile
from django.utils import timezone
from eligibility import tasks
from eligibility.imports import service
from eligibility.imports.members import MemberImporter

step, path = sys.argv[1], sys.argv[2]
if step == "employer":
    from tests.factories.eligibility import EmployerFactory
    EmployerFactory(symbol=path)
elif step == "submit":  # what the admin does (the message is not sent: no broker here)
    service.enqueue = lambda job: None
    with open(path, "rb") as source:
        upload = ContentFile(source.read(), name=os.path.basename(path))
    print(service.submit_job(kind="members", mode="good_rows", upload=upload, user=None).pk)
elif step == "run":  # the worker, killed while writing its second batch
    service.BATCH_SIZE_POSTGRESQL = service.BATCH_SIZE_OTHER = 1000
    write, calls = MemberImporter.write, []
    def killing_write(self, rows):
        calls.append(1)
        if len(calls) == 2:
            os.kill(os.getpid(), signal.SIGKILL)
        write(self, rows)
    MemberImporter.write = killing_write
    tasks.run_import(int(path))
elif step == "rerun":  # the worker that takes the queued job again
    print(tasks.run_import(int(path)))
else:  # beat's sweep, a day later (the message it queues is not sent: no broker here)
    service.enqueue = lambda job: None
    print(service.sweep_jobs(now=timezone.now() + timedelta(days=1)))
"""


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_job_leaves_no_number_behind(request, tmp_path):
    """The worker's process is killed (SIGKILL) while writing its second batch; beat's
    sweep then queues the job again and the next run completes it: nothing lost, nothing
    written twice, and no number left behind. Processes on this lane's database (SQLite: a
    file)."""
    cli = request.getfixturevalue("cli_database")
    rows = [
        member_row(SYMBOL, str(n), 個人番号=valid_my_number(20_000 + n)) for n in range(1, 1501)
    ]
    numbers = [r["個人番号"] for r in rows]
    source = tmp_path / f"{numbers[0]}.csv"
    source.write_bytes(csv_text(rows).encode())

    def step(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-c", WORKER, *args], env=cli.env, cwd=settings.BASE_DIR,
            capture_output=True, text=True, timeout=300,
        )  # fmt: skip

    assert step("employer", SYMBOL).returncode == 0
    submitted = step("submit", str(source))
    assert submitted.returncode == 0, submitted.stderr
    job_id = submitted.stdout.strip().splitlines()[-1]
    source.unlink()  # the operator's copy: only what the system keeps is scanned
    media = Path(cli.env["PRIVATE_MEDIA_ROOT"])
    assert len(list((media / "imports" / "source").rglob("*.csv"))) == 1

    killed = step("run", job_id)
    assert killed.returncode == -9, killed.stderr
    [(status, processed)] = cli.query(
        f"SELECT status, processed_rows FROM eligibility_importjob WHERE id = {job_id}"
    )
    assert (status, processed) == ("running", 1000)  # the first batch was committed

    swept = step("sweep", "")
    assert swept.returncode == 0, swept.stderr
    assert "rerun=1" in swept.stdout
    [(status, message, file)] = cli.query(
        f"SELECT status, message, file FROM eligibility_importjob WHERE id = {job_id}"
    )
    assert status == "queued" and file  # its file kept for the next run
    assert message.startswith("取込を実行していたワーカーが応答しなくなったため")

    rerun = step("rerun", job_id)
    assert rerun.returncode == 0, rerun.stderr
    [(status, attempts, created, unchanged, message, file)] = cli.query(
        "SELECT status, attempts, created_count, unchanged_count, message, file"
        f" FROM eligibility_importjob WHERE id = {job_id}"
    )
    assert (status, attempts, file) == ("succeeded", 2, "")
    assert (created, unchanged) == (500, 1000)  # the first run's batch comes out unchanged
    assert "2回目の実行で完了しました" in message
    [(records, distinct, persons)] = cli.query(
        "SELECT count(*), count(DISTINCT number), (SELECT count(*) FROM eligibility_person)"
        " FROM eligibility_eligibilityrecord"
    )
    assert (records, distinct, persons) == (1500, 1500, 1500)  # none lost, none twice

    scan = {*numbers}
    found = set()
    for path in media.rglob("*"):
        if path.is_file():
            found |= scan & _digits_in(decoded(path.read_bytes()))
    if cli.vendor == "postgresql":
        tables = [
            t for (t,) in cli.query("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        ]
    else:
        tables = [t for (t,) in cli.query("SELECT name FROM sqlite_master WHERE type = 'table'")]
    for table in tables:
        found |= scan & _digits_in(repr(cli.query(f'SELECT * FROM "{table}"')))
    for done in (submitted, killed, swept, rerun):
        found |= scan & _digits_in(done.stdout + done.stderr)
    assert found == set()
    last4 = {r for (r,) in cli.query("SELECT my_number_last4 FROM eligibility_person")}
    assert last4 == {n[-4:] for n in numbers}


def _digits_in(text: str) -> set[str]:
    """Every 12-digit run in ``text`` (the numbers here are written plainly)."""
    return set(re.findall(r"(?<!\d)\d{12}(?!\d)", text.translate(_FULLWIDTH)))


# --- through a real Celery worker (PostgreSQL + Redis lane) ---------------------------------
@pytest.mark.worker
def test_no_full_my_number_after_imports_on_a_real_worker(celery_worker_process, settings, tokyo):
    settings.MEDIA_ROOT = celery_worker_process.media_root
    EmployerFactory(symbol=SYMBOL, branch=tokyo)
    files = {
        "succeeded": csv_text(good_rows(70)).encode(),
        "rejected": csv_text(refused_rows()).encode("cp932"),
        "no header": headerless(),
    }
    jobs = {}
    for outcome, data in files.items():
        upload = SimpleUploadedFile(f"{NUMBERS[0]}.csv", data, content_type="text/csv")
        jobs[outcome] = service.submit_job(
            kind="members", mode="all_or_nothing", upload=upload, user=None
        )
    sources = [Path(settings.MEDIA_ROOT) / job.file.name for job in jobs.values()]
    finished = {
        outcome: wait_for(
            lambda job=job: ImportJob.objects.filter(pk=job.pk, finished_at__isnull=False).first(),
            timeout=60,
        )
        for outcome, job in jobs.items()
    }
    assert {o: j.status for o, j in finished.items()} == {
        "succeeded": "succeeded",
        "rejected": "rejected",
        "no header": "rejected",
    }
    assert not any(path.exists() for path in sources)
    reports = [
        Path(settings.MEDIA_ROOT) / j.error_report.name for j in finished.values() if j.error_report
    ]
    assert len(reports) == 2
    assert {str(p): find_numbers(decoded(p.read_bytes())) for p in reports} == {
        str(p): set() for p in reports
    }
    # A task that fails with a number in its exception: the worker's own log line of it.
    tasks.run_import.delay(f"job {dashed(NUMBERS[6])}")
    log = wait_for(
        lambda: (text := celery_worker_process.log_path.read_text()).count("ValueError") and text,
        timeout=30,
    )
    assert f"********{NUMBERS[6][-4:]}" in log
    assert f"{Path(jobs['rejected'].file.name).name}: parsing in a" in log  # the jobs' lines
    assert find_numbers(log) == set()
    assert scan_database() == {}
