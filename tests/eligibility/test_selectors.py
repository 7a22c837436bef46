"""Selectors: member and staff reads, the current record, 負担割合 wiring."""

from __future__ import annotations

from datetime import date

import pytest

from core.jp.errors import JapaneseValueError
from eligibility.models import EligibilityRecord
from eligibility.selectors import (
    burden_ratio_for,
    current_record,
    current_record_id_for_member,
    kana_prefix_q,
    normalize_branch_number,
    persons_for_staff,
    pick_current,
    record_search_q,
    records_for_member,
    records_for_staff,
)
from tests.factories.core import MemberUserFactory
from tests.factories.eligibility import (
    DependentRecordFactory,
    EmployerFactory,
    InsuredRecordFactory,
    PersonFactory,
    VoluntaryRecordFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def member():
    return MemberUserFactory()


@pytest.fixture
def osaka_record(osaka):
    return InsuredRecordFactory(
        employer=EmployerFactory(branch=osaka, symbol="27000001"),
        name="大阪　一郎",
        name_kana="オオサカ　イチロウ",
    )


# --- member ---------------------------------------------------------------------------


def test_member_sees_only_own_records(member):
    person = PersonFactory(user=member)
    own = InsuredRecordFactory(person=person)
    InsuredRecordFactory()  # someone else
    assert list(records_for_member(user=member)) == [own]


def test_staff_and_anonymous_get_no_member_records(reviewer):
    from django.contrib.auth.models import AnonymousUser

    InsuredRecordFactory(person=PersonFactory(user=reviewer))
    assert not records_for_member(user=reviewer).exists()
    assert not records_for_member(user=AnonymousUser()).exists()


# --- current record ----------------------------------------------------------------


def test_current_is_the_record_eligible_on_the_date():
    person = PersonFactory()
    old = InsuredRecordFactory(
        person=person, acquired_on=date(2010, 4, 1), lost_on=date(2020, 4, 1)
    )
    new = VoluntaryRecordFactory(person=person, acquired_on=date(2020, 4, 1))
    assert current_record(person, on=date(2020, 3, 31)) == old
    # the 資格喪失年月日 is the first day of the next record
    assert current_record(person, on=date(2020, 4, 1)) == new


def test_current_falls_back_to_the_latest_record():
    person = PersonFactory()
    InsuredRecordFactory(person=person, acquired_on=date(2000, 4, 1), lost_on=date(2005, 1, 1))
    latest = InsuredRecordFactory(
        person=person, acquired_on=date(2010, 4, 1), lost_on=date(2015, 1, 1)
    )
    assert current_record(person, on=date(2024, 1, 1)) == latest
    # before any record: the latest one too
    assert current_record(person, on=date(1999, 1, 1)) == latest


def test_current_record_of_a_person_without_records():
    assert current_record(PersonFactory(), on=date(2024, 1, 1)) is None


def test_pick_current_prefers_eligible_over_later_lost():
    person = PersonFactory()
    eligible = InsuredRecordFactory(person=person, acquired_on=date(2001, 4, 1))
    later_lost = InsuredRecordFactory(
        person=person, acquired_on=date(2010, 4, 1), lost_on=date(2011, 4, 1)
    )
    records = [later_lost, eligible]
    assert pick_current(records, on=date(2012, 1, 1)) == eligible
    assert pick_current([], on=date(2012, 1, 1)) is None


def test_current_record_uses_a_prefetch(django_assert_num_queries):
    person = PersonFactory()
    InsuredRecordFactory.create_batch(3, person=person)
    from eligibility.models import Person

    prefetched = Person.objects.prefetch_related("records").get(pk=person.pk)
    with django_assert_num_queries(0):
        current_record(prefetched, on=date(2024, 1, 1))


def test_current_record_id_for_member(member):
    person = PersonFactory(user=member)
    InsuredRecordFactory(person=person, acquired_on=date(2000, 4, 1), lost_on=date(2010, 4, 1))
    now = InsuredRecordFactory(person=person, acquired_on=date(2010, 4, 1))
    assert current_record_id_for_member(user=member, on=date(2024, 1, 1)) == now.pk


# --- staff ----------------------------------------------------------------------------


def test_staff_lookup_by_symbol_number_is_branch_scoped(reviewer, osaka_reviewer, hq_admin):
    record = InsuredRecordFactory(number="123")
    assert list(records_for_staff(user=reviewer, symbol=record.symbol, number="123")) == [record]
    assert not records_for_staff(user=osaka_reviewer, symbol=record.symbol, number="123")
    assert list(records_for_staff(user=hq_admin, symbol=record.symbol, number="123")) == [record]


def test_staff_lookup_normalises_digits_and_branch_number(reviewer):
    record = InsuredRecordFactory(number="45")
    dependent = DependentRecordFactory(insured_record=record, branch_number="01")
    fullwidth = record.symbol.translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    found = records_for_staff(user=reviewer, symbol=fullwidth, number="４５", branch_number="1")
    assert list(found) == [dependent]
    assert normalize_branch_number("１") == "01"


def test_staff_lookup_by_kana_prefix(reviewer, osaka_record):
    taro = InsuredRecordFactory(name_kana="キョウカイ　タロウ")
    InsuredRecordFactory(name_kana="ヤマダ　タロウ")
    for typed in ("キョウカイ", "きょうかい", "ｷｮｳｶｲ", "キョウカイ　タ", "キョウカイ タ"):
        assert list(records_for_staff(user=reviewer, kana=typed)) == [taro], typed
    # the Osaka record is out of the Tokyo reviewer's reach
    assert not records_for_staff(user=reviewer, kana="オオサカ").exists()


def test_kana_prefix_is_exact_at_the_range_boundary(reviewer):
    """The range added for the index must not let in the successor or drop the prefix."""
    inside = InsuredRecordFactory(name_kana="アイ")
    InsuredRecordFactory(name_kana="アウ")  # successor of イ is ウ: excluded
    InsuredRecordFactory(name_kana="ア")  # shorter than the prefix
    qs = EligibilityRecord.objects.filter(kana_prefix_q("アイ"))
    assert list(qs) == [inside]


def test_headquarters_can_narrow_to_a_branch(hq_admin, osaka_record):
    InsuredRecordFactory(name_kana="オオサカ　ハナコ")  # a Tokyo record with the same prefix
    found = records_for_staff(user=hq_admin, kana="オオサカ", branch_code=27)
    assert list(found) == [osaka_record]


def test_members_get_nothing_from_staff_lookups(member):
    record = InsuredRecordFactory(person=PersonFactory(user=member))
    assert not records_for_staff(user=member, symbol=record.symbol, number=record.number)


def test_persons_for_staff_without_duplicates(reviewer, osaka_reviewer, hq_admin):
    person = PersonFactory()
    InsuredRecordFactory(person=person, acquired_on=date(2000, 4, 1), lost_on=date(2005, 4, 1))
    InsuredRecordFactory(person=person, acquired_on=date(2005, 4, 1))
    assert list(persons_for_staff(user=reviewer)) == [person]
    assert not persons_for_staff(user=osaka_reviewer).exists()
    assert list(persons_for_staff(user=hq_admin)) == [person]


@pytest.mark.parametrize(
    ("term", "expected"),
    [
        ("13000001", "symbol"),
        ("１３０００００１", "symbol"),
        ("12", "number"),
        ("13000001・12", "symbol_number"),
        ("13000001-12-00", "symbol_number_branch"),
        ("きょうかい", "kana"),
        ("協会", "name"),
    ],
)
def test_record_search_shapes(term, expected):
    q = str(record_search_q(term))
    checks = {
        "symbol": ["symbol"],
        "number": ["number"],
        "symbol_number": ["symbol", "number"],
        "symbol_number_branch": ["symbol", "number", "branch_number"],
        "kana": ["name_kana__startswith"],
        "name": ["name__startswith"],
    }
    for part in checks[expected]:
        assert f"'{part}'" in q, q


# --- 負担割合 ---------------------------------------------------------------------------


def test_burden_ratio_of_an_insured_person():
    record = InsuredRecordFactory(birth_date=date(1980, 4, 2))
    assert burden_ratio_for(record, on=date(2024, 4, 1)) == 3


@pytest.mark.parametrize(
    ("remuneration", "reduced", "expected"),
    [(300_000, False, 3), (280_000, False, 3), (260_000, False, 2), (300_000, True, 2)],
)
def test_burden_ratio_at_seventy(remuneration, reduced, expected):
    record = InsuredRecordFactory(
        birth_date=date(1954, 6, 15),
        standard_monthly_remuneration=remuneration,
        income_reduction_applied=reduced,
    )
    assert burden_ratio_for(record, on=date(2024, 6, 30)) == 3  # still 69 that month
    assert burden_ratio_for(record, on=date(2024, 7, 1)) == expected


def test_dependent_uses_the_insured_persons_birth_and_remuneration():
    insured = InsuredRecordFactory(
        birth_date=date(1950, 5, 10), standard_monthly_remuneration=300_000
    )
    dependent = DependentRecordFactory(
        insured_record=insured, birth_date=date(1952, 8, 20), acquired_on=date(2010, 4, 1)
    )
    on = date(2024, 1, 10)
    assert burden_ratio_for(dependent, on=on) == 3
    insured.income_reduction_applied = True  # the household's 基準収入額適用申請
    assert burden_ratio_for(dependent, on=on) == 2


def test_dependent_loses_cover_when_the_insured_person_turns_75():
    insured = InsuredRecordFactory(birth_date=date(1950, 5, 10))
    dependent = DependentRecordFactory(insured_record=insured, birth_date=date(1980, 1, 1))
    assert burden_ratio_for(dependent, on=date(2025, 5, 9)) == 3
    assert burden_ratio_for(dependent, on=date(2025, 5, 10)) is None


def test_preschool_child():
    child = DependentRecordFactory(birth_date=date(2020, 4, 2), acquired_on=date(2020, 4, 2))
    assert burden_ratio_for(child, on=date(2027, 3, 31)) == 2
    assert burden_ratio_for(child, on=date(2027, 4, 1)) == 3


def test_no_ratio_outside_the_eligibility_period():
    record = InsuredRecordFactory(acquired_on=date(2010, 4, 1), lost_on=date(2020, 4, 1))
    assert burden_ratio_for(record, on=date(2010, 3, 31)) is None
    assert burden_ratio_for(record, on=date(2010, 4, 1)) == 3
    assert burden_ratio_for(record, on=date(2020, 4, 1)) is None


def test_missing_remuneration_at_seventy_is_an_error():
    record = InsuredRecordFactory(birth_date=date(1950, 5, 10), standard_monthly_remuneration=None)
    with pytest.raises(JapaneseValueError):
        burden_ratio_for(record, on=date(2024, 1, 1))
