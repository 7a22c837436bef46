"""Eligibility API: a member's own records, the staff lookup, audit, query counts."""

from __future__ import annotations

import json
from datetime import date

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from core.models import AuditEvent
from tests.factories.core import MemberUserFactory
from tests.factories.eligibility import (
    DependentRecordFactory,
    EmployerFactory,
    InsuredRecordFactory,
    PersonFactory,
    valid_my_number,
)

pytestmark = pytest.mark.django_db


RECORDS = reverse("api-eligibility-records")
LOOKUP = reverse("api-eligibility-lookup")
MEMBER_FIELDS = {
    "id",
    "kind",
    "insurer_name",
    "insurer_number",
    "symbol",
    "number",
    "branch_number",
    "name",
    "name_kana",
    "sex",
    "birth_date",
    "acquired_on",
    "lost_on",
    "burden_ratio_today",
    "is_current",
}


def api(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


@pytest.fixture
def member():
    return MemberUserFactory()


@pytest.fixture
def my_number():
    return valid_my_number(123456)


@pytest.fixture
def household(member, my_number):
    """The member is a dependent; earlier they were insured themselves."""
    person = PersonFactory(user=member, my_number=my_number)
    insured = InsuredRecordFactory(birth_date=date(1975, 5, 1), number="77")
    old = InsuredRecordFactory(
        person=person,
        birth_date=date(1978, 9, 9),
        acquired_on=date(2000, 4, 1),
        lost_on=date(2010, 4, 1),
        name="協会　花子",
        name_kana="キョウカイ　ハナコ",
    )
    now = DependentRecordFactory(
        person=person,
        insured_record=insured,
        birth_date=date(1978, 9, 9),
        acquired_on=date(2010, 4, 1),
        branch_number="01",
    )
    return {"person": person, "insured": insured, "old": old, "now": now}


# --- member ---------------------------------------------------------------------------


def test_member_lists_exactly_the_specified_fields(member, household, my_number):
    response = api(member).get(RECORDS)
    assert response.status_code == 200
    body = response.json()
    results = body["results"]
    assert {r["id"] for r in results} == {household["old"].pk, household["now"].pk}
    assert all(set(r) == MEMBER_FIELDS for r in results)
    now = next(r for r in results if r["id"] == household["now"].pk)
    assert now == {
        "id": household["now"].pk,
        "kind": "dependent",
        "insurer_name": "全国健康保険協会 東京支部",
        "insurer_number": "01130012",
        "symbol": household["insured"].symbol,
        "number": "77",
        "branch_number": "01",
        "name": "協会　花子",
        "name_kana": "キョウカイ　ハナコ",
        "sex": "2",
        "birth_date": "1978-09-09",
        "acquired_on": "2010-04-01",
        "lost_on": None,
        "burden_ratio_today": 3,
        "is_current": True,
    }
    old = next(r for r in results if r["id"] == household["old"].pk)
    assert old["is_current"] is False and old["burden_ratio_today"] is None
    # cursor pagination: no count
    assert "count" not in body and {"next", "previous"} <= set(body)


def test_never_the_my_number(member, household, my_number):
    for url in (RECORDS, reverse("api-eligibility-record", args=[household["now"].pk])):
        text = api(member).get(url).content.decode()
        assert my_number not in text
        assert "my_number" not in text
        assert household["person"].my_number_hash not in text


def test_member_detail_and_another_members_record_is_not_found(member, household):
    own = api(member).get(reverse("api-eligibility-record", args=[household["now"].pk]))
    assert own.status_code == 200
    assert set(own.json()) == MEMBER_FIELDS
    assert own.json()["is_current"] is True
    other = InsuredRecordFactory(person=PersonFactory(user=MemberUserFactory()))
    response = api(member).get(reverse("api-eligibility-record", args=[other.pk]))
    assert response.status_code == 404
    assert response.json() == {"detail": "見つかりません。", "errors": {}}
    # the insured person's record of the same household is not the member's either
    response = api(member).get(reverse("api-eligibility-record", args=[household["insured"].pk]))
    assert response.status_code == 404


def test_member_without_person_gets_an_empty_list(member):
    assert api(member).get(RECORDS).json()["results"] == []


def test_records_endpoint_is_for_members_only(reviewer):
    response = api(reviewer).get(RECORDS)
    assert response.status_code == 403
    assert response.json()["detail"] == "加入者の方のみご利用いただけます。"
    assert api().get(RECORDS).status_code in (401, 403)


def _member_with_records(count: int):
    member = MemberUserFactory()
    person = PersonFactory(user=member)
    employer = EmployerFactory()
    insured = InsuredRecordFactory(employer=employer, number="9000")
    for i in range(count):
        if i % 2:
            DependentRecordFactory(person=person, insured_record=insured)
        else:
            InsuredRecordFactory(person=person, employer=employer, acquired_on=date(2000 + i, 1, 1))
    return member


def test_member_list_query_count_is_constant(django_assert_max_num_queries):
    one, twenty = _member_with_records(1), _member_with_records(20)
    client = api(one)
    client.get(RECORDS)  # warm-up (per-process caches)
    with django_assert_max_num_queries(2) as one_ctx:
        assert len(client.get(RECORDS).json()["results"]) == 1
    with django_assert_max_num_queries(2) as twenty_ctx:
        assert len(api(twenty).get(RECORDS).json()["results"]) == 20
    assert len(one_ctx.captured_queries) == len(twenty_ctx.captured_queries)


# --- staff lookup -----------------------------------------------------------------------


@pytest.fixture
def tokyo_record():
    return InsuredRecordFactory(
        employer=EmployerFactory(symbol="13009999"),
        number="321",
        name="東京　一郎",
        name_kana="トウキョウ　イチロウ",
    )


@pytest.fixture
def osaka_record(osaka):
    return InsuredRecordFactory(
        employer=EmployerFactory(branch=osaka, symbol="27009999"),
        number="321",
        name="大阪　一郎",
        name_kana="トウキョウ　ジロウ",
    )


def ids(response) -> set[int]:
    assert response.status_code == 200, response.content
    return {r["id"] for r in response.json()["results"]}


def test_lookup_by_symbol_and_number(reviewer, tokyo_record, osaka_record):
    response = api(reviewer).get(LOOKUP, {"symbol": "13009999", "number": "321"})
    assert ids(response) == {tokyo_record.pk}
    row = response.json()["results"][0]
    assert row["person"] == tokyo_record.person_id
    assert row["insurer_name"] == "全国健康保険協会 東京支部"
    assert "my_number" not in json.dumps(response.json())


def test_lookup_with_branch_number_and_fullwidth_digits(reviewer, tokyo_record):
    dependent = DependentRecordFactory(insured_record=tokyo_record, branch_number="02")
    response = api(reviewer).get(
        LOOKUP, {"symbol": "１３００９９９９", "number": "３２１", "branch_number": "2"}
    )
    assert ids(response) == {dependent.pk}


def test_lookup_by_kana_is_scoped_to_the_branch(
    reviewer, osaka_reviewer, hq_admin, tokyo_record, osaka_record
):
    assert ids(api(reviewer).get(LOOKUP, {"kana": "とうきょう"})) == {tokyo_record.pk}
    assert ids(api(osaka_reviewer).get(LOOKUP, {"kana": "トウキョウ"})) == {osaka_record.pk}
    assert ids(api(hq_admin).get(LOOKUP, {"kana": "ﾄｳｷｮｳ"})) == {tokyo_record.pk, osaka_record.pk}
    assert ids(api(hq_admin).get(LOOKUP, {"kana": "トウキョウ", "branch": 27})) == {osaka_record.pk}


def test_osaka_reviewer_cannot_find_a_tokyo_record(osaka_reviewer, tokyo_record):
    response = api(osaka_reviewer).get(LOOKUP, {"symbol": "13009999", "number": "321"})
    assert ids(response) == set()


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({}, "non_field_errors", "記号と番号、またはフリガナ（2文字以上）を指定してください。"),
        ({"symbol": "13009999"}, "non_field_errors", "記号と番号"),
        ({"kana": "ト"}, "kana", "フリガナは2文字以上で入力してください。"),
        ({"kana": "東京"}, "kana", "フリガナは全角カタカナで入力してください"),
        ({"symbol": "1300", "number": "1"}, "symbol", "記号は数字7～8桁で入力してください。"),
        ({"symbol": "13009999", "number": "abc"}, "number", "番号は数字1～8桁"),
        ({"kana": "トウキョウ", "branch_number": "1"}, "branch_number", "枝番は記号・番号と"),
        ({"kana": "トウキョウ", "branch": 99}, "branch", "都道府県コード"),
    ],
)
def test_lookup_validation_errors_in_japanese(reviewer, params, field, message):
    response = api(reviewer).get(LOOKUP, params)
    assert response.status_code == 400
    body = response.json()
    assert body["detail"] == "入力内容に誤りがあります。各項目のメッセージを確認してください。"
    assert any(message in m for m in body["errors"][field]), body
    assert not AuditEvent.objects.exists()


