"""Branch scope of eligibility writes (issue 9): a branch's staff never set another branch's
branch, person, employer or insured person's record, neither through the services (the wall)
nor the admin (the form, its raw-id labels, lookups and autocomplete); the services refuse
actors without the write permission."""

from __future__ import annotations

from datetime import date

import pytest
from django.urls import reverse

from core.errors import NotAllowed
from core.models import AuditEvent
from eligibility.models import EligibilityRecord, Employer
from eligibility.services import (
    person_create,
    person_set_my_number,
    person_update,
    record_create,
    record_update,
)
from tests.factories.core import HeadquartersStaffFactory, MemberUserFactory
from tests.factories.eligibility import (
    DependentRecordFactory,
    EmployerFactory,
    InsuredRecordFactory,
    PersonFactory,
    valid_my_number,
)

pytestmark = pytest.mark.django_db

RECORD_ADD = reverse("admin:eligibility_eligibilityrecord_add")
RECORDS = reverse("admin:eligibility_eligibilityrecord_changelist")
EMPLOYER_ADD = reverse("admin:eligibility_employer_add")
AUTOCOMPLETE = reverse("admin:autocomplete")


@pytest.fixture
def tokyo_record():
    return InsuredRecordFactory(
        employer=EmployerFactory(symbol="13007777", name="東京商事"), name="東京　太郎"
    )


@pytest.fixture
def osaka_record(osaka):
    return InsuredRecordFactory(
        employer=EmployerFactory(branch=osaka, symbol="27007777", name="大阪秘密商事"),
        name="大阪　秘子",
        name_kana="オオサカ　ヒミコ",
    )


def new_record_data(record: EligibilityRecord, **overrides) -> dict:
    """A new dependent in the branch of ``record`` (model instances, for the services)."""
    data = {
        "person": PersonFactory(),
        "kind": EligibilityRecord.Kind.DEPENDENT,
        "branch": record.branch,
        "employer": record.employer,
        "insured_record": record,
        "symbol": record.symbol,
        "number": record.number,
        "branch_number": "05",
        "name": "新規　花子",
        "name_kana": "シンキ　ハナコ",
        "birth_date": date(2015, 1, 1),
        "sex": "2",
        "acquired_on": date(2025, 4, 1),
    }
    data.update(overrides)
    return data


def form_data(data: dict) -> dict:
    """The same, as the admin's add form posts it."""
    out = {k: getattr(v, "pk", v) for k, v in data.items()}
    out.update(
        {
            "birth_date": data["birth_date"].isoformat(),
            "acquired_on": data["acquired_on"].isoformat(),
            "lost_on": "",
            "standard_monthly_remuneration": "",
            "postal_code": "",
            "address": "",
        }
    )
    return out


# --- services ---------------------------------------------------------------------------


def test_tokyo_admin_creates_a_record_in_tokyo(tokyo_admin, tokyo_record):
    record = record_create(actor=tokyo_admin, data=new_record_data(tokyo_record))
    assert record.branch_id == tokyo_record.branch_id


@pytest.mark.parametrize("reference", ["person", "employer", "insured_record", "branch"])
def test_record_create_refuses_another_branchs_reference(
    tokyo_admin, tokyo_record, osaka_record, reference
):
    other = {
        "person": osaka_record.person,
        "employer": osaka_record.employer,
        "insured_record": osaka_record,
        "branch": osaka_record.branch,
    }[reference]
    with pytest.raises(NotAllowed) as caught:
        record_create(actor=tokyo_admin, data=new_record_data(tokyo_record, **{reference: other}))
    assert reference in caught.value.field_errors
    assert caught.value.status == 403
    assert not EligibilityRecord.objects.filter(name="新規　花子").exists()
    assert not AuditEvent.objects.exists()


def test_record_create_refuses_a_person_id_given_as_a_number(
    tokyo_admin, tokyo_record, osaka_record
):
    with pytest.raises(NotAllowed):
        record_create(
            actor=tokyo_admin,
            data=new_record_data(tokyo_record, person=osaka_record.person_id),
        )


def test_record_update_refuses_another_branchs_record(tokyo_admin, osaka_record):
    with pytest.raises(NotAllowed):
        record_update(record=osaka_record, actor=tokyo_admin, data={"name": "乗取"})
    osaka_record.refresh_from_db()
    assert osaka_record.name == "大阪　秘子"


@pytest.mark.parametrize("reference", ["person", "employer", "branch"])
def test_record_update_refuses_pointing_at_another_branch(
    tokyo_admin, tokyo_record, osaka_record, reference
):
    other = getattr(osaka_record, reference)
    with pytest.raises(NotAllowed):
        record_update(record=tokyo_record, actor=tokyo_admin, data={reference: other})
    tokyo_record.refresh_from_db()
    assert getattr(tokyo_record, f"{reference}_id") != other.pk


