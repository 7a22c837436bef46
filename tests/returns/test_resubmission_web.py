"""Resubmission on the web: the member list links a returned application to its own message;
the message's button and the file upload start a prefilled draft linked to the returned one,
its attachments carried to the member site's entry page; refused files are explained in
Japanese beside the field and nothing is created."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from applications.models import Application, ApplicationStatus
from applications.web import pending
from returns import selectors
from returns.models import FileKind
from tests.applications.filing_support import BANK_ACCOUNT, OPEN_AT, clock_at
from tests.factories.core import MemberUserFactory
from tests.returns.support import built, png_bytes, return_it, reviewing_application

pytestmark = pytest.mark.django_db


@pytest.fixture
def returned(reviewer):
    from eligibility.models import Person

    member = MemberUserFactory()
    application = reviewing_application(applicant=member)
    Person.objects.filter(pk=application.record.person_id).update(user=member)
    message = return_it(application, reviewer)
    package = built(message)
    return message, json.loads(package.files.get(kind=FileKind.RESUBMISSION).file.read())


def drafts() -> int:
    return Application.objects.filter(status=ApplicationStatus.DRAFT).count()


def upload(client, content: bytes):
    return client.post(
        reverse("returns:resubmit-file"),
        {"file": SimpleUploadedFile("resubmit.json", content, "application/json")},
    )


def test_member_list_links_each_returned_application_to_its_message(returned, reviewer, client):
    message, _document = returned
    member = message.recipient
    second = return_it(reviewing_application(applicant=member), reviewer)
    client.force_login(member)
    body = client.get(reverse("applications:member-list")).content.decode()
    assert reverse("returns:message", args=[message.pk]) in body
    assert reverse("returns:message", args=[second.pk]) in body


def test_message_ids_selector_is_one_query_and_scoped_to_the_recipient(returned, reviewer):
    message, _document = returned
    member = message.recipient
    others = [return_it(reviewing_application(applicant=member), reviewer) for _ in range(3)]
    ids = [message.application_id, *(m.application_id for m in others)]
    with CaptureQueriesContext(connection) as queries:
        found = selectors.message_ids_for(user=member, application_ids=ids)
    assert len(queries) == 1
    assert found == {m.application_id: m.pk for m in [message, *others]}
    assert selectors.message_ids_for(user=MemberUserFactory(), application_ids=ids) == {}


def test_button_starts_a_linked_draft_with_the_attachments_carried(returned, client):
    message, _document = returned
    client.force_login(message.recipient)
    page = client.get(reverse("returns:message", args=[message.pk])).content.decode()
    assert "この申請を修正して再申請する" in page
    assert 'action="{}"'.format(reverse("returns:resubmit", args=[message.pk])) in page
    response = client.post(reverse("returns:resubmit", args=[message.pk]))
    draft = Application.objects.get(
        status=ApplicationStatus.DRAFT, resubmission_of=message.application
    )
    assert response["Location"] == reverse("applications:file-entry", args=[draft.pk])
    assert draft.data == message.application.data
    entry = client.get(response["Location"]).content.decode()
    assert message.application.receipt_number in entry
    assert "scan0.png" in entry and "scan1.png" in entry  # carried, with a 削除 button each
    # Pressing it again takes up the same draft and does not carry the files twice.
    client.post(reverse("returns:resubmit", args=[message.pk]))
    assert drafts() == 1
    request = type("R", (), {"session": client.session})()
    assert len(pending.pending_for(request, draft.pk)) == 2


def test_resubmission_corrected_and_filed_through_the_usual_pages(returned, client):
    message, _document = returned
    client.force_login(message.recipient)
    client.post(reverse("returns:resubmit", args=[message.pk]))
    draft = Application.objects.get(status=ApplicationStatus.DRAFT)
    text = {True: "true", False: "false", None: ""}
    body = {f"data.{k}": text.get(v, str(v)) for k, v in draft.data.items()}
    body.update({f"bank_account.{k}": v for k, v in BANK_ACCOUNT.items()})
    body["action"] = "confirm"
    body["file.doctor_certificate"] = SimpleUploadedFile("doctor.png", png_bytes(), "image/png")
    with clock_at(OPEN_AT):
        response = client.post(reverse("applications:file-entry", args=[draft.pk]), body)
        assert response.status_code == 302
        response = client.post(reverse("applications:file-confirm", args=[draft.pk]))
    assert response["Location"] == reverse("applications:file-done", args=[draft.pk])
    filed = Application.objects.get(pk=draft.pk)
    assert filed.status == ApplicationStatus.RECEIVED and filed.receipt_number
    assert filed.resubmission_of_id == message.application_id
    assert filed.attachments.count() == 3  # two carried over, one added


def test_uploaded_file_starts_the_draft(returned, client):
    message, document = returned
    client.force_login(message.recipient)
    response = upload(client, json.dumps(document).encode())
    draft = Application.objects.get(status=ApplicationStatus.DRAFT)
    assert response["Location"] == reverse("applications:file-entry", args=[draft.pk])
    assert draft.resubmission_of_id == message.application_id


def _tampered(document: dict) -> bytes:
    document["protected"]["receipt_number"] = "2026010100000001"
    return json.dumps(document).encode()


@pytest.mark.parametrize(
    "who,content,expected",
    [
        ("member", _tampered, "変更されているため"),
        ("other", lambda d: json.dumps(d).encode(), "別の方あて"),
        ("member", lambda d: b"\x89PNG\r\n\x1a\n not json", "JSON形式ではありません"),
        ("member", lambda d: json.dumps({**d, "schema_version": 99}).encode(), "対応していない版"),
    ],
)
def test_refused_file_is_explained_beside_the_field_and_nothing_created(
    returned, client, who, content, expected
):
    message, document = returned
    client.force_login(message.recipient if who == "member" else MemberUserFactory())
    before = Application.objects.count()
    response = upload(client, content(document))
    assert response.status_code == 400
    body = response.content.decode()
    assert 'id="err-resubmit-file"' in body and expected in body
    assert Application.objects.count() == before


def test_too_large_file_is_refused(returned, client, settings):
    message, document = returned
    settings.RETURNS_RESUBMISSION_MAX_BYTES = 1024
    client.force_login(message.recipient)
    response = upload(client, json.dumps(document).encode())
    assert response.status_code == 400 and "大きすぎます" in response.content.decode()
    assert drafts() == 0


def test_another_members_message_cannot_be_resubmitted(returned, client):
    message, _document = returned
    client.force_login(MemberUserFactory())
    assert client.post(reverse("returns:resubmit", args=[message.pk])).status_code == 404
    assert client.get(reverse("returns:resubmit", args=[message.pk])).status_code == 405
    assert drafts() == 0
