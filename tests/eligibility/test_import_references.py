"""A record's person, employer and insured person's record have no database constraint
(EligibilityRecord.person): the import checks and locks what each batch refers to
(eligibility.imports.references), and dangling_references() finds what is broken."""

from __future__ import annotations

import threading
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import OperationalError, connection, transaction
from django.db.models import ProtectedError

from eligibility.imports import members, service
from eligibility.imports.references import lock_rows
from eligibility.integrity import dangling_references
from eligibility.models import EligibilityRecord, Employer, ImportJob, Person
from tests.eligibility.import_helpers import run
from tests.factories.eligibility import (
    EmployerFactory,
    InsuredRecordFactory,
    PersonFactory,
    valid_my_number,
)
from tests.factories.imports import dependent_row, member_row

pytestmark = pytest.mark.django_db
FAILED = ImportJob.Status.FAILED
NO_DANGLING = {"branch": 0, "person": 0, "employer": 0, "insured_record": 0}


def _delete_before_the_check(monkeypatch, delete, *, on_call: int = 1) -> None:
    """Run ``delete`` just before the ``on_call``-th batch checks its references: as if
    someone deleted the row between the batch's look-ups and its write."""
    original = members.lock_references
    calls = {"n": 0}

    def deleting_first(creates, changed, *, new_person_ids):
        calls["n"] += 1
        if calls["n"] == on_call:
            delete()
        original(creates, changed, new_person_ids=new_person_ids)

    monkeypatch.setattr(members, "lock_references", deleting_first)


def test_employer_deleted_during_the_import_stops_it_and_nothing_is_written(
    tmp_path, monkeypatch, tokyo
):
    employer = EmployerFactory(branch=tokyo)
    _delete_before_the_check(monkeypatch, lambda: Employer.objects.filter(pk=employer.pk).delete())

    job = run(tmp_path, [member_row(employer.symbol, "1"), member_row(employer.symbol, "2")])

    assert job.status == FAILED
    assert "2行目、3行目が参照する事業所が削除されていました" in job.message
    assert "データは一切書き込まれていません" in job.message
    assert not EligibilityRecord.objects.exists()
    assert not Person.objects.exists()


def test_person_matched_by_my_number_and_deleted_stops_the_import(tmp_path, monkeypatch, tokyo):
    employer = EmployerFactory(branch=tokyo)
    person = PersonFactory(my_number=valid_my_number(5))
    _delete_before_the_check(monkeypatch, lambda: Person.objects.filter(pk=person.pk).delete())

    job = run(tmp_path, [member_row(employer.symbol, "1", 個人番号=valid_my_number(5))])

    assert job.status == FAILED
    assert "2行目が参照する加入者が削除されていました" in job.message
    assert not EligibilityRecord.objects.exists()


def test_insured_record_deleted_under_a_new_dependent_stops_the_import(
    tmp_path, monkeypatch, tokyo
):
    insured = InsuredRecordFactory(employer__branch=tokyo, number="7")
    _delete_before_the_check(
        monkeypatch, lambda: EligibilityRecord.objects.filter(pk=insured.pk).delete()
    )

    job = run(tmp_path, [dependent_row(insured.symbol, "7")])

    assert job.status == FAILED
    assert "2行目が参照する被保険者の資格情報が削除されていました" in job.message
    assert not EligibilityRecord.objects.filter(kind=EligibilityRecord.Kind.DEPENDENT).exists()


def test_good_rows_keeps_the_batches_before_the_one_whose_employer_went(
    tmp_path, monkeypatch, tokyo
):
    monkeypatch.setattr(service, "BATCH_SIZE_OTHER", 2)
    monkeypatch.setattr(service, "BATCH_SIZE_POSTGRESQL", 2)
    first, second = EmployerFactory(branch=tokyo), EmployerFactory(branch=tokyo)
    _delete_before_the_check(
        monkeypatch, lambda: Employer.objects.filter(pk=second.pk).delete(), on_call=2
    )
    rows = [member_row(first.symbol, "1"), member_row(first.symbol, "2")]
    rows += [member_row(second.symbol, "3"), member_row(second.symbol, "4")]

    job = run(tmp_path, rows, mode=ImportJob.Mode.GOOD_ROWS)

    assert job.status == FAILED
    assert "4行目、5行目が参照する事業所が削除されていました" in job.message
    assert "先頭から2件目のデータ行までの正常な行は取り込まれています" in job.message
    assert sorted(EligibilityRecord.objects.values_list("number", flat=True)) == ["1", "2"]
    assert dangling_references() == NO_DANGLING


def test_an_import_that_refers_to_existing_rows_checks_them_and_succeeds(tmp_path, tokyo):
    """Existing employer, person (by My Number) and insured record, all referred to."""
    insured = InsuredRecordFactory(employer__branch=tokyo, number="7")
    known = PersonFactory(my_number=valid_my_number(6))
    rows = [
        dependent_row(insured.symbol, "7"),
        member_row(insured.symbol, "8", 個人番号=valid_my_number(6)),
    ]

    job = run(tmp_path, rows)

    assert job.status == ImportJob.Status.SUCCEEDED, job.message
    assert job.created_count == 2
    assert EligibilityRecord.objects.get(number="7", branch_number="01").insured_record == insured
    assert EligibilityRecord.objects.get(number="8").person == known
    assert dangling_references() == NO_DANGLING


def test_dangling_references_counts_each_broken_reference(tokyo):
    record = InsuredRecordFactory(employer__branch=tokyo)
    assert dangling_references() == NO_DANGLING

    EligibilityRecord.objects.filter(pk=record.pk).update(employer_id=record.employer_id + 1000)

    assert dangling_references() == {**NO_DANGLING, "employer": 1}


def test_the_orm_still_refuses_to_delete_what_records_refer_to(tokyo):
    record = InsuredRecordFactory(employer__branch=tokyo)
    with pytest.raises(ProtectedError):
        record.person.delete()
    with pytest.raises(ProtectedError):
        record.employer.delete()
    assert Employer.objects.filter(pk=record.employer_id).exists()


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks: PostgreSQL")
def test_a_locked_reference_cannot_be_deleted_until_the_batch_commits(tokyo):
    employer = EmployerFactory(branch=tokyo)
    outcome: dict[str, object] = {}

    def delete_from_another_connection() -> None:
        try:
            with connection.cursor() as cursor:
                cursor.execute("SET lock_timeout = '300ms'")
                cursor.execute("DELETE FROM eligibility_employer WHERE id = %s", [employer.pk])
            outcome["deleted"] = True
        except OperationalError as exc:
            outcome["error"] = exc
        finally:
            connection.close()

    with transaction.atomic():
        assert lock_rows(Employer, [employer.pk, employer.pk + 1000]) == {employer.pk}
        other = threading.Thread(target=delete_from_another_connection)
        other.start()
        other.join()
    assert "lock timeout" in str(outcome.get("error")), outcome

    other = threading.Thread(target=delete_from_another_connection)
    other.start()
    other.join()
    assert outcome.get("deleted") is True  # once the lock is gone, so is the row


def test_check_references_command_fails_on_a_broken_reference(tokyo):
    record = InsuredRecordFactory(employer__branch=tokyo)
    out = StringIO()
    call_command("check_references", stdout=out)
    assert "すべての参照先が存在します" in out.getvalue()

    EligibilityRecord.objects.filter(pk=record.pk).update(person_id=record.person_id + 1000)
    out = StringIO()
    with pytest.raises(CommandError, match="延べ 1 件"):
        call_command("check_references", stdout=out)
    assert "加入者: 参照先のない資格情報 1 件" in out.getvalue()
