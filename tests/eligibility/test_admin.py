"""Admin: branch scoping, searches and filters, audit of views and changes, My Number mask,
constant query counts, the paginator that does not COUNT millions."""

from __future__ import annotations

from datetime import date

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.urls import reverse

from core.admin_paginator import EstimatedCountPaginator
from core.models import AuditEvent
from eligibility.models import EligibilityRecord, Person
from tests.factories.eligibility import (
    DependentRecordFactory,
    EmployerFactory,
    InsuredRecordFactory,
    PersonFactory,
    valid_my_number,
)

pytestmark = pytest.mark.django_db

RECORDS = reverse("admin:eligibility_eligibilityrecord_changelist")
PERSONS = reverse("admin:eligibility_person_changelist")
EMPLOYERS = reverse("admin:eligibility_employer_changelist")


def record_url(record: EligibilityRecord) -> str:
    return reverse("admin:eligibility_eligibilityrecord_change", args=[record.pk])


def person_url(person: Person) -> str:
    return reverse("admin:eligibility_person_change", args=[person.pk])


@pytest.fixture
def tokyo_record():
    return InsuredRecordFactory(
        employer=EmployerFactory(symbol="13005555"),
        number="42",
        name="東京　太郎",
        name_kana="トウキョウ　タロウ",
    )


@pytest.fixture
def osaka_record(osaka):
    return InsuredRecordFactory(
        employer=EmployerFactory(branch=osaka, symbol="27005555"),
        number="42",
        name="大阪　花子",
        name_kana="オオサカ　ハナコ",
    )


def listed(response) -> list[EligibilityRecord]:
    assert response.status_code == 200, response.content[:500]
    return list(response.context["cl"].result_list)


# --- branch scoping -------------------------------------------------------------------


def test_tokyo_reviewer_lists_only_tokyo_records(client, reviewer, tokyo_record, osaka_record):
    client.force_login(reviewer)
    response = client.get(RECORDS)
    assert listed(response) == [tokyo_record]
    assert "大阪　花子" not in response.content.decode()


def test_osaka_record_detail_is_not_shown_to_tokyo(client, reviewer, osaka_record):
    client.force_login(reviewer)
    response = client.get(record_url(osaka_record))
    assert response.status_code in (302, 404)
    assert "大阪" not in response.content.decode()
    assert not AuditEvent.objects.filter(object_id=str(osaka_record.pk)).exists()


def test_persons_are_scoped_without_duplicates(client, reviewer, osaka_reviewer, tokyo_record):
    person = tokyo_record.person
    InsuredRecordFactory(person=person, acquired_on=date(1999, 4, 1), lost_on=date(2005, 4, 1))
    client.force_login(reviewer)
    assert listed(client.get(PERSONS)) == [person]
    client.force_login(osaka_reviewer)
    assert listed(client.get(PERSONS)) == []
    assert client.get(person_url(person)).status_code in (302, 404)


def test_employers_are_scoped(client, reviewer, tokyo_record, osaka_record):
    client.force_login(reviewer)
    assert listed(client.get(EMPLOYERS)) == [tokyo_record.employer]


def test_branch_filter_only_for_headquarters(client, reviewer, hq_admin, tokyo_record):
    client.force_login(reviewer)
    titles = [f.title for f in client.get(RECORDS).context["cl"].filter_specs]
    assert "支部" not in titles
    client.force_login(hq_admin)
    titles = [f.title for f in client.get(RECORDS).context["cl"].filter_specs]
    assert "支部" in titles
    assert {"資格区分", "資格有効日", "マイナ保険証 利用登録"} <= set(titles)


def test_headquarters_sees_every_branch(client, hq_admin, tokyo_record, osaka_record):
    client.force_login(hq_admin)
    assert set(listed(client.get(RECORDS))) == {tokyo_record, osaka_record}
    osaka = listed(client.get(RECORDS, {"branch__id__exact": osaka_record.branch_id}))
    assert osaka == [osaka_record]


