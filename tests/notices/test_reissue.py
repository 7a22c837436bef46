"""A 資格確認書交付申請書 or 資格情報のお知らせ交付申請書 reaching 審査完了 issues one item for
that member (a batch of one, through the same life); other forms issue nothing."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.utils import timezone

from applications.services.review import application_change_status
from core.models import AuditEvent
from notices import tasks
from notices.batches import services
from notices.batches.models import Kind, MailingBatch, MailingItem
from tests.factories.applications import ApplicationFactory
from tests.factories.eligibility import DependentRecordFactory, InsuredRecordFactory


@pytest.fixture
def reissue_now(monkeypatch):
    monkeypatch.setattr(tasks.reissue, "delay", lambda app_id: tasks.reissue(app_id))
    monkeypatch.setattr(services, "_enqueue", lambda ids: None)  # no broker here


@pytest.mark.parametrize(
    ("form_code", "kind"),
    [("shikaku_kakuninsho", Kind.REISSUE_CERTIFICATE), ("oshirase_kofu", Kind.REISSUE_NOTICE)],
)
def test_a_completed_application_issues_one_item(
    reviewer, reissue_now, django_capture_on_commit_callbacks, form_code, kind, tokyo
):
    application = ApplicationFactory(form_code=form_code, reviewing=True, record__branch=tokyo)
    with django_capture_on_commit_callbacks(execute=True):
        application_change_status(
            application_id=application.pk, to_status="completed", comment="",
            actor=reviewer, expected_version=application.version,
        )  # fmt: skip
    batch = MailingBatch.objects.get()
    assert batch.kind == kind and batch.planned == 1
    assert list(batch.items.values_list("record_id", flat=True)) == [application.record_id]


def test_other_forms_issue_nothing(reviewer, reissue_now, django_capture_on_commit_callbacks):
    application = ApplicationFactory(reviewing=True)
    with django_capture_on_commit_callbacks(execute=True):
        application_change_status(
            application_id=application.pk, to_status="completed", comment="",
            actor=reviewer, expected_version=application.version,
        )  # fmt: skip
    assert not MailingBatch.objects.exists()


def complete(application, reviewer, capture):
    with capture(execute=True):
        application_change_status(
            application_id=application.pk, to_status="completed", comment="",
            actor=reviewer, expected_version=application.version,
        )  # fmt: skip


def naming(dependent, **overrides):
    return {
        "target": "dependent",
        "target_name": dependent.name,
        "target_kana": dependent.name_kana,
        "target_birth_date": dependent.birth_date.isoformat(),
        "reason": "no_card",
        "send_to": "registered",
        **overrides,
    }


@pytest.mark.parametrize("form_code", ["shikaku_kakuninsho", "oshirase_kofu"])
def test_a_form_naming_a_dependent_issues_for_the_dependents_record(
    reviewer, reissue_now, django_capture_on_commit_callbacks, tokyo, form_code
):
    insured = InsuredRecordFactory(branch=tokyo)
    DependentRecordFactory(
        insured_record=insured, name="協会　一郎", name_kana="キョウカイ　イチロウ"
    )
    named = DependentRecordFactory(
        insured_record=insured, name="協会　次郎", name_kana="キョウカイ　ジロウ",
        birth_date=date(2018, 3, 3),
    )  # fmt: skip
    application = ApplicationFactory(
        form_code=form_code, reviewing=True, record=insured, data=naming(named)
    )
    complete(application, reviewer, django_capture_on_commit_callbacks)
    batch = MailingBatch.objects.get()
    assert batch.record_id == named.pk
    assert list(batch.items.values_list("record_id", flat=True)) == [named.pk]


def test_twins_are_told_apart_by_the_reading_typed_in_any_kana(
    reviewer, reissue_now, django_capture_on_commit_callbacks, tokyo
):
    insured = InsuredRecordFactory(branch=tokyo)
    twins = [
        DependentRecordFactory(insured_record=insured, name=name, name_kana=kana,
                               birth_date=date(2019, 7, 7))
        for name, kana in (
            ("協会　星子", "キョウカイ　ホシコ"),
            ("協会　織子", "キョウカイ　オリコ"),
        )
    ]  # fmt: skip
    data = naming(twins[1], target_kana="きょうかい おりこ")  # hiragana, ASCII space
    application = ApplicationFactory(
        form_code="shikaku_kakuninsho", reviewing=True, record=insured, data=data
    )
    complete(application, reviewer, django_capture_on_commit_callbacks)
    assert MailingBatch.objects.get().items.get().record_id == twins[1].pk


def test_a_dependent_not_found_issues_nothing_rather_than_the_insured_persons(
    reviewer, reissue_now, django_capture_on_commit_callbacks, tokyo
):
    insured = InsuredRecordFactory(branch=tokyo)
    dependent = DependentRecordFactory(insured_record=insured)
    data = naming(dependent, target_birth_date="2001-01-01")
    application = ApplicationFactory(
        form_code="oshirase_kofu", reviewing=True, record=insured, data=data
    )
    complete(application, reviewer, django_capture_on_commit_callbacks)
    assert not MailingBatch.objects.exists() and not MailingItem.objects.exists()
    event = AuditEvent.objects.get(object_id=str(application.pk), changes__reissue="not_issued")
    assert "家族（被扶養者）に当たる資格が見つかりません" in event.changes["reason"]


def test_a_dependent_filing_for_themselves_gets_their_own_record(
    reviewer, reissue_now, django_capture_on_commit_callbacks, tokyo
):
    dependent = DependentRecordFactory(insured_record=InsuredRecordFactory(branch=tokyo))
    application = ApplicationFactory(
        form_code="shikaku_kakuninsho", reviewing=True, record=dependent,
        data={"target": "self", "reason": "no_card", "send_to": "registered"},
    )  # fmt: skip
    complete(application, reviewer, django_capture_on_commit_callbacks)
    assert MailingBatch.objects.get().items.get().record_id == dependent.pk


def test_a_redelivered_reissue_task_issues_nothing_more(reviewer, reissue_now, tokyo):
    application = ApplicationFactory(
        form_code="shikaku_kakuninsho", completed=True, record__branch=tokyo
    )
    first = tasks.reissue(application.pk)
    again = tasks.reissue(application.pk)  # acks_late: a worker lost after the work, say
    assert first == again
    assert MailingBatch.objects.count() == 1 and MailingItem.objects.count() == 1
    assert MailingBatch.objects.get().application_id == application.pk


@pytest.fixture
def broker_down(monkeypatch):
    from kombu.exceptions import OperationalError

    def refuse(*args, **kwargs):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(tasks.reissue, "delay", refuse)
    monkeypatch.setattr(services, "_enqueue", lambda ids: None)


def after_the_lease(settings):
    return timezone.now() + timedelta(seconds=settings.NOTICE_CHUNK_LEASE + 1)


def test_a_reissue_whose_message_was_lost_is_issued_by_the_sweep(
    reviewer, broker_down, django_capture_on_commit_callbacks, tokyo, settings
):
    application = ApplicationFactory(
        form_code="oshirase_kofu", reviewing=True, record__branch=tokyo
    )
    complete(application, reviewer, django_capture_on_commit_callbacks)
    assert not MailingBatch.objects.exists()  # the broker refused the message
    assert services.sweep_reissues() == 0  # within the lease: the normal path's turn
    assert services.sweep(now=after_the_lease(settings))["reissued"] == 1
    batch = MailingBatch.objects.get()
    assert batch.application_id == application.pk
    assert list(batch.items.values_list("record_id", flat=True)) == [application.record_id]
    assert services.sweep_reissues(now=after_the_lease(settings)) == 0  # once


def test_the_sweep_leaves_refused_and_already_issued_applications_alone(
    reviewer, broker_down, django_capture_on_commit_callbacks, tokyo, settings
):
    insured = InsuredRecordFactory(branch=tokyo)
    dependent = DependentRecordFactory(insured_record=insured)
    refused = ApplicationFactory(
        form_code="oshirase_kofu", reviewing=True, record=insured,
        data=naming(dependent, target_birth_date="2001-01-01"),
    )  # fmt: skip
    complete(refused, reviewer, django_capture_on_commit_callbacks)
    assert services.sweep_reissues(now=after_the_lease(settings)) == 0
    assert AuditEvent.objects.filter(changes__reissue="not_issued").count() == 1
    assert services.sweep_reissues(now=after_the_lease(settings)) == 0
    assert AuditEvent.objects.filter(changes__reissue="not_issued").count() == 1

    # A reissue batch made before batches were linked to their application.
    legacy = ApplicationFactory(form_code="shikaku_kakuninsho", reviewing=True, record=insured)
    complete(legacy, reviewer, django_capture_on_commit_callbacks)
    services.define_batch(
        actor=None, kind=Kind.REISSUE_CERTIFICATE, record_id=insured.pk, branch_id=tokyo.pk
    )
    assert services.sweep_reissues(now=after_the_lease(settings)) == 0
    assert MailingBatch.objects.count() == 1
