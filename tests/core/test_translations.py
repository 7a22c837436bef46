"""Translations of the member site: every member-facing string has English, the catalogue's
texts are listed for makemessages, and the pages switch language and remember it."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation

from applications.forms_catalogue.translation import catalogue_texts, messages_module
from core.i18n_check import po_path, untranslated
from tests.applications.filing_support import OPEN_AT, clock_at, insured_member


@pytest.fixture(autouse=True)
def _back_to_japanese():
    """A request in English leaves English active in this thread (LocaleMiddleware does not
    deactivate it): later tests calling the services directly expect Japanese."""
    yield
    translation.activate(settings.LANGUAGE_CODE)


def test_every_member_facing_string_has_english():
    assert untranslated("en") == []


def test_catalogue_message_list_is_current():
    """Run ``manage.py catalogue_messages`` (then makemessages) after changing the catalogue."""
    path = po_path("en").parents[3] / "applications" / "forms_catalogue" / "messages.py"
    assert path.read_text(encoding="utf-8") == messages_module()
    assert "傷病手当金支給申請書" in catalogue_texts()


def test_compiled_catalogue_exists():
    """CI compiles the catalogues (scripts/setup.sh runs compilemessages)."""
    assert po_path("en").with_suffix(".mo").exists()
    assert "en" in dict(settings.LANGUAGES)


@pytest.mark.django_db
def test_switcher_remembers_english_and_pages_are_english(client):
    user, record = insured_member()
    client.force_login(user)
    response = client.post(
        reverse("set_language"), {"language": "en", "next": "/applications/file/"}
    )
    assert response.status_code == 302
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    body = client.get(reverse("applications:file-catalogue")).content.decode()
    assert '<html lang="en">' in body
    assert "Choose a form" in body and "Application for sickness and injury allowance" in body
    assert "Benefits" in body and "Health services" in body
    with clock_at(OPEN_AT):
        client.post(reverse("applications:file-record", args=["gendogaku"]), {"record": record.pk})
    from applications.models import Application

    draft = Application.objects.get(applicant=user)
    body = client.get(reverse("applications:file-entry", args=[draft.pk])).content.decode()
    assert "Month from which it should apply" in body and "Save as draft" in body
    assert "Enter this when" in body  # required_when note
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "ja"
    assert "申請書を選ぶ" in client.get(reverse("applications:file-catalogue")).content.decode()


@pytest.mark.django_db
def test_validation_messages_follow_the_page_language(client):
    """The catalogue's and the bank account's messages, beside their field, in English."""
    from applications.models import Application

    user, record = insured_member()
    client.force_login(user)
    with clock_at(OPEN_AT):
        client.post(
            reverse("applications:file-record", args=["shobyo_teate"]), {"record": record.pk}
        )
    draft = Application.objects.get(applicant=user)
    url = reverse("applications:file-entry", args=[draft.pk])
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    with clock_at(OPEN_AT):
        body = client.post(
            url,
            {"action": "confirm", "data.third_party": "true", "bank_account.bank_code": "12"},
        ).content.decode()
    assert "Enter &quot;Illness or injury&quot;." in body
    assert "The bank code is 4 digits." in body
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "ja"
    with clock_at(OPEN_AT):
        body = client.post(url, {"action": "confirm"}).content.decode()
    assert "傷病名を入力してください。" in body


@pytest.mark.django_db
def test_service_hours_and_record_messages_in_english(client):
    from datetime import datetime

    from applications.models import Application
    from core.jp.calendar import JST

    user, record = insured_member()
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    with clock_at(OPEN_AT):
        body = client.post(reverse("applications:file-record", args=["gendogaku"])).content.decode()
        assert "Choose the eligibility record to file with." in body
        client.post(reverse("applications:file-record", args=["gendogaku"]), {"record": record.pk})
    draft = Application.objects.get(applicant=user)
    with clock_at(datetime(2026, 3, 14, 10, 0, tzinfo=JST)):  # a Saturday
        body = client.get(reverse("applications:file-entry", args=[draft.pk])).content.decode()
    assert "Online filing is closed now." in body and "2026-03-16 08:00" in body


@pytest.mark.django_db
def test_refused_upload_message_in_english(client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from applications.models import Application

    user, record = insured_member()
    client.force_login(user)
    with clock_at(OPEN_AT):
        client.post(
            reverse("applications:file-record", args=["gendogaku_gengaku"]), {"record": record.pk}
        )
    draft = Application.objects.get(applicant=user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    note = SimpleUploadedFile("note.txt", b"plain text")
    body = client.post(
        reverse("applications:file-entry", args=[draft.pk]),
        {"action": "upload", "file.tax_exempt_certificate": note},
    ).content.decode()
    assert "note.txt: This file type is not supported." in body