# --- search and filters ---------------------------------------------------------------


@pytest.mark.parametrize(
    "term", ["13005555", "１３００５５５５", "13005555・42", "13005555-42-00", "とうきょう", "東京"]
)
def test_search(client, reviewer, tokyo_record, term):
    InsuredRecordFactory(name="別人　一郎", name_kana="ベツジン　イチロウ")
    client.force_login(reviewer)
    assert listed(client.get(RECORDS, {"q": term})) == [tokyo_record]


def test_search_persons_by_kana(client, reviewer, tokyo_record):
    InsuredRecordFactory(name_kana="ベツジン　イチロウ")
    client.force_login(reviewer)
    assert listed(client.get(PERSONS, {"q": "トウキョウ"})) == [tokyo_record.person]


def test_search_employers(client, reviewer, tokyo_record):
    client.force_login(reviewer)
    assert listed(client.get(EMPLOYERS, {"q": "13005555"})) == [tokyo_record.employer]


def test_eligible_on_filter(client, reviewer):
    ended = InsuredRecordFactory(acquired_on=date(2010, 4, 1), lost_on=date(2020, 4, 1))
    current = InsuredRecordFactory(acquired_on=date(2020, 4, 1))
    client.force_login(reviewer)
    assert listed(client.get(RECORDS, {"eligible_on": "2020-03-31"})) == [ended]
    assert listed(client.get(RECORDS, {"eligible_on": "2020-04-01"})) == [current]
    assert listed(client.get(RECORDS, {"eligible_on": "令和2年4月1日"})) == [current]
    assert listed(client.get(RECORDS, {"eligible_on": "2010-03-31"})) == []
    # the form of the filter keeps the other parameters
    page = client.get(RECORDS, {"eligible_on": "2020-04-01", "kind__exact": "insured"})
    assert 'name="kind__exact" value="insured"' in page.content.decode()


def test_eligible_on_filter_rejects_a_bad_date(client, reviewer):
    client.force_login(reviewer)
    response = client.get(RECORDS, {"eligible_on": "2020-02-30"})
    assert response.status_code == 302
    assert "e=1" in response["Location"]


def test_mynacard_and_kind_filters(client, reviewer):
    with_card = InsuredRecordFactory(person=PersonFactory(mynacard_registered=True))
    without = InsuredRecordFactory(person=PersonFactory(mynacard_registered=False))
    dependent = DependentRecordFactory(insured_record=with_card)
    client.force_login(reviewer)
    got = listed(client.get(RECORDS, {"person__mynacard_registered__exact": "0"}))
    assert got == [without]
    assert listed(client.get(RECORDS, {"kind__exact": "dependent"})) == [dependent]


# --- detail pages: audit, dependents, My Number ---------------------------------------


def test_opening_a_record_is_audited(client, reviewer, tokyo_record):
    client.force_login(reviewer)
    response = client.get(record_url(tokyo_record))
    assert response.status_code == 200
    event = AuditEvent.objects.get()
    assert (event.action, event.actor, event.object_id) == ("view", reviewer, str(tokyo_record.pk))
    assert event.object_type == "eligibility.eligibilityrecord"
    assert event.branch_id == tokyo_record.branch_id


def test_dependents_inline_is_read_only_and_limited(client, reviewer, tokyo_record):
    DependentRecordFactory.create_batch(22, insured_record=tokyo_record, name="協会　子")
    client.force_login(reviewer)
    response = client.get(record_url(tokyo_record))
    formset = next(f for f in response.context["inline_admin_formsets"])
    assert len(formset.formset.forms) == 20
    assert not formset.has_add_permission and not formset.has_change_permission
    assert f"insured_record__exact={tokyo_record.pk}" in response.content.decode()
    everyone = listed(client.get(RECORDS, {"insured_record__exact": tokyo_record.pk}))
    assert len(everyone) == 22