def test_lookup_is_for_staff_with_permission(member, tokyo_record):
    params = {"symbol": "13009999", "number": "321"}
    assert api(member).get(LOOKUP, params).status_code == 403
    assert api().get(LOOKUP, params).status_code in (401, 403)
    from tests.factories.core import BranchStaffFactory

    no_role = BranchStaffFactory()
    assert api(no_role).get(LOOKUP, params).status_code == 403


def test_every_lookup_is_audited(reviewer, tokyo_record):
    api(reviewer).get(LOOKUP, {"symbol": "13009999", "number": "321"})
    api(reviewer).get(LOOKUP, {"kana": "ダレモイナイ"})
    events = list(AuditEvent.objects.order_by("id"))
    assert [e.action for e in events] == ["view", "view"]
    assert events[0].actor == reviewer
    assert events[0].branch_id == reviewer.branch_id
    assert events[0].object_type == "eligibility.eligibilityrecord"
    assert events[0].changes == {
        "lookup": {"symbol": "13009999", "number": "321"},
        "record_ids": [tokyo_record.pk],
    }
    assert events[1].changes["record_ids"] == []


def test_lookup_query_count_is_constant(reviewer, django_assert_max_num_queries):
    employer = EmployerFactory(symbol="13007777")
    insured = InsuredRecordFactory(employer=employer, number="5", name_kana="スズキ　イチロウ")
    for _ in range(19):
        DependentRecordFactory(insured_record=insured, name_kana="スズキ　ハナコ")
    lone = InsuredRecordFactory(name_kana="ワタナベ　ケン", birth_date=date(1950, 1, 1))
    client = api(reviewer)
    client.get(LOOKUP, {"kana": "ワタナベ"})  # warm-up
    # page + audit insert (+ permission check, cached per user object)
    with django_assert_max_num_queries(4) as one:
        assert ids(client.get(LOOKUP, {"kana": "ワタナベ"})) == {lone.pk}
    with django_assert_max_num_queries(4) as twenty:
        assert len(ids(client.get(LOOKUP, {"kana": "スズキ"}))) == 20
    assert len(one.captured_queries) == len(twenty.captured_queries)