def test_record_writes_need_the_permission(reviewer, tokyo_operator, tokyo_record):
    for actor in (reviewer, tokyo_operator):
        with pytest.raises(NotAllowed):
            record_update(record=tokyo_record, actor=actor, data={"name": "乗取"})
        with pytest.raises(NotAllowed):
            record_create(actor=actor, data=new_record_data(tokyo_record))
        with pytest.raises(NotAllowed):
            person_update(
                person=tokyo_record.person, actor=actor, data={"mynacard_registered": False}
            )


def test_headquarters_writes_every_branch(hq_admin, osaka_record):
    record_update(record=osaka_record, actor=hq_admin, data={"name": "大阪　次郎"})
    person_update(person=osaka_record.person, actor=hq_admin, data={"mynacard_registered": False})


def test_person_writes_refuse_another_branchs_person(tokyo_admin, osaka_record):
    person = osaka_record.person
    with pytest.raises(NotAllowed):
        person_update(person=person, actor=tokyo_admin, data={"mynacard_registered": False})
    with pytest.raises(NotAllowed):
        person_set_my_number(person=person, raw=valid_my_number(5150), actor=tokyo_admin)
    person.refresh_from_db()
    assert person.mynacard_registered


def test_only_headquarters_links_a_members_account(tokyo_admin, hq_admin, tokyo_record):
    member = MemberUserFactory()
    person = tokyo_record.person
    with pytest.raises(NotAllowed):
        person_update(person=person, actor=tokyo_admin, data={"user": member})
    with pytest.raises(NotAllowed):
        person_create(actor=tokyo_admin, data={"user": member})
    # Not even headquarters links a staff account (it would see the person's records).
    with pytest.raises(NotAllowed):
        person_update(person=person, actor=hq_admin, data={"user": HeadquartersStaffFactory()})
    person_update(person=person, actor=hq_admin, data={"user": member})
    person.refresh_from_db()
    assert person.user_id == member.pk
    # A branch admin may still change the person's other fields.
    person_update(person=person, actor=tokyo_admin, data={"mynacard_registered": False})


# --- admin ------------------------------------------------------------------------------


@pytest.mark.parametrize("reference", ["person", "employer", "insured_record", "branch"])
def test_admin_add_form_refuses_another_branchs_reference(
    client, tokyo_admin, tokyo_record, osaka_record, reference
):
    other = {
        "person": osaka_record.person,
        "employer": osaka_record.employer,
        "insured_record": osaka_record,
        "branch": osaka_record.branch,
    }[reference]
    client.force_login(tokyo_admin)
    response = client.post(
        RECORD_ADD, form_data(new_record_data(tokyo_record, **{reference: other}))
    )
    assert response.status_code == 200
    assert reference in response.context["adminform"].form.errors
    assert not EligibilityRecord.objects.filter(name="新規　花子").exists()
    # and the other branch's person has not become visible
    persons = reverse("admin:eligibility_person_change", args=[osaka_record.person_id])
    assert client.get(persons).status_code == 302


def test_admin_add_form_saves_within_the_branch(client, tokyo_admin, tokyo_record):
    client.force_login(tokyo_admin)
    response = client.post(RECORD_ADD, form_data(new_record_data(tokyo_record)))
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert EligibilityRecord.objects.filter(name="新規　花子").exists()


def test_admin_add_form_does_not_name_another_branchs_rows(
    client, tokyo_admin, tokyo_record, osaka_record
):
    client.force_login(tokyo_admin)
    osaka = client.get(
        RECORD_ADD,
        {
            "employer": osaka_record.employer_id,
            "person": osaka_record.person_id,
            "insured_record": osaka_record.pk,
        },
    ).content.decode()
    assert "大阪秘密商事" not in osaka
    assert "秘子" not in osaka
    tokyo = client.get(
        RECORD_ADD, {"employer": tokyo_record.employer_id, "insured_record": tokyo_record.pk}
    ).content.decode()
    assert "東京商事" in tokyo and "太郎" in tokyo  # the label (Truncator folds the space)


def test_admin_change_form_refuses_pointing_at_another_branch(
    client, tokyo_admin, tokyo_record, osaka_record
):
    client.force_login(tokyo_admin)
    data = form_data(new_record_data(tokyo_record))
    data.update(
        {
            "kind": "insured",
            "person": osaka_record.person_id,
            "insured_record": "",
            "symbol": tokyo_record.symbol,
            "number": tokyo_record.number,
            "branch_number": "00",
            "dependents-TOTAL_FORMS": "0",
            "dependents-INITIAL_FORMS": "0",
            "dependents-MIN_NUM_FORMS": "0",
            "dependents-MAX_NUM_FORMS": "0",
        }
    )
    url = reverse("admin:eligibility_eligibilityrecord_change", args=[tokyo_record.pk])
    response = client.post(url, data)
    assert response.status_code == 200
    assert "person" in response.context["adminform"].form.errors
    tokyo_record.refresh_from_db()
    assert tokyo_record.person_id != osaka_record.person_id


