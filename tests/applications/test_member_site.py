"""The member site (電子申請サイト): sign-in gate, catalogue, 資格選択, entry generated from the
catalogue with errors beside fields, attachments, confirmation, completion, drafts, hours."""

from __future__ import annotations

import re
from datetime import datetime

import pytest
from django.urls import reverse

from applications.forms_catalogue import get_form
from applications.models import Application, ApplicationStatus
from core.jp.calendar import JST
from tests.applications.filing_support import (
    BANK_ACCOUNT,
    OPEN_AT,
    clock_at,
    dependent_member,
    insured_member,
    png_bytes,
    valid_data,
)
from tests.factories.applications import ApplicationFactory
from tests.factories.core import AttorneyFactory

pytestmark = pytest.mark.django_db
CATALOGUE = reverse("applications:file-catalogue")
#: Saturday: filing closed.
CLOSED_AT = datetime(2026, 3, 14, 10, 0, tzinfo=JST)


def post_data(form_code: str, data: dict, *, bank: dict | None = None, **extra) -> dict:
    body = {
        f"data.{k}": "true" if v is True else "false" if v is False else str(v)
        for k, v in data.items()
    }
    for key, value in (bank or {}).items():
        body[f"bank_account.{key}"] = value
    body.update(extra)
    return body


def start(client, form_code: str, record) -> Application:
    with clock_at(OPEN_AT):
        response = client.post(
            reverse("applications:file-record", args=[form_code]), {"record": record.pk}
        )
    assert response.status_code == 302, response.content.decode()[:2000]
    return Application.objects.get(applicant__pk=record.person.user_id, status="draft")


def test_anonymous_visitor_goes_to_sign_in_with_a_message_and_next(client):
    response = client.get(CATALOGUE, follow=True)
    assert response.redirect_chain[0][0] == f"{reverse('signin')}?next=%2Fapplications%2Ffile%2F"
    body = response.content.decode()
    assert "このページを表示するには、ログインしてください。" in body
    assert reverse("attorney-signin") + "?next=%2Fapplications%2Ffile%2F" in body


def test_dev_sign_in_returns_to_the_page_asked_for(client, settings):
    settings.DEV_MEMBER_SIGNIN = True
    user, _record = insured_member()
    response = client.post(f"{reverse('dev-member-signin')}?next={CATALOGUE}", {"user_id": user.pk})
    assert response.status_code == 302 and response["Location"] == CATALOGUE


def test_catalogue_grouped_and_scoped_to_the_user(client):
    user, _ = insured_member()
    client.force_login(user)
    body = client.get(CATALOGUE).content.decode()
    assert "給付" in body and "適用" in body and "保健" in body
    assert 'data-form="shobyo_teate"' in body and 'data-form="tokutei_kenshin"' in body

    dependent, _ = dependent_member()
    client.force_login(dependent)
    body = client.get(CATALOGUE).content.decode()
    assert 'data-form="shobyo_teate"' not in body and 'data-form="gendogaku"' in body

    client.force_login(AttorneyFactory())
    body = client.get(CATALOGUE).content.decode()
    assert 'data-form="tokutei_kenshin"' not in body and 'data-form="shobyo_teate"' in body
    assert (
        client.get(reverse("applications:file-record", args=["tokutei_kenshin"])).status_code == 404
    )


def test_catalogue_search(client):
    user, _ = insured_member()
    client.force_login(user)
    body = client.get(CATALOGUE, {"q": "限度額"}).content.decode()
    assert 'data-form="gendogaku"' in body and 'data-form="shobyo_teate"' not in body


def test_record_cards_show_insurer_numbers_name_and_current(client):
    user, record = insured_member()
    client.force_login(user)
    with clock_at(OPEN_AT):
        body = client.get(reverse("applications:file-record", args=["gendogaku"])).content.decode()
    assert record.branch.insurer_name in body
    assert f"{record.symbol}・{record.number}・{record.branch_number}" in body
    assert record.name in body and "現在有効" in body


