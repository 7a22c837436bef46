"""applications.services.filing against the database: who may file, when, all or nothing."""

from __future__ import annotations

from datetime import datetime, timedelta
from unittest import mock

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from applications.forms_catalogue import FormDataError, all_forms, get_form
from applications.models import (
    Application,
    ApplicationAttachment,
    ApplicationStatus,
    ReceiptCounter,
    StatusChange,
)
from applications.services import filing
from applications.services.filing import (
    FilingConflict,
    FilingNotAllowed,
    ServiceClosed,
    application_save_draft,
    application_submit_outcome,
    ensure_service_open,
    may_file,
    submission,
)
from core.jp.calendar import JST, is_service_open
from core.models import AuditEvent, User
from eligibility.models import EligibilityRecord, Person
from tests.applications.filing_support import (
    BANK_ACCOUNT,
    OPEN_AT,
    insured_member,
    jpeg_with_gps,
    new_key,
    png_bytes,
    stored_files,
    valid_data,
)
from tests.factories.core import AttorneyFactory

Kind = EligibilityRecord.Kind


# --- who may file (no database) ------------------------------------------------------------------


def _user(kind: str, pk: int = 1) -> User:
    # Staff who may file: here a superuser, whose permissions need no database.
    staff = kind == User.Kind.STAFF
    return User(pk=pk, kind=kind, is_staff=staff, is_superuser=staff)


def _record(kind: str, owner_pk: int = 1) -> EligibilityRecord:
    return EligibilityRecord(kind=kind, person=Person(user_id=owner_pk))


@given(
    form=st.sampled_from(all_forms()),
    user_kind=st.sampled_from(list(User.Kind.values)),
    record_kind=st.sampled_from(list(Kind.values)),
)
def test_may_file_follows_the_seed_rules(form, user_kind, record_kind) -> None:
    allowed = True
    if user_kind == User.Kind.ATTORNEY and not form.attorneys_may_file:
        allowed = False
    if record_kind == Kind.DEPENDENT and not form.dependents_may_file:
        allowed = False
    call = lambda: may_file(user=_user(user_kind), record=_record(record_kind), form=form)  # noqa: E731
    if allowed:
        call()
    else:
        with pytest.raises(FilingNotAllowed) as caught:
            call()
        assert form.name in caught.value.message


def test_a_member_may_not_file_with_another_persons_record() -> None:
    with pytest.raises(FilingNotAllowed):
        may_file(user=_user(User.Kind.MEMBER, pk=1), record=_record(Kind.INSURED, owner_pk=2),
                 form=get_form("gendogaku"))


def test_staff_without_the_staff_flag_may_not_file() -> None:
    user = User(pk=1, kind=User.Kind.STAFF, is_staff=False)
    with pytest.raises(FilingNotAllowed):
        may_file(user=user, record=_record(Kind.INSURED), form=get_form("gendogaku"))


# --- when (no database) --------------------------------------------------------------------------


@settings(max_examples=300)
@given(
    moment=st.datetimes(
        min_value=datetime(2025, 1, 1), max_value=datetime(2028, 12, 31)
    ).map(lambda d: d.replace(tzinfo=JST)),
)
def test_service_hours_apply_to_members_and_attorneys_but_not_staff(moment) -> None:
    for kind in (User.Kind.MEMBER, User.Kind.ATTORNEY):
        if is_service_open(moment):
            ensure_service_open(user=_user(kind), now=moment)
        else:
            with pytest.raises(ServiceClosed) as caught:
                ensure_service_open(user=_user(kind), now=moment)
            assert caught.value.reopens_at > moment
            assert "次の受付開始は" in caught.value.message
    ensure_service_open(user=_user(User.Kind.STAFF), now=moment)


# --- submission ----------------------------------------------------------------------------------


def _submit(user, record, code: str = "tokutei_shippei", **kwargs):
    form = get_form(code)
    args = {
        "applicant": user,
        "record": record,
        "form_code": code,
        "data": valid_data(form),
        "bank_account": BANK_ACCOUNT if form.pays_money else None,
        "attachments": [("doctor_opinion", "a.jpg", jpeg_with_gps())],
        "idempotency_key": new_key(),
        "now": OPEN_AT,
    }
    return application_submit_outcome(**(args | kwargs)).application


@pytest.mark.django_db
def test_submission_writes_application_receipt_history_and_audit() -> None:
    user, record = insured_member()
    application = _submit(user, record)
    assert application.status == ApplicationStatus.RECEIVED
    assert application.submitted_at == OPEN_AT
    assert application.receipt_number == "2026031100000001"
    assert ReceiptCounter.objects.get(day=OPEN_AT.date()).last == 1
    change = StatusChange.objects.get(application=application)
    assert (change.from_status, change.to_status, change.actor) == ("", "received", user)
    event = AuditEvent.objects.get(object_id=str(application.pk))
    assert event.action == AuditEvent.Action.CREATE and event.actor == user
    assert event.changes["receipt_number"] == application.receipt_number
    assert event.branch_id == record.branch_id
    assert application.data["disease"] == "renal"
    assert _submit(user, record).receipt_number == "2026031100000002"