def test_schema_documents_the_endpoints():
    from django.urls import include, path
    from drf_spectacular.generators import SchemaGenerator

    patterns = [path("api/v1/", include("eligibility.api.urls"))]
    schema = SchemaGenerator(patterns=patterns).get_schema(request=None, public=True)
    paths = schema["paths"]
    assert "/api/v1/eligibility/records/" in paths
    assert "/api/v1/eligibility/records/{id}/" in paths
    lookup = paths["/api/v1/eligibility/lookup/"]["get"]
    names = {p["name"] for p in lookup["parameters"]}
    assert {"symbol", "number", "branch_number", "kana", "branch", "cursor"} <= names
    record = schema["components"]["schemas"]["MemberRecord"]["properties"]
    assert set(record) == MEMBER_FIELDS


def test_kana_lookup_pages_in_kana_order(reviewer):
    names = ["サトウ　ハナコ", "サトウ　イチロウ", "サトウ　アキラ", "サトウ　イチロウ"]
    records = [InsuredRecordFactory(name_kana=n) for n in names]
    expected = [r.pk for r in sorted(records, key=lambda r: (r.name_kana, r.pk))]
    client = api(reviewer)
    first = client.get(LOOKUP, {"kana": "サトウ", "page_size": 2}).json()
    second = client.get(first["next"]).json()
    got = [r["id"] for r in first["results"] + second["results"]]
    assert got == expected
    assert second["next"] is None
