"""The parsing pipeline (child process or thread), the memoised parsers and the key look-up
used by the member import: same results whichever way a file is parsed."""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
import time
from pathlib import Path

import pytest

from eligibility.imports import service, sql
from eligibility.imports.errors import FieldError
from eligibility.imports.forked import ChildEnded, ForkedChild
from eligibility.imports.memo import Memo
from eligibility.models import EligibilityRecord, ImportJob, Person
from tests.eligibility.import_helpers import errors_at, run
from tests.factories.eligibility import EmployerFactory, valid_my_number
from tests.factories.imports import csv_text, dependent_row, member_row

SYMBOL = "13000001"


@pytest.fixture
def employer(tokyo):
    return EmployerFactory(symbol=SYMBOL, branch=tokyo)


#: Set by .ci/run's own step for this file: there a skip is a failure, so the forked-child
#: tests can never be skipped silently (in the full suite, other threads usually exist).
FORK_TESTS_REQUIRED = os.environ.get("IMPORT_FORK_TESTS_REQUIRED") == "1"


def _fork_is_safe() -> None:
    # A forked child inherits locks held by other threads (an earlier test's worker helpers
    # may still run): service.choose_parse_path() never forks then, and neither may a test.
    # In the full suite there usually are: .ci/run runs this file again on its own, in a new
    # single-threaded process, with IMPORT_FORK_TESTS_REQUIRED=1.
    if threading.active_count() > 1:
        if FORK_TESTS_REQUIRED:
            pytest.fail(f"{threading.active_count()} threads: the forked-child tests cannot run")
        pytest.skip("other threads are running: forking is unsafe")


@pytest.mark.parametrize("in_process", [True, False])
def test_both_pipelines_give_the_same_result(tmp_path, employer, monkeypatch, settings, in_process):
    if in_process:
        _fork_is_safe()
    settings.IMPORT_PARSE_PATH = "process" if in_process else "thread"
    monkeypatch.setattr(service, "BATCH_SIZE_OTHER", 2)
    monkeypatch.setattr(service, "BATCH_SIZE_POSTGRESQL", 2)
    rows = [
        member_row(SYMBOL, "1", 個人番号=valid_my_number(5)),
        dependent_row(SYMBOL, "1"),
        member_row(SYMBOL, "2", 生年月日="2025/02/30"),
        member_row(SYMBOL, "3", 資格取得年月日="R2.4.1"),
        member_row(SYMBOL, "1"),
    ]
    job = run(tmp_path, rows, mode=ImportJob.Mode.GOOD_ROWS)
    assert job.status == ImportJob.Status.SUCCEEDED, job.message
    assert job.parse_path == settings.IMPORT_PARSE_PATH  # the path asked for is the one run
    assert (job.created_count, job.error_rows, job.processed_rows) == (3, 2, 5)
    assert errors_at(job) == {("4", "生年月日"), ("6", "記号・番号・枝番")}
    assert EligibilityRecord.objects.count() == 3
    assert Person.objects.exclude(my_number_hash="").count() == 1
    again = run(tmp_path, rows[:2], mode=ImportJob.Mode.ALL_OR_NOTHING, name="again.csv")
    assert (again.created_count, again.updated_count, again.unchanged_count) == (0, 0, 2)


def test_broken_file_in_the_child_process_is_named(tmp_path, employer, settings):
    _fork_is_safe()
    settings.IMPORT_PARSE_PATH = "process"
    text = csv_text([member_row(SYMBOL, "1"), member_row(SYMBOL, "2", 住所="東京都港区,芝1-1")])
    cut = text[: text.index('"東京都港区,') + 6].encode("utf-8")  # inside the quoted cell
    job = run(tmp_path, data=cut, mode=ImportJob.Mode.ALL_OR_NOTHING)
    assert job.parse_path == ImportJob.ParsePath.PROCESS
    assert job.status == ImportJob.Status.REJECTED
    assert errors_at(job) == {("3", "")}
    assert not EligibilityRecord.objects.exists()


def _process_ended(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return True
    return state in ("Z", "X")  # a zombie: ended, not yet reaped by whoever adopted it


def test_forked_child_sends_in_order_and_its_death_is_an_error():
    _fork_is_safe()

    def produce(send):
        for n in range(5):
            send(("batch", n, "ア" * n))

    child = ForkedChild(produce, ahead=2)
    try:
        assert [child.receive() for _ in range(5)] == [("batch", n, "ア" * n) for n in range(5)]
        assert child.receive() is None
    finally:
        child.stop()

    dying = ForkedChild(lambda send: os.kill(os.getpid(), signal.SIGKILL), ahead=1)
    try:
        with pytest.raises(ChildEnded, match="exit code -9"):
            dying.receive()
    finally:
        dying.stop()


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc (Linux)")
def test_a_parser_child_of_a_daemonic_process_starts_and_ends_with_its_parent():
    """As in a Celery prefork worker: the importing process is daemonic (multiprocessing
    would refuse it a child), and it may be killed (time limit) while its parser runs."""
    _fork_is_safe()
    context = multiprocessing.get_context("fork")
    receive, send = context.Pipe(duplex=False)

    def daemonic_importer() -> None:
        parser = ForkedChild(lambda _send: time.sleep(60), ahead=1)
        send.send(parser.pid)
        time.sleep(60)

    importer = context.Process(target=daemonic_importer, daemon=True)
    importer.start()
    try:
        assert receive.poll(10), "the daemonic process could not start its parser"
        parser_pid = receive.recv()
        assert not _process_ended(parser_pid)
        os.kill(importer.pid, signal.SIGKILL)
        importer.join(5)
        deadline = time.monotonic() + 10
        while not _process_ended(parser_pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _process_ended(parser_pid), "the parser outlived the process it parsed for"
    finally:
        if importer.is_alive():
            importer.kill()


def test_memo_remembers_values_not_errors():
    calls: list[str] = []

    def parse(text: str) -> int:
        calls.append(text)
        if not text.isdigit():
            raise FieldError(f"bad {len(text)}")
        return int(text)

    memo = Memo(parse, limit=2)
    assert memo["1"] == memo["1"] == 1
    for _ in range(2):
        with pytest.raises(FieldError, match="bad 1"):
            memo["x"]
    assert calls == ["1", "x", "x"]  # an error is raised again, by parsing again
    assert "x" not in memo
    memo["2"]
    memo["3"]  # the memo was full: cleared, then "3" remembered
    memo["1"]
    assert calls == ["1", "x", "x", "2", "3", "1"]


def test_select_by_keys_with_text_keys_and_a_newline(employer):
    found = sql.select_by_keys(
        "SELECT id, symbol FROM eligibility_employer",
        ("branch_id", "symbol"),
        ("bigint", "text"),
        [(employer.branch_id, SYMBOL), (employer.branch_id, "1\n2")],
    )
    assert found == [(employer.pk, SYMBOL)]
    assert sql.select_by_keys(
        "SELECT id FROM eligibility_employer", ("symbol",), ("text",), [(SYMBOL,)]
    ) == [(employer.pk,)]


def test_the_parse_path_is_chosen_once_and_never_forks_beside_threads(settings):
    settings.IMPORT_PARSE_PATH = "thread"
    assert service.choose_parse_path() == ImportJob.ParsePath.THREAD
    settings.IMPORT_PARSE_PATH = "process"
    started = threading.Event()
    helper = threading.Thread(target=started.wait, daemon=True)
    helper.start()
    try:
        assert service.choose_parse_path() == ImportJob.ParsePath.THREAD
    finally:
        started.set()
        helper.join()