def test_my_number_needs_its_own_permission(client, reviewer, tokyo_record):
    number = valid_my_number(55)
    person = tokyo_record.person
    person.my_number_last4, person.my_number_hash = number[-4:], "x" * 64
    person.save()
    client.force_login(reviewer)
    page = client.get(person_url(person)).content.decode()
    assert number[-4:] not in page
    assert AuditEvent.objects.filter(changes__field="my_number_last4").count() == 0

    reviewer.user_permissions.add(Permission.objects.get(codename="view_my_number"))
    reviewer = type(reviewer).objects.get(pk=reviewer.pk)  # drop the permission cache
    client.force_login(reviewer)
    page = client.get(person_url(person)).content.decode()
    assert f"********{number[-4:]}" in page
    assert number not in page
    assert AuditEvent.objects.filter(changes__field="my_number_last4", actor=reviewer).count() == 1
    # the person's page view itself is logged too, filed under the record's branch
    views = AuditEvent.objects.filter(action="view", object_type="eligibility.person")
    assert views.count() == 3
    assert set(views.values_list("branch_id", flat=True)) == {tokyo_record.branch_id}


def _record_form_data(record: EligibilityRecord, **changes) -> dict:
    data = {
        "person": record.person_id,
        "kind": record.kind,
        "branch": record.branch_id,
        "employer": record.employer_id or "",
        "insured_record": record.insured_record_id or "",
        "symbol": record.symbol,
        "number": record.number,
        "branch_number": record.branch_number,
        "name": record.name,
        "name_kana": record.name_kana,
        "birth_date": record.birth_date.isoformat(),
        "sex": record.sex,
        "postal_code": record.postal_code,
        "address": record.address,
        "acquired_on": record.acquired_on.isoformat(),
        "lost_on": record.lost_on.isoformat() if record.lost_on else "",
        "standard_monthly_remuneration": record.standard_monthly_remuneration or "",
        "dependents-TOTAL_FORMS": "0",
        "dependents-INITIAL_FORMS": "0",
        "dependents-MIN_NUM_FORMS": "0",
        "dependents-MAX_NUM_FORMS": "0",
    }
    data.update(changes)
    return data


def test_record_update_via_admin_writes_the_diff(client, hq_admin, tokyo_record):
    client.force_login(hq_admin)
    response = client.post(
        record_url(tokyo_record),
        _record_form_data(tokyo_record, name="東京　次郎", lost_on="2025-04-01"),
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    tokyo_record.refresh_from_db()
    assert tokyo_record.name == "東京　次郎"
    event = AuditEvent.objects.get(action="update")
    assert event.actor == hq_admin
    assert event.changes == {
        "lost_on": [None, "2025-04-01"],
        "name": ["東京　太郎", "東京　次郎"],
    }


def test_reviewer_cannot_change_a_record(client, reviewer, tokyo_record):
    client.force_login(reviewer)
    response = client.post(record_url(tokyo_record), _record_form_data(tokyo_record, name="X"))
    assert response.status_code == 403
    tokyo_record.refresh_from_db()
    assert tokyo_record.name == "東京　太郎"


def test_set_my_number_in_the_admin(client, hq_admin, tokyo_record):
    person = tokyo_record.person
    number = valid_my_number(8080)
    client.force_login(hq_admin)
    data = {
        "user": "",
        "mynacard_registered": "on",
        "new_my_number": number,
        "records-TOTAL_FORMS": "1",
        "records-INITIAL_FORMS": "1",
        "records-MIN_NUM_FORMS": "0",
        "records-MAX_NUM_FORMS": "0",
        "records-0-id": tokyo_record.pk,
        "records-0-person": person.pk,
    }
    response = client.post(person_url(person), data)
    assert response.status_code == 302
    person.refresh_from_db()
    assert person.my_number_last4 == number[-4:]
    event = AuditEvent.objects.get(action="update")
    assert number not in str(event.changes) and number[-4:] not in str(event.changes)


def test_person_list_shows_no_my_number_digits(client, hq_admin, tokyo_record):
    person = tokyo_record.person
    client.force_login(hq_admin)
    page = client.get(PERSONS).content.decode()
    assert "東京　太郎" in page
    assert person.my_number_last4 not in page


def test_no_delete_in_the_admin(client, hq_admin, tokyo_record):
    client.force_login(hq_admin)
    url = reverse("admin:eligibility_eligibilityrecord_delete", args=[tokyo_record.pk])
    assert client.get(url).status_code == 403


# --- speed ----------------------------------------------------------------------------


def _list_queries(client, url, django_assert_max_num_queries) -> int:
    client.get(url)  # warm-up
    with django_assert_max_num_queries(12) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("url", [RECORDS, PERSONS, EMPLOYERS])
def test_list_query_count_is_constant(client, reviewer, django_assert_max_num_queries, url):
    client.force_login(reviewer)
    InsuredRecordFactory()
    one = _list_queries(client, url, django_assert_max_num_queries)
    for _ in range(19):
        DependentRecordFactory(insured_record=InsuredRecordFactory())
    assert _list_queries(client, url, django_assert_max_num_queries) == one


def test_detail_query_count_is_constant(client, reviewer, django_assert_max_num_queries):
    client.force_login(reviewer)
    few, many = InsuredRecordFactory(), InsuredRecordFactory()
    DependentRecordFactory(insured_record=few)
    DependentRecordFactory.create_batch(15, insured_record=many)
    counts = []
    for record in (few, many):
        client.get(record_url(record))
        with django_assert_max_num_queries(25) as ctx:
            client.get(record_url(record))
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1]


