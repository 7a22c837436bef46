"""Who among staff may file for a member (issue 9): staff with the paper-intake permission
(審査担当), for records of their branch (headquarters: any). 発送担当, 管理者 and every other
staff account are refused with 403, whatever record they name, before any look-up."""

from __future__ import annotations

import pytest

from applications.forms_catalogue import get_form
from applications.models import Application
from applications.services.filing import FilingNotAllowed, forms_for, may_file
from core.models import AuditEvent
from tests.applications.filing_support import (
    client_for,
    filing_payload,
    identity_of,
    insured_member,
    submit,
)
from tests.factories.eligibility import EmployerFactory, InsuredRecordFactory

pytestmark = pytest.mark.django_db

FORM = "gendogaku"


@pytest.fixture
def tokyo_member_record(tokyo):
    return insured_member()[1]


@pytest.fixture
def osaka_member_record(osaka):
    return InsuredRecordFactory(employer=EmployerFactory(branch=osaka, symbol="27001111"))


def payload_for(record):
    return filing_payload(get_form(FORM), identity=identity_of(record))


@pytest.mark.parametrize("query", ["?draft=1", ""])
def test_headquarters_operator_may_not_file_or_save_a_draft(operator, osaka_member_record, query):
    response = submit(client_for(operator), payload_for(osaka_member_record), query=query)
    assert response.status_code == 403
    assert response.json()["detail"] == "電子申請を行う権限がありません。"
    assert not Application.objects.exists()
    assert not AuditEvent.objects.filter(object_type="applications.application").exists()


@pytest.mark.parametrize("who", ["tokyo_operator", "tokyo_admin"])
@pytest.mark.parametrize("record", ["tokyo_member_record", "osaka_member_record"])
def test_branch_staff_without_the_role_are_refused_whatever_record(request, who, record):
    user = request.getfixturevalue(who)
    target = request.getfixturevalue(record)
    response = submit(client_for(user), payload_for(target), query="?draft=1")
    # 403 for both: the answer does not tell whether another branch's record exists.
    assert response.status_code == 403
    assert not Application.objects.exists()


def test_a_reviewer_files_for_their_branch(reviewer, tokyo_member_record):
    response = submit(client_for(reviewer), payload_for(tokyo_member_record))
    assert response.status_code == 201, response.json()
    assert Application.objects.get().branch_id == reviewer.branch_id


def test_a_reviewer_cannot_file_for_another_branch(reviewer, osaka_member_record):
    for query in ("?draft=1", ""):
        response = submit(client_for(reviewer), payload_for(osaka_member_record), query=query)
        assert response.status_code == 400
        assert "record" in response.json()["errors"]
    assert not Application.objects.exists()


def test_the_service_refuses_another_branchs_record_to_a_reviewer(
    reviewer, osaka_reviewer, tokyo_member_record
):
    form = get_form(FORM)
    may_file(user=reviewer, record=tokyo_member_record, form=form)
    with pytest.raises(FilingNotAllowed):
        may_file(user=osaka_reviewer, record=tokyo_member_record, form=form)


def test_staff_without_the_role_see_no_form_to_file(
    operator, tokyo_operator, tokyo_admin, reviewer
):
    for user in (operator, tokyo_operator, tokyo_admin):
        assert forms_for(user=user) == []
    assert forms_for(user=reviewer)


def test_an_inactive_reviewer_may_not_file(reviewer, tokyo_member_record):
    reviewer.is_active = False
    with pytest.raises(FilingNotAllowed):
        may_file(user=reviewer, record=tokyo_member_record, form=get_form(FORM))


def test_save_draft_and_submit_refuse_another_branchs_reviewer(osaka_reviewer, tokyo_member_record):
    from applications.services.filing import application_save_draft, application_submit_outcome
    from tests.applications.filing_support import OPEN_AT, new_key

    with pytest.raises(FilingNotAllowed):
        application_save_draft(
            applicant=osaka_reviewer, record=tokyo_member_record, form_code=FORM, data={}
        )
    with pytest.raises(FilingNotAllowed):
        application_submit_outcome(
            applicant=osaka_reviewer,
            record=tokyo_member_record,
            form_code=FORM,
            data={},
            bank_account=None,
            attachments=[],
            idempotency_key=new_key(),
            now=OPEN_AT,
        )
    assert not Application.objects.exists()
