"""A 資格確認書交付申請書 or 資格情報のお知らせ交付申請書 reaching 審査完了 issues one item for
that member (a batch of one, through the same life); other forms issue nothing."""

from __future__ import annotations

import pytest

from applications.services.review import application_change_status
from notices import tasks
from notices.batches import services
from notices.batches.models import Kind, MailingBatch
from tests.factories.applications import ApplicationFactory


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
