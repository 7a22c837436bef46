"""Returned mail and re-routing: one by one and from the post office's CSV (all or nothing,
a per-row report), re-sent by the other route as a batch of its own; every attempt kept."""

from __future__ import annotations

import pytest
from django.utils import timezone

from core.errors import Conflict, NotFound
from notices.batches import finishing, services
from notices.batches.models import Kind, MailingBatch, MailingItem
from notices.delivery import services as delivery
from notices.delivery.models import ReturnedMail
from tests.factories.eligibility import (
    DependentRecordFactory,
    EmployerFactory,
    InsuredRecordFactory,
    PersonFactory,
)

State = MailingItem.State


def rendered_batch(operator, kind=Kind.NOTICE_ALL) -> MailingBatch:
    batch = services.define_batch(actor=operator, kind=kind, as_of=timezone.localdate())
    services.launch(batch.pk, actor=operator)
    for chunk_id in batch.chunks.values_list("pk", flat=True):
        services.render_chunk(chunk_id)
    finishing.run_here(batch.pk)  # the output chunks, in this process
    batch.refresh_from_db()
    return batch


def finish(batch: MailingBatch) -> MailingBatch:
    for chunk_id in batch.chunks.values_list("pk", flat=True):
        services.render_chunk(chunk_id)
    finishing.run_here(batch.pk)  # the output chunks, in this process
    batch.refresh_from_db()
    return batch


@pytest.fixture
def household(tokyo):
    insured = InsuredRecordFactory(
        employer=EmployerFactory(branch=tokyo), person=PersonFactory(mynacard_registered=False)
    )
    dependent = DependentRecordFactory(
        insured_record=insured, person=PersonFactory(mynacard_registered=False)
    )
    return insured, dependent


def test_a_returned_notice_via_the_employer_is_resent_home(operator, household):
    batch = rendered_batch(operator)
    item = batch.items.get(record=household[0])
    assert item.route == "employer"
    delivery.record_return(actor=operator, tracked_number=item.tracked_text, reason="moved")
    resend = delivery.resend_returned(actor=operator, batch_id=batch.pk)
    assert resend.kind == Kind.RESEND and resend.parent_id == batch.pk
    [again] = resend.items.all()
    assert (again.record_id, again.route, again.previous_id) == (item.record_id, "home", item.pk)
    assert again.tracked_number != item.tracked_number
    finish(resend)
    again.refresh_from_db()
    assert again.state == State.RENDERED and resend.status == MailingBatch.Status.DONE
    item.refresh_from_db()
    assert item.state == State.RETURNED  # the first attempt is kept
    with pytest.raises(Conflict):  # nothing left to re-send
        delivery.resend_returned(actor=operator, batch_id=batch.pk)


def test_a_returned_certificate_sent_home_is_resent_to_the_employer(operator, household):
    batch = rendered_batch(operator, Kind.CERTIFICATE_CUTOFF)
    items = list(batch.items.order_by("seq"))
    assert {i.route for i in items} == {"home"} and len(items) == 2
    for item in items:
        delivery.record_return(
            actor=operator, tracked_number=item.tracked_text, reason="no_address"
        )
    resend = delivery.resend_returned(actor=operator, batch_id=batch.pk)
    routes = set(resend.items.values_list("route", flat=True))
    assert routes == {"employer"}
    assert len(set(resend.items.values_list("envelope", flat=True))) == 1  # still together


def test_a_return_twice_or_of_an_unknown_number_is_refused(operator, household):
    batch = rendered_batch(operator)
    item = batch.items.first()
    delivery.record_return(actor=operator, tracked_number=item.tracked_text, reason="refused")
    with pytest.raises(Conflict):
        delivery.record_return(actor=operator, tracked_number=item.tracked_text, reason="refused")
    with pytest.raises(NotFound):
        delivery.record_return(actor=operator, tracked_number="99999999999", reason="refused")


def test_a_csv_with_an_unknown_number_writes_nothing_and_reports_each_row(operator, household):
    batch = rendered_batch(operator)
    a, b = batch.items.order_by("seq")
    text = (
        "特定記録番号,返戻理由\r\n"
        f"{a.tracked_text},転居先不明\r\n"
        "12345678901,受取拒絶\r\n"
        f"{b.tracked_text},届かない\r\n"
    )
    report = delivery.import_returns(actor=operator, data=text.encode("cp932"))
    assert [(e.line, e.message[:8]) for e in report.errors] == [
        (3, "特定記録番号「1"),
        (4, "返戻理由「届かな"),
    ]
    assert report.recorded == 0 and not ReturnedMail.objects.exists()
    good = f"特定記録番号,返戻理由\n{a.tracked_text},転居先不明\n{b.tracked_text},受取拒絶\n"
    report = delivery.import_returns(actor=operator, data=good.encode("utf-8"))
    assert report.recorded == 2 and not report.errors
    assert set(ReturnedMail.objects.values_list("reason", flat=True)) == {"moved", "refused"}


def test_a_csv_in_an_unreadable_encoding_is_refused_whole(operator, household):
    with pytest.raises(delivery.ReturnsFileError, match="文字コード"):
        delivery.import_returns(actor=operator, data="特定記録番号,返戻理由\n".encode("utf-16"))
    assert not ReturnedMail.objects.exists()


def test_staff_record_returns_in_the_admin_one_by_one_and_from_a_csv(client, operator, household):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.urls import reverse

    batch = rendered_batch(operator)
    a, b = batch.items.order_by("seq")
    client.force_login(operator)
    add = reverse("admin:notices_returnedmail_add")
    assert (
        client.post(add, {"tracked_number": a.tracked_text, "reason": "moved"}).status_code == 302
    )
    again = client.post(add, {"tracked_number": a.tracked_text, "reason": "moved"}, follow=True)
    assert "すでに返戻" in again.content.decode()
    upload = SimpleUploadedFile(
        "r.csv", f"特定記録番号,返戻理由\n9,受取拒絶\n{b.tracked_text},x\n".encode()
    )
    page = client.post(reverse("admin:notices_returnedmail_import"), {"file": upload})
    assert "何も登録していません" in page.content.decode() and ">3<" in page.content.decode()
    assert ReturnedMail.objects.count() == 1
    resend = reverse("admin:notices_mailingbatch_operate", args=[batch.pk, "resend"])
    client.post(resend)
    assert MailingBatch.objects.filter(kind=Kind.RESEND, parent=batch).count() == 1