class TinyPaginator(EstimatedCountPaginator):
    count_limit = 3


def test_paginator_counts_exactly_up_to_the_limit():
    InsuredRecordFactory.create_batch(3)
    assert (
        TinyPaginator(EligibilityRecord.objects.filter(kind="insured").order_by("id"), 2).count == 3
    )


def test_paginator_stops_counting_past_the_limit():
    InsuredRecordFactory.create_batch(6)
    paginator = TinyPaginator(EligibilityRecord.objects.filter(kind="insured").order_by("-id"), 2)
    if connection.vendor == "postgresql":
        assert paginator.count >= 4  # the planner's estimate, never below what was counted
    else:
        assert paginator.count == 4
    assert paginator.num_pages >= 2


@pytest.mark.skipif(connection.vendor != "postgresql", reason="pg_class estimate")
def test_unfiltered_list_uses_the_table_estimate():
    InsuredRecordFactory.create_batch(3)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE eligibility_eligibilityrecord")

    class Estimating(EstimatedCountPaginator):
        estimate_from = 0

    assert Estimating(EligibilityRecord.objects.order_by("-id"), 2).count >= 0


def test_record_page_shows_todays_burden_yen_and_wareki_without_dead_links(client, reviewer):
    from django.utils import timezone

    from core.jp.era import format_wareki

    record = InsuredRecordFactory(
        birth_date=date(1980, 5, 1),
        acquired_on=date(2010, 4, 1),
        standard_monthly_remuneration=240000,
    )
    DependentRecordFactory(insured_record=record)
    client.force_login(reviewer)
    body = client.get(record_url(record)).content.decode()
    assert f"3割（{format_wareki(timezone.localdate())}現在）" in body
    assert "240,000円" in body
    assert "昭和55年5月1日（1980-05-01）" in body
    assert "平成22年4月1日（2010-04-01）" in body
    assert "資格継続中" in body
    # 支部 as text (the reviewer may not open the branch page), here and in the dependents.
    assert "/admin/core/branch/" not in body


def test_record_editor_keeps_the_inputs_and_sees_the_burden(client, hq_admin):
    record = InsuredRecordFactory(
        birth_date=date(1950, 5, 10), standard_monthly_remuneration=300000
    )
    client.force_login(hq_admin)
    body = client.get(record_url(record)).content.decode()
    assert 'name="birth_date"' in body and 'name="standard_monthly_remuneration"' in body
    assert "負担割合（本日）" in body