def test_entry_page_is_generated_from_the_catalogue(client):
    user, record = insured_member()
    client.force_login(user)
    draft = start(client, "shobyo_teate", record)
    body = client.get(reverse("applications:file-entry", args=[draft.pk])).content.decode()
    form = get_form("shobyo_teate")
    for spec in form.fields:
        assert f'name="data.{spec.name}"' in body
    assert 'inputmode="numeric"' in body and 'type="date"' in body
    assert 'data-when-field="data.third_party"' not in body or "の場合に入力してください" in body
    assert record.name in body  # auto-filled, read-only
    assert 'name="bank_account.bank_code"' in body and "ゆうちょ銀行" in body
    assert 'accept="image/*,application/pdf"' in body


def test_errors_are_shown_beside_their_field_and_announced(client):
    user, record = insured_member()
    client.force_login(user)
    draft = start(client, "gendogaku", record)
    url = reverse("applications:file-entry", args=[draft.pk])
    with clock_at(OPEN_AT):
        response = client.post(url, {"action": "confirm", "data.target": "dependent"})
    assert response.status_code == 400
    body = response.content.decode()
    assert 'role="alert"' in body
    name_block = re.search(
        r'id="wrap-id_data-target_name".*?</div>\s*</div>|id="wrap-id_data-target_name".*?<input',
        body,
        re.S,
    )
    assert name_block and "の場合は" in name_block.group(0)
    assert 'aria-invalid="true"' in body


def test_required_when_form_filed_end_to_end_with_draft_and_receipt_number(client):
    user, record = insured_member()
    client.force_login(user)
    draft = start(client, "gendogaku", record)
    form = get_form("gendogaku")
    data = valid_data(form)
    data["target"] = "dependent"
    data.update(
        target_name="協会 花子", target_kana="キョウカイ ハナコ", target_birth_date="2010-04-01"
    )
    url = reverse("applications:file-entry", args=[draft.pk])
    with clock_at(OPEN_AT):
        saved = client.post(url, {**post_data("gendogaku", data), "action": "save"})
    assert saved.status_code == 200 and "一時保存しました" in saved.content.decode()
    draft.refresh_from_db()
    assert draft.data["target_name"] == "協会 花子"
    with clock_at(OPEN_AT):
        response = client.post(url, {**post_data("gendogaku", data), "action": "confirm"})
    assert response.status_code == 302, response.content.decode()[:3000]
    confirm_url = reverse("applications:file-confirm", args=[draft.pk])
    with clock_at(OPEN_AT):
        assert "協会 花子" in client.get(confirm_url).content.decode()
        done = client.post(confirm_url, follow=True)
    application = Application.objects.get(pk=draft.pk)
    assert application.status == ApplicationStatus.RECEIVED
    assert application.data["target_name"] == "協会 花子"
    assert application.receipt_number in done.content.decode()
    assert "このあとの流れ" in done.content.decode()


def test_bank_form_with_attachments_filed(client):
    user, record = insured_member()
    client.force_login(user)
    draft = start(client, "kogaku_kaigo_gassan", record)
    form = get_form("kogaku_kaigo_gassan")
    data = valid_data(form)
    url = reverse("applications:file-entry", args=[draft.pk])
    from django.core.files.uploadedfile import SimpleUploadedFile

    files = {
        f"file.{a.code}": SimpleUploadedFile(f"{a.code}.png", png_bytes())
        for a in form.attachments
        if a.required
    }
    bad = SimpleUploadedFile("note.txt", b"hello, not an image")
    with clock_at(OPEN_AT):
        refused = client.post(
            url,
            {
                **post_data(form.code, data, bank=BANK_ACCOUNT),
                "action": "upload",
                "file.kaigo_certificate": bad,
            },
        )
    assert refused.status_code == 400
    assert re.search(
        r'id="err-id_file-kaigo_certificate".*note\.txt', refused.content.decode(), re.S
    )
    with clock_at(OPEN_AT):
        response = client.post(
            url, {**post_data(form.code, data, bank=BANK_ACCOUNT), "action": "confirm", **files}
        )
    assert response.status_code == 302, response.content.decode()[:3000]
    confirm_url = reverse("applications:file-confirm", args=[draft.pk])
    with clock_at(OPEN_AT):
        page = client.get(confirm_url).content.decode()
        assert "みずほ" in page and "東京営業部" in page
        client.post(confirm_url)
        again = client.post(confirm_url)  # a second tap does not file twice
    assert again.status_code == 302
    assert again["Location"] == reverse("applications:file-done", args=[draft.pk])
    application = Application.objects.get(pk=draft.pk)
    assert application.status == ApplicationStatus.RECEIVED
    assert application.bank_account["bank_code"] == "0001"
    assert application.attachments.count() == len(files)