def test_admin_person_form_does_not_let_a_branch_link_an_account(client, tokyo_admin, tokyo_record):
    member = MemberUserFactory()
    person = tokyo_record.person
    client.force_login(tokyo_admin)
    url = reverse("admin:eligibility_person_change", args=[person.pk])
    page = client.get(url).content.decode()
    assert 'name="user"' not in page
    response = client.post(
        url,
        {
            "user": member.pk,
            "mynacard_registered": "on",
            "records-TOTAL_FORMS": "0",
            "records-INITIAL_FORMS": "0",
            "records-MIN_NUM_FORMS": "0",
            "records-MAX_NUM_FORMS": "0",
        },
    )
    assert response.status_code == 302
    person.refresh_from_db()
    assert person.user_id is None


def test_admin_person_form_refuses_a_staff_account_even_for_headquarters(
    client, hq_admin, tokyo_record
):
    person = tokyo_record.person
    client.force_login(hq_admin)
    url = reverse("admin:eligibility_person_change", args=[person.pk])
    response = client.post(
        url,
        {
            "user": hq_admin.pk,
            "mynacard_registered": "on",
            "records-TOTAL_FORMS": "0",
            "records-INITIAL_FORMS": "0",
            "records-MIN_NUM_FORMS": "0",
            "records-MAX_NUM_FORMS": "0",
        },
    )
    assert response.status_code == 200
    assert "user" in response.context["adminform"].form.errors
    person.refresh_from_db()
    assert person.user_id is None


def test_employer_form_refuses_another_branch(client, tokyo_admin, osaka):
    client.force_login(tokyo_admin)
    response = client.post(
        EMPLOYER_ADD,
        {
            "branch": osaka.pk,
            "symbol": "27001234",
            "name": "乗取商事",
            "postal_code": "5300001",
            "address": "大阪府",
        },
    )
    assert response.status_code == 200
    assert not Employer.objects.filter(name="乗取商事").exists()


@pytest.mark.parametrize(
    ("model", "field"),
    [
        ("eligibilityrecord", "employer"),
        ("eligibilityrecord", "person"),
        ("eligibilityrecord", "insured_record"),
        ("eligibilityrecord", "branch"),
        ("employer", "branch"),
    ],
)
def test_autocomplete_does_not_leak_other_branches(
    client, tokyo_admin, tokyo_record, osaka_record, model, field
):
    client.force_login(tokyo_admin)
    for term in ("大阪", "27007777", "オオサカ", ""):
        response = client.get(
            AUTOCOMPLETE,
            {"app_label": "eligibility", "model_name": model, "field_name": field, "term": term},
        )
        assert response.status_code in (200, 403, 404)
        body = response.content.decode()
        for secret in ("大阪秘密商事", "秘子", "大阪支部", "27007777"):
            assert secret not in body


def test_raw_id_popup_and_lookups_stay_in_the_branch(client, tokyo_admin, osaka_record):
    client.force_login(tokyo_admin)
    popups = [
        (reverse("admin:eligibility_employer_changelist"), {"_popup": "1", "_to_field": "id"}),
        (RECORDS, {"_popup": "1", "_to_field": "id"}),
        (RECORDS, {"insured_record__exact": osaka_record.pk}),
        (RECORDS, {"branch__id__exact": osaka_record.branch_id}),
        (RECORDS, {"employer__branch__code": 27}),
        (RECORDS, {"_changelist_filters": f"branch__id__exact={osaka_record.branch_id}"}),
        (reverse("admin:eligibility_person_changelist"), {"_popup": "1", "_to_field": "id"}),
        (reverse("admin:eligibility_person_changelist"), {"branch": osaka_record.branch_id}),
    ]
    for url, params in popups:
        body = client.get(url, params).content.decode()
        assert "大阪秘密商事" not in body and "秘子" not in body, (url, params)


def test_to_field_on_another_column_is_refused(client, tokyo_admin):
    client.force_login(tokyo_admin)
    response = client.get(RECORDS, {"_to_field": "name"})
    assert response.status_code in (400, 302)


def test_a_dependent_of_another_branch_is_refused_in_the_admin(
    client, tokyo_admin, tokyo_record, osaka
):
    osaka_dependent = DependentRecordFactory(
        insured_record=InsuredRecordFactory(employer=EmployerFactory(branch=osaka))
    )
    client.force_login(tokyo_admin)
    url = reverse("admin:eligibility_eligibilityrecord_change", args=[osaka_dependent.pk])
    assert client.get(url).status_code == 302
