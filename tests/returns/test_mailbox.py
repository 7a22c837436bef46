"""The applicant's mailbox through the API and the web page: newest first with unread marks,
signed short-lived downloads checked against the user, ZIP streamed, audit, 404 for others."""

from __future__ import annotations

import io
import zipfile
from unittest import mock

import pytest
from django.core import signing
from django.urls import reverse
from pypdf import PdfReader
from rest_framework.test import APIClient

from core.models import AuditEvent
from returns.models import FileKind
from tests.factories.core import AttorneyFactory, MemberUserFactory
from tests.returns.support import built, return_it, reviewing_application

pytestmark = pytest.mark.django_db


@pytest.fixture
def returned(reviewer):
    application = reviewing_application()
    message = return_it(application, reviewer)
    built(message)
    return message


def api_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_list_newest_first_with_unread_then_opened(returned, reviewer):
    member = returned.recipient
    second = return_it(reviewing_application(applicant=member), reviewer)
    client = api_for(member)
    rows = client.get(reverse("api-return-messages")).json()["results"]
    assert [r["id"] for r in rows] == [second.pk, returned.pk]
    assert all(r["unread"] for r in rows)
    assert rows[1]["ready"] and not rows[0]["ready"]  # second not built yet: no files
    detail = client.get(reverse("api-return-message", args=[returned.pk])).json()
    assert detail["reasons"][0]["label"] == "添付書類の不足"
    assert detail["files"][0]["kind"] == FileKind.NOTICE
    returned.refresh_from_db()
    assert returned.opened_at is not None
    rows = client.get(reverse("api-return-messages")).json()["results"]
    assert rows[1]["unread"] is False


def test_download_pdf_through_signed_link_is_audited(returned):
    client = api_for(returned.recipient)
    detail = client.get(reverse("api-return-message", args=[returned.pk])).json()
    notice = next(f for f in detail["files"] if f["kind"] == FileKind.NOTICE)
    response = client.get(notice["download_url"])
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    content = b"".join(response.streaming_content)
    assert content.startswith(b"%PDF")
    assert "返戻理由のお知らせ" in PdfReader(io.BytesIO(content)).pages[0].extract_text()
    assert AuditEvent.objects.filter(
        action=AuditEvent.Action.DOWNLOAD, object_type="returns.returnfile",
        object_id=str(notice["id"]), actor=returned.recipient,
    ).exists()  # fmt: skip


def test_zip_holds_every_file(returned):
    client = api_for(returned.recipient)
    detail = client.get(reverse("api-return-message", args=[returned.pk])).json()
    response = client.get(detail["zip_url"])
    assert response.status_code == 200
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    assert sorted(archive.namelist()) == sorted(f["filename"] for f in detail["files"])
    assert archive.testzip() is None
    assert archive.read(detail["files"][0]["filename"]).startswith(b"%PDF")


def test_other_member_gets_404_for_message_and_for_a_stolen_link(returned):
    owner = api_for(returned.recipient)
    detail = owner.get(reverse("api-return-message", args=[returned.pk])).json()
    other = api_for(MemberUserFactory())
    assert other.get(reverse("api-return-message", args=[returned.pk])).status_code == 404
    assert other.get(reverse("api-return-messages")).json()["results"] == []
    assert other.get(detail["files"][0]["download_url"]).status_code == 404
    assert other.get(detail["zip_url"]).status_code == 404


def test_staff_and_anonymous_get_nothing(returned, reviewer):
    staff = api_for(reviewer)
    assert staff.get(reverse("api-return-message", args=[returned.pk])).status_code == 404
    anonymous = APIClient()
    assert anonymous.get(reverse("api-return-messages")).status_code in (401, 403)


def test_expired_and_forged_links_are_refused(returned, settings):
    client = api_for(returned.recipient)
    detail = client.get(reverse("api-return-message", args=[returned.pk])).json()
    url = detail["files"][0]["download_url"]
    with mock.patch("django.core.signing.time.time", return_value=signing.time.time() + 3600):
        response = client.get(url)
    assert response.status_code == 404
    assert "有効期限" in response.json()["detail"]
    forged = url.rstrip("/") + "x/"
    assert client.get(forged).status_code == 404


def test_links_of_a_replaced_version_stop_working(returned, reviewer):
    from returns import services

    client = api_for(returned.recipient)
    old = client.get(reverse("api-return-message", args=[returned.pk])).json()["files"][0]
    package = services.package_regenerate(message_id=returned.pk, actor=reviewer)
    services.package_build(package.pk)
    assert client.get(old["download_url"]).status_code == 404
    detail = client.get(reverse("api-return-message", args=[returned.pk])).json()
    assert detail["version"] == 2
    assert client.get(detail["files"][0]["download_url"]).status_code == 200


def test_attorney_filing_sends_the_message_to_the_attorney(reviewer):
    attorney = AttorneyFactory()
    message = return_it(reviewing_application(applicant=attorney), reviewer)
    built(message)
    assert message.recipient == attorney
    rows = api_for(attorney).get(reverse("api-return-messages")).json()["results"]
    assert [r["id"] for r in rows] == [message.pk]
    pdf = message.packages.get().files.get(kind=FileKind.NOTICE).file.read()
    text = PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    assert "様の申請について" in text


def test_web_mailbox_and_message_page(client, returned):
    client.force_login(returned.recipient)
    page = client.get(reverse("returns:mailbox")).content.decode()
    assert returned.subject in page and "未読" in page
    page = client.get(reverse("returns:message", args=[returned.pk])).content.decode()
    assert "添付書類の不足" in page and 'id="download-all"' in page
    other = MemberUserFactory()
    client.force_login(other)
    assert client.get(reverse("returns:message", args=[returned.pk])).status_code == 404


def test_resubmission_schema_is_published(client):
    response = client.get(reverse("api-return-resubmission-schema"))
    assert response.status_code == 200
    assert response.json()["properties"]["format"]["const"] == "kyoukai-kenpo-resubmission"
