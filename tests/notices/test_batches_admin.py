"""The batches' admin for 発送担当: define (with the service's checks as form errors), preview,
launch, watch, pause, download (audit-logged), branch scope."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from core.models import AuditEvent
from notices.batches import finishing, services
from notices.batches.models import Kind, MailingBatch
from tests.factories.eligibility import EmployerFactory, InsuredRecordFactory

ADD = "admin:notices_mailingbatch_add"
CHANGE = "admin:notices_mailingbatch_change"


@pytest.fixture
def members(tokyo, osaka):
    InsuredRecordFactory.create_batch(3, employer=EmployerFactory(branch=tokyo))
    InsuredRecordFactory.create_batch(2, employer=EmployerFactory(branch=osaka))


def define(client, **data):
    base = {"kind": Kind.NOTICE_ALL, "as_of": timezone.localdate().isoformat()}
    return client.post(reverse(ADD), {**base, **data})


def test_operator_defines_previews_launches_and_watches(client, operator, members):
    client.force_login(operator)
    response = define(client)
    assert response.status_code == 302
    batch = MailingBatch.objects.get()
    page = client.get(reverse(CHANGE, args=[batch.pk])).content.decode()
    assert "東京支部" in page and "大阪支部" in page and "合計" in page
    assert not batch.items.exists()  # preview writes nothing
    operate = reverse("admin:notices_mailingbatch_operate", args=[batch.pk, "launch"])
    assert client.post(operate).status_code == 302
    batch.refresh_from_db()
    assert batch.status == MailingBatch.Status.RUNNING and batch.planned == 5
    page = client.get(reverse(CHANGE, args=[batch.pk])).content.decode()
    assert "<progress" in page and "一時停止" in page
    client.post(reverse("admin:notices_mailingbatch_operate", args=[batch.pk, "pause"]))
    batch.refresh_from_db()
    assert batch.status == MailingBatch.Status.PAUSED


def test_a_future_date_is_a_form_error_and_nothing_is_created(client, operator):
    client.force_login(operator)
    response = define(client, as_of=(timezone.localdate() + timedelta(days=1)).isoformat())
    assert response.status_code == 200
    assert "未来の日付" in response.content.decode()
    assert not MailingBatch.objects.exists()


def test_downloads_are_audit_logged(client, operator, members, settings):
    batch = services.define_batch(actor=operator, kind=Kind.NOTICE_ALL, as_of=timezone.localdate())
    services.launch(batch.pk, actor=operator)
    for chunk_id in batch.chunks.values_list("pk", flat=True):
        services.render_chunk(chunk_id)
    finishing.run_here(batch.pk)  # the output chunks, in this process
    batch.refresh_from_db()
    client.force_login(operator)
    url = reverse("admin:notices_mailingbatch_download", args=[batch.pk])
    response = client.get(url, {"n": 1})
    body = b"".join(response.streaming_content)
    assert response.status_code == 200 and body.decode("cp932").startswith("発送物")
    event = AuditEvent.objects.get(action=AuditEvent.Action.DOWNLOAD)
    assert event.changes["file"].endswith("manifest-cp932.csv")
    assert client.get(url, {"n": 999}).status_code == 404


def test_branch_operators_see_only_their_branch(client, tokyo_operator, operator, osaka, members):
    theirs = services.define_batch(
        actor=operator, kind=Kind.NOTICE_ALL, as_of=timezone.localdate(), branch_id=osaka.pk
    )
    client.force_login(tokyo_operator)
    assert client.get(reverse(CHANGE, args=[theirs.pk])).status_code == 302  # not found
    assert define(client, branch=osaka.pk).status_code == 200  # not a choice: a form error
    assert define(client).status_code == 302  # no branch: their own
    mine = MailingBatch.objects.exclude(pk=theirs.pk).get()
    assert mine.branch_id == tokyo_operator.branch_id
    url = reverse("admin:notices_mailingbatch_operate", args=[theirs.pk, "launch"])
    client.post(url)
    theirs.refresh_from_db()
    assert theirs.status == MailingBatch.Status.DRAFT