@pytest.mark.django_db
def test_the_bank_account_is_stored_in_zengin_form() -> None:
    user, record = insured_member()
    application = _submit(user, record, "kogaku_ryoyohi", attachments=[])
    assert application.bank_account["bank_name"] == "みずほ"
    assert application.bank_account["account_type_label"] == "普通"


@pytest.mark.django_db
def test_a_failure_inside_the_transaction_leaves_nothing_behind(settings) -> None:
    user, record = insured_member()
    with mock.patch.object(submission, "record_event", side_effect=RuntimeError("boom")), \
            pytest.raises(RuntimeError):
        _submit(user, record)
    assert not Application.objects.exists()
    assert not ApplicationAttachment.objects.exists()
    assert not StatusChange.objects.exists()
    assert ReceiptCounter.objects.get(day=OPEN_AT.date()).last == 0
    assert stored_files(settings.MEDIA_ROOT) == []


@pytest.mark.django_db
def test_a_bad_attachment_leaves_no_application_and_no_file(settings) -> None:
    user, record = insured_member()
    with pytest.raises(FormDataError) as caught:
        _submit(user, record, attachments=[
            ("doctor_opinion", "good.png", png_bytes()),
            ("doctor_opinion", "bad.jpg", b"not an image at all" * 10),
        ])
    assert list(caught.value.errors) == ["attachments"]
    assert "「bad.jpg」" in caught.value.errors["attachments"][0]
    assert not Application.objects.exists() and not StatusChange.objects.exists()
    assert stored_files(settings.MEDIA_ROOT) == []


@pytest.mark.django_db
def test_attachment_counts_follow_the_form() -> None:
    user, record = insured_member()
    with pytest.raises(FormDataError) as caught:
        _submit(user, record, attachments=[])
    assert caught.value.errors == {"attachments.doctor_opinion": [
        "医師の意見欄（記入済みのページ）を添付してください。"]}
    with pytest.raises(FormDataError) as caught:
        _submit(user, record, attachments=[("doctor_opinion", f"{i}.png", png_bytes())
                                           for i in range(6)])
    assert "5件まで" in caught.value.errors["attachments.doctor_opinion"][0]


@pytest.mark.django_db
def test_a_bank_account_is_required_only_where_money_is_paid() -> None:
    user, record = insured_member()
    with pytest.raises(FormDataError) as caught:
        _submit(user, record, bank_account=BANK_ACCOUNT)
    assert "口座情報は不要" in caught.value.errors["bank_account"][0]
    with pytest.raises(FormDataError) as caught:
        _submit(user, record, "kogaku_ryoyohi", bank_account=None, attachments=[])
    assert "口座情報を入力してください" in caught.value.errors["bank_account"][0]


@pytest.mark.django_db
@pytest.mark.parametrize("key", ["", "x" * 65, "日本語キー", "a b"])
def test_a_bad_idempotency_key_is_refused(key) -> None:
    user, record = insured_member()
    with pytest.raises(FormDataError) as caught:
        _submit(user, record, idempotency_key=key)
    assert "idempotency_key" in caught.value.errors


@pytest.mark.django_db
def test_sex_is_copied_only_for_forms_that_show_it() -> None:
    user, record = insured_member()
    shows = _submit(user, record, "gendogaku", attachments=[])
    hides = _submit(user, record, "oshirase_kofu", attachments=[])
    assert shows.sex == record.sex and hides.sex == ""


@pytest.mark.django_db
def test_the_receipt_counter_starts_again_each_day() -> None:
    user, record = insured_member()
    first = _submit(user, record)
    next_day = _submit(user, record, now=OPEN_AT + timedelta(days=1))
    assert first.receipt_number == "2026031100000001"
    assert next_day.receipt_number == "2026031200000001"


# --- drafts --------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_draft_is_saved_then_submitted_in_place() -> None:
    user, record = insured_member()
    draft = application_save_draft(applicant=user, record=record, form_code="tokutei_shippei",
                                   data={"disease": "renal"})
    assert draft.status == ApplicationStatus.DRAFT and draft.receipt_number is None
    assert draft.name == record.name
    filed = _submit(user, record, draft=draft)
    assert filed.pk == draft.pk and filed.status == ApplicationStatus.RECEIVED
    with pytest.raises(FilingConflict):
        _submit(user, record, draft=draft)
    with pytest.raises(FilingConflict):
        application_save_draft(applicant=user, record=record, form_code="tokutei_shippei",
                               data={}, draft=filed)


@pytest.mark.django_db
def test_someone_elses_draft_cannot_be_submitted() -> None:
    user, record = insured_member()
    draft = application_save_draft(applicant=user, record=record, form_code="tokutei_shippei",
                                   data={})
    other, other_record = insured_member()
    with pytest.raises(FilingNotAllowed):
        _submit(other, other_record, draft=draft)


@pytest.mark.django_db
def test_forms_for_each_kind_of_user() -> None:
    user, _ = insured_member()
    assert len(filing.forms_for(user=user)) == len(all_forms())
    attorney_forms = filing.forms_for(user=AttorneyFactory())
    assert all(f.attorneys_may_file for f in attorney_forms)
    assert {f.category for f in attorney_forms} == {"benefit", "eligibility"}
