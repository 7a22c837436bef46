"""Services: record and person writes leave an AuditEvent with the diff; the My Number is
reduced to its last four digits and keyed hash."""

from __future__ import annotations

from datetime import date

import pytest

from core.errors import Conflict, ServiceError
from core.models import AuditEvent
from core.personal_ids import keyed_hash
from eligibility.models import EligibilityRecord
from eligibility.services import (
    person_set_my_number,
    person_update,
    record_create,
    record_update,
)
from tests.factories.core import branch
from tests.factories.eligibility import (
    EmployerFactory,
    InsuredRecordFactory,
    PersonFactory,
    valid_my_number,
)

pytestmark = pytest.mark.django_db


def test_record_update_writes_the_diff(tokyo_admin):
    record = InsuredRecordFactory(name="協会　太郎", lost_on=None)
    updated = record_update(
        record=record,
        actor=tokyo_admin,
        data={"name": "協会　次郎", "lost_on": date(2025, 4, 1)},
    )
    assert updated.name == "協会　次郎"
    record.refresh_from_db()
    assert record.lost_on == date(2025, 4, 1)
    event = AuditEvent.objects.get(action="update")
    assert event.actor == tokyo_admin
    assert event.object_type == "eligibility.eligibilityrecord"
    assert event.object_id == str(record.pk)
    assert event.branch_id == record.branch_id
    assert event.changes == {
        "lost_on": [None, "2025-04-01"],
        "name": ["協会　太郎", "協会　次郎"],
    }


def test_record_update_without_change_writes_nothing(tokyo_admin):
    record = InsuredRecordFactory()
    record_update(record=record, actor=tokyo_admin, data={"name": record.name})
    assert not AuditEvent.objects.exists()


def test_record_update_uses_the_stored_values_as_before(tokyo_admin):
    """A stale instance in memory does not falsify the 'before' of the diff."""
    record = InsuredRecordFactory(name="協会　太郎")
    record.name = "なにか　違う"  # unsaved edit
    record_update(record=record, actor=tokyo_admin, data={"name": "協会　三郎"})
    assert AuditEvent.objects.get().changes == {"name": ["協会　太郎", "協会　三郎"]}


def test_record_update_normalises_kana_and_digits(tokyo_admin):
    record = InsuredRecordFactory()
    updated = record_update(
        record=record, actor=tokyo_admin, data={"name_kana": "きょうかい ｼﾞﾛｳ", "number": "７"}
    )
    assert updated.name_kana == "キョウカイ　ジロウ"
    assert updated.number == "7"


def test_record_update_validates(tokyo_admin):
    record = InsuredRecordFactory(acquired_on=date(2020, 4, 1))
    with pytest.raises(ServiceError) as exc:
        record_update(record=record, actor=tokyo_admin, data={"lost_on": date(2019, 1, 1)})
    assert exc.value.status == 400 and exc.value.field_errors
    with pytest.raises(ServiceError) as exc:
        record_update(record=record, actor=tokyo_admin, data={"name_kana": "協会"})
    assert "name_kana" in exc.value.field_errors
    assert not AuditEvent.objects.exists()


def test_record_update_refuses_unknown_fields(tokyo_admin):
    with pytest.raises(ValueError):
        record_update(record=InsuredRecordFactory(), actor=tokyo_admin, data={"nope": 1})


def test_record_create_writes_a_create_event(hq_admin):
    employer = EmployerFactory()
    record = record_create(
        actor=hq_admin,
        data={
            "person": PersonFactory(),
            "kind": EligibilityRecord.Kind.INSURED,
            "branch": branch(13),
            "employer": employer,
            "symbol": employer.symbol,
            "number": "1",
            "branch_number": "0",
            "name": "新規　太郎",
            "name_kana": "しんき　たろう",
            "birth_date": date(1990, 1, 1),
            "sex": "1",
            "acquired_on": date(2025, 4, 1),
        },
    )
    assert record.pk and record.branch_number == "00" and record.name_kana == "シンキ　タロウ"
    event = AuditEvent.objects.get(action="create")
    assert event.object_id == str(record.pk)
    assert event.changes["name"] == [None, "新規　太郎"]


def test_person_update_is_audited(hq_admin):
    person = PersonFactory(mynacard_registered=False)
    person_update(person=person, actor=hq_admin, data={"mynacard_registered": True})
    event = AuditEvent.objects.get()
    assert event.changes == {"mynacard_registered": [False, True]}


def test_person_update_cannot_touch_the_my_number(hq_admin):
    with pytest.raises(ValueError):
        person_update(person=PersonFactory(), actor=hq_admin, data={"my_number_last4": "0000"})


def test_set_my_number_keeps_only_last_four_and_hash(hq_admin):
    person = PersonFactory(my_number_last4="", my_number_hash="")
    InsuredRecordFactory(person=person)
    number = valid_my_number(424242)
    person_set_my_number(person=person, raw=number, actor=hq_admin)
    person.refresh_from_db()
    assert person.my_number_last4 == number[-4:]
    assert person.my_number_hash == keyed_hash(number)
    event = AuditEvent.objects.get()
    assert event.action == "update"
    assert event.branch_id is not None
    # neither the number nor its last four digits are written to the audit trail
    dumped = str(event.changes)
    assert number not in dumped and number[-4:] not in dumped


def test_set_my_number_accepts_fullwidth_and_hyphens(hq_admin):
    person = PersonFactory(my_number_last4="", my_number_hash="")
    number = valid_my_number(1001)
    typed = f"{number[:4]}-{number[4:8]}-{number[8:]}".translate(
        str.maketrans("0123456789", "０１２３４５６７８９")
    )
    person_set_my_number(person=person, raw=typed, actor=hq_admin)
    assert person.my_number_hash == keyed_hash(number)


def test_set_my_number_rejects_a_bad_check_digit(hq_admin):
    number = valid_my_number(7)
    wrong = number[:11] + str((int(number[11]) + 1) % 10)
    with pytest.raises(ServiceError) as exc:
        person_set_my_number(person=PersonFactory(), raw=wrong, actor=hq_admin)
    assert "my_number" in exc.value.field_errors
    assert "検査用数字" in str(exc.value)
    assert wrong not in str(exc.value)
    assert not AuditEvent.objects.exists()


def test_set_my_number_refuses_one_registered_to_someone_else(hq_admin):
    number = valid_my_number(99)
    PersonFactory(my_number=number)
    with pytest.raises(Conflict) as exc:
        person_set_my_number(person=PersonFactory(), raw=number, actor=hq_admin)
    assert "別の加入者" in str(exc.value)
    assert exc.value.status == 409


@pytest.mark.django_db
def test_an_account_belongs_to_one_person_at_most():
    """Persons without an account are many (no index entry each); one account, one person."""
    from django.db import IntegrityError, transaction

    from tests.factories.core import MemberUserFactory
    from tests.factories.eligibility import PersonFactory

    user = MemberUserFactory()
    PersonFactory(user=user)
    PersonFactory(user=None)
    PersonFactory(user=None)
    with pytest.raises(IntegrityError), transaction.atomic():
        PersonFactory(user=user)
