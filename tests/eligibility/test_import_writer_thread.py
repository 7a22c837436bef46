"""正常行取込 on PostgreSQL writes each batch on a thread of its own, one batch behind the
checks (eligibility.imports.writes). Whatever crosses a batch boundary (a dependent whose
insured person is in the batch still being written, a My Number first seen there) must
come out exactly as when every batch is written before the next is checked."""

from __future__ import annotations

import pytest
from django.db import connection

from eligibility.imports import member_writer, service, writes
from eligibility.models import EligibilityRecord, ImportJob, Person
from tests.eligibility.import_helpers import errors_at, run
from tests.factories.eligibility import EmployerFactory, valid_my_number
from tests.factories.imports import ImportJobFactory, dependent_row, member_row, write_csv

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="the writer thread needs a second connection that sees committed rows",
    ),
]

GOOD_ROWS = ImportJob.Mode.GOOD_ROWS
SYMBOL = "13000001"
A, B = valid_my_number(71), valid_my_number(72)

#: Two rows a batch. Each dependent's insured person, and the second record of the person
#: with My Number B, is in the batch before: the one being written while it is checked.
ROWS = [
    member_row(SYMBOL, "1", 個人番号=A),
    member_row(SYMBOL, "2"),
    dependent_row(SYMBOL, "1"),  # insured person 1 is in the batch being written
    member_row(SYMBOL, "3", 個人番号=B),
    member_row(SYMBOL, "4", 個人番号=B),  # the same person as number 3, a second record
    dependent_row(SYMBOL, "3", 生年月日="2025-02-30"),  # bad: not written
    dependent_row(SYMBOL, "4"),
    dependent_row(SYMBOL, "1", "02", 氏名="協会　一郎", フリガナ="キョウカイ　イチロウ"),
    dependent_row(SYMBOL, "3", "02"),  # its insured person was two batches before
]


@pytest.fixture
def small_batches(monkeypatch):
    monkeypatch.setattr(service, "BATCH_SIZE_POSTGRESQL", 2)


@pytest.fixture
def employer(tokyo):
    return EmployerFactory(symbol=SYMBOL, branch=tokyo)


def _outcome() -> list[tuple[str, ...]]:
    """Every record with what links it: its person (by the first key holding it), its
    insured person's key and its employer."""
    records = list(
        EligibilityRecord.objects.select_related("insured_record").order_by("number", "pk")
    )
    first_key_of_person: dict[int, str] = {}
    for record in records:
        first_key_of_person.setdefault(record.person_id, f"{record.number}-{record.branch_number}")
    return [
        (
            f"{r.number}-{r.branch_number}",
            r.kind,
            first_key_of_person[r.person_id],
            r.insured_record and f"{r.insured_record.number}-{r.insured_record.branch_number}",
            str(r.employer_id),
            r.name,
        )
        for r in records
    ]


def _import(tmp_path, monkeypatch, *, in_thread: bool, rows=ROWS) -> ImportJob:
    monkeypatch.setattr(writes, "WRITE_IN_THREAD", in_thread)
    return run(tmp_path, rows, mode=GOOD_ROWS)


def test_batches_written_behind_the_checks_come_out_as_written_in_turn(
    tmp_path, monkeypatch, small_batches, employer
):
    in_turn = _import(tmp_path, monkeypatch, in_thread=False)
    expected = _outcome()
    EligibilityRecord.objects.filter(kind=EligibilityRecord.Kind.DEPENDENT).delete()
    EligibilityRecord.objects.all().delete()
    Person.objects.all().delete()

    behind = _import(tmp_path, monkeypatch, in_thread=True)

    assert behind.status == ImportJob.Status.SUCCEEDED, behind.message
    assert _outcome() == expected
    assert errors_at(behind) == errors_at(in_turn) == {("7", "生年月日")}
    counts = (behind.created_count, behind.updated_count, behind.unchanged_count)
    assert counts == (in_turn.created_count, 0, 0) == (8, 0, 0)
    assert behind.processed_rows == len(ROWS)
    # numbers 3 and 4 are one person (My Number B), created once
    assert Person.objects.count() == 7
    assert [key for key, *_ in expected] == [
        "1-00", "1-01", "1-02", "2-00", "3-00", "3-02", "4-00", "4-01",
    ]  # fmt: skip


def test_reimport_behind_the_checks_changes_nothing(tmp_path, monkeypatch, small_batches, employer):
    _import(tmp_path, monkeypatch, in_thread=True)
    before = list(EligibilityRecord.objects.order_by("pk").values())
    again = _import(tmp_path, monkeypatch, in_thread=True)
    assert (again.created_count, again.updated_count, again.unchanged_count) == (0, 0, 8)
    assert list(EligibilityRecord.objects.order_by("pk").values()) == before


def test_failed_write_stops_the_import_after_the_last_committed_batch(
    tmp_path, monkeypatch, small_batches, employer
):
    calls = {"n": 0}
    original = member_writer.MemberWriter.create_records

    def failing(self, rows):
        calls["n"] += 1
        if calls["n"] == 3:  # second batch (two calls a batch), after its persons
            raise RuntimeError("disk full")
        return original(self, rows)

    monkeypatch.setattr(member_writer.MemberWriter, "create_records", failing)
    rows = [member_row(SYMBOL, str(n)) for n in range(1, 9)]
    job = _import(tmp_path, monkeypatch, in_thread=True, rows=rows)

    assert job.status == ImportJob.Status.FAILED
    assert sorted(EligibilityRecord.objects.values_list("number", flat=True)) == ["1", "2"]
    assert Person.objects.count() == 2  # the failed batch's persons were rolled back
    assert job.processed_rows == 2  # progress counts committed batches only
    assert "先頭から2件目のデータ行までの正常な行は取り込まれています" in job.message


def test_all_or_nothing_progress_is_visible_outside_its_transaction(
    tmp_path, monkeypatch, small_batches, employer
):
    """全件取込 writes in one long transaction; its progress is saved on a connection of its
    own, so the admin (another connection) sees it while the import runs."""
    import psycopg

    seen: list[int] = []

    def outside(job):
        settings = connection.settings_dict
        with psycopg.connect(
            dbname=settings["NAME"],
            user=settings["USER"],
            host=settings["HOST"],
            port=settings["PORT"] or 5432,
            password=settings["PASSWORD"] or None,
        ) as other:
            row = other.execute(
                "SELECT processed_rows FROM eligibility_importjob WHERE id = %s", [job.pk]
            ).fetchone()
        seen.append(row[0])

    monkeypatch.setattr(writes, "WRITE_IN_THREAD", True)
    rows = [member_row(SYMBOL, str(n)) for n in range(1, 8)]  # batches of 2, 2, 2, 1
    path = tmp_path / "members.csv"
    write_csv(path, rows)
    job = ImportJobFactory(kind=ImportJob.Kind.MEMBERS, mode=ImportJob.Mode.ALL_OR_NOTHING)
    job = service.run_job(job, path=path, on_progress=outside)

    assert job.status == ImportJob.Status.SUCCEEDED, job.message
    assert EligibilityRecord.objects.count() == 7
    # At each batch, at least the batch before is saved where another connection sees it,
    # while the import's own transaction is still open.
    done = [2, 4, 6, 7]
    assert len(seen) == len(done)
    for batch in range(1, len(done)):
        assert done[batch - 1] <= seen[batch] <= done[batch]
