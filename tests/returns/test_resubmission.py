"""Resubmitting from the package: a draft prefilled from the signed JSON file or from the
returned application, linked to it; tampering, another member's file, unknown versions,
non-JSON and oversized files are refused in Japanese and nothing is created."""

from __future__ import annotations

import json
from datetime import datetime
from unittest import mock

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from rest_framework.test import APIClient

from applications.models import Application, ApplicationStatus
from core.jp.calendar import JST
from returns.models import FileKind
from tests.applications.filing_support import BANK_ACCOUNT
from tests.factories.core import MemberUserFactory
from tests.returns.support import built, png_bytes, return_it, reviewing_application

pytestmark = pytest.mark.django_db
IN_HOURS = datetime(2026, 3, 10, 10, 0, tzinfo=JST)  # a Tuesday, 10:00 JST


@pytest.fixture
def returned(reviewer):
    from eligibility.models import Person

    member = MemberUserFactory()
    application = reviewing_application(applicant=member)
    Person.objects.filter(pk=application.record.person_id).update(user=member)
    message = return_it(application, reviewer)
    package = built(message)
    return message, json.loads(package.files.get(kind=FileKind.RESUBMISSION).file.read())


def upload(client: APIClient, document: dict | bytes):
    content = document if isinstance(document, bytes) else json.dumps(document).encode()
    return client.post(
        reverse("api-return-resubmissions"),
        {"file": SimpleUploadedFile("resubmit.json", content, "application/json")},
        format="multipart",
    )


def api_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def drafts() -> int:
    return Application.objects.filter(status=ApplicationStatus.DRAFT).count()


def test_file_starts_a_linked_prefilled_draft_with_corrected_values(returned):
    message, document = returned
    field = next(iter(document["editable"]["data"]))
    document["editable"]["data"]["occupation"] = "営業"  # the member corrects a value
    response = upload(api_for(message.recipient), document)
    assert response.status_code == 201, response.json()
    draft = Application.objects.get(pk=response.json()["id"])
    assert draft.status == ApplicationStatus.DRAFT
    assert draft.resubmission_of_id == message.application_id
    assert draft.data["occupation"] == "営業"
    assert draft.data[field] == document["editable"]["data"][field]
    # Starting again updates the same draft.
    assert upload(api_for(message.recipient), document).json()["id"] == draft.pk


def test_returned_application_id_starts_the_draft_too(returned):
    message, _document = returned
    response = api_for(message.recipient).post(
        reverse("api-return-resubmissions"),
        {"application_id": message.application_id},
        format="json",
    )
    assert response.status_code == 201
    assert response.json()["resubmission_of"] == message.application_id


@pytest.mark.parametrize(
    "path,value",
    [
        (("protected", "receipt_number"), "2026010100000001"),
        (("protected", "member", "symbol"), "99999999"),
        (("protected", "member", "name"), "別人　太郎"),
        (("protected", "issued_to"), 424242),
        (("protected", "application_id"), 987654),
        (("protected", "form_code"), "gendogaku"),
    ],
)
def test_edit_of_a_protected_part_is_refused_and_nothing_created(returned, path, value):
    message, document = returned
    target = document
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    before = drafts()
    response = upload(api_for(message.recipient), document)
    assert response.status_code == 400
    assert "変更されているため" in response.json()["detail"]
    assert drafts() == before


@given(text=st.text(min_size=1, max_size=20))
@hsettings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
def test_any_change_to_the_receipt_number_is_detected(returned, text):
    message, document = returned
    if text == document["protected"]["receipt_number"]:
        return
    changed = json.loads(json.dumps(document))
    changed["protected"]["receipt_number"] = text
    assert upload(api_for(message.recipient), changed).status_code == 400


def test_file_for_another_member_is_refused(returned):
    _message, document = returned
    before = drafts()
    response = upload(api_for(MemberUserFactory()), document)
    assert response.status_code == 403
    assert "別の方あて" in response.json()["detail"]
    assert drafts() == before


@pytest.mark.parametrize(
    "content,expected",
    [
        (b"\x89PNG\r\n\x1a\n not json", "JSON形式ではありません"),
        (b'{"format": "something-else"}', "再申請用ファイルではありません"),
        (b"[1, 2, 3]", "再申請用ファイルではありません"),
    ],
)
def test_not_json_or_other_format_is_refused(returned, content, expected):
    message, _document = returned
    before = drafts()
    response = upload(api_for(message.recipient), content)
    assert response.status_code == 400
    assert expected in response.json()["detail"]
    assert drafts() == before


def test_unknown_schema_version_and_schema_errors_are_refused(returned):
    message, document = returned
    client = api_for(message.recipient)
    document["schema_version"] = 99
    assert "対応していない版" in upload(client, document).json()["detail"]
    document["schema_version"] = 1
    document["editable"]["data"] = "not an object"
    assert "形式に誤り" in upload(client, document).json()["detail"]


def test_too_large_is_refused(returned, settings):
    message, document = returned
    settings.RETURNS_RESUBMISSION_MAX_BYTES = 1024
    response = upload(api_for(message.recipient), document)
    assert response.status_code == 400
    assert "大きすぎます" in response.json()["detail"]


def test_key_rotation_old_key_still_verifies_unknown_key_does_not(returned, settings):
    message, document = returned
    settings.RETURNS_SIGNING_KEYS = [
        "k2:a-brand-new-signing-key-2027",
        *settings.RETURNS_SIGNING_KEYS,
    ]
    assert upload(api_for(message.recipient), document).status_code == 201
    settings.RETURNS_SIGNING_KEYS = ["k2:a-brand-new-signing-key-2027"]
    assert upload(api_for(message.recipient), document).status_code == 400


def test_submit_the_resubmission_reusing_attachments_and_adding_one(returned):
    message, document = returned
    client = api_for(message.recipient)
    document["editable"]["bank_account"] = dict(BANK_ACCOUNT)  # the member adds what was missing
    draft_id = upload(client, document).json()["id"]
    reuse = [a["id"] for a in document["protected"]["attachments"]]
    new_file = SimpleUploadedFile("doctor.png", png_bytes(), "image/png")
    with mock.patch("applications.clock.now", return_value=IN_HOURS):
        response = client.post(
            reverse("api-return-resubmission-submit", args=[draft_id]),
            {
                "reuse_attachments": reuse,
                "attachments": [new_file],
                "attachment_kinds": ["doctor_certificate"],
            },
            format="multipart",
            HTTP_IDEMPOTENCY_KEY="resubmit-1",
        )
    assert response.status_code == 201, response.json()
    filed = Application.objects.get(pk=draft_id)
    assert filed.status == ApplicationStatus.RECEIVED
    assert filed.resubmission_of_id == message.application_id
    assert filed.attachments.count() == len(reuse) + 1


def test_attachments_of_another_application_cannot_be_reused(returned):
    message, document = returned
    client = api_for(message.recipient)
    draft_id = upload(client, document).json()["id"]
    other = reviewing_application()
    before = Application.objects.filter(status=ApplicationStatus.RECEIVED).count()
    with mock.patch("applications.clock.now", return_value=IN_HOURS):
        response = client.post(
            reverse("api-return-resubmission-submit", args=[draft_id]),
            {"reuse_attachments": [other.attachments.first().pk]},
            format="json",
            HTTP_IDEMPOTENCY_KEY="resubmit-2",
        )
    assert response.status_code == 400
    assert "返戻された申請の添付書類" in response.json()["detail"]
    assert Application.objects.filter(status=ApplicationStatus.RECEIVED).count() == before