def test_removing_an_attachment(client):
    user, record = insured_member()
    client.force_login(user)
    draft = start(client, "kogaku_kaigo_gassan", record)
    from django.core.files.uploadedfile import SimpleUploadedFile

    url = reverse("applications:file-entry", args=[draft.pk])
    client.post(
        url,
        {"action": "upload", "file.kaigo_certificate": SimpleUploadedFile("a.png", png_bytes())},
    )
    body = client.get(url).content.decode()
    item = re.search(r'name="remove" value="([0-9a-f]+)"', body).group(1)
    thumb = client.get(reverse("applications:file-pending", args=[draft.pk, item]))
    assert thumb.status_code == 200 and thumb["Content-Type"] == "image/png"
    client.post(url, {"action": "save", "remove": item})
    assert 'name="remove"' not in client.get(url).content.decode()


def test_outside_hours_says_when_filing_reopens_and_keeps_the_draft(client):
    user, record = insured_member()
    client.force_login(user)
    draft = start(client, "gendogaku", record)
    data = valid_data(get_form("gendogaku"))
    url = reverse("applications:file-entry", args=[draft.pk])
    with clock_at(CLOSED_AT):
        page = client.get(url).content.decode()
        assert "受付" in page and 'id="closed"' in page
        assert (
            client.post(url, {**post_data("gendogaku", data), "action": "save"}).status_code == 200
        )
        refused = client.post(reverse("applications:file-confirm", args=[draft.pk]))
    assert refused.status_code == 400 and 'id="submit-problem"' in refused.content.decode()
    draft.refresh_from_db()
    assert draft.status == ApplicationStatus.DRAFT and draft.data


def test_attorney_files_by_identity(client):
    attorney = AttorneyFactory()
    _member, record = insured_member()
    client.force_login(attorney)
    url = reverse("applications:file-record", args=["shikaku_kakuninsho"])
    with clock_at(OPEN_AT):
        wrong = client.post(
            url,
            {
                "symbol": record.symbol,
                "number": record.number,
                "branch_number": record.branch_number,
                "birth_date": "1900-01-01",
            },
        )
        assert wrong.status_code == 400 and "一致する" in wrong.content.decode()
        ok = client.post(
            url,
            {
                "symbol": record.symbol,
                "number": record.number,
                "branch_number": record.branch_number,
                "birth_date": record.birth_date.isoformat(),
            },
        )
    assert ok.status_code == 302
    draft = Application.objects.get(applicant=attorney)
    assert draft.record_id == record.pk


def test_list_shows_attorney_filing_for_the_member_and_drafts(client):
    member, record = insured_member()
    attorney = AttorneyFactory()
    by_attorney = ApplicationFactory(applicant=attorney, record=record)
    returned = ApplicationFactory(applicant=member, record=record, returned=True)
    draft = ApplicationFactory(applicant=member, record=record, draft=True)
    client.force_login(member)
    body = client.get(reverse("applications:member-list")).content.decode()
    assert by_attorney.receipt_number in body and "社会保険労務士による代理申請" in body
    assert f'data-mailbox-slot="{returned.pk}"' in body
    assert reverse("applications:file-entry", args=[draft.pk]) in body


def test_bank_search_json(client):
    user, _ = insured_member()
    client.force_login(user)
    banks = client.get(reverse("applications:banks"), {"q": "みずほ"}).json()["results"]
    assert {"code": "0001", "name": "みずほ"} in banks
    branches = client.get(reverse("applications:branches", args=["0001"]), {"q": "東京"}).json()
    assert any(b["code"] == "001" for b in branches["results"])


def test_someone_elses_draft_is_a_404_everywhere(client):
    owner, record = insured_member()
    client.force_login(owner)
    draft = start(client, "gendogaku", record)
    intruder, _ = insured_member()
    client.force_login(intruder)
    for name in ("file-entry", "file-confirm", "file-done"):
        assert client.get(reverse(f"applications:{name}", args=[draft.pk])).status_code == 404
    assert client.post(reverse("applications:file-confirm", args=[draft.pk])).status_code == 404
    assert (
        client.get(reverse("applications:file-pending", args=[draft.pk, "abc"])).status_code == 404
    )
