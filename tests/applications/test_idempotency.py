"""A retried submission (same Idempotency-Key) returns the application already filed."""

from __future__ import annotations

import threading
from unittest import mock

import pytest
from django.db import connection

from applications.forms_catalogue import get_form
from applications.models import Application, ApplicationAttachment, StatusChange
from applications.services import filing
from applications.services.filing import submission
from core.models import AuditEvent
from tests.applications.filing_support import (
    OPEN_AT,
    client_for,
    filing_payload,
    insured_member,
    new_key,
    png_bytes,
    stored_files,
    submit,
    valid_data,
)
from tests.factories.applications import ApplicationFactory

FORM = "tokutei_shippei"


def counts() -> tuple[int, int, int, int]:
    return (
        Application.objects.count(),
        ApplicationAttachment.objects.count(),
        StatusChange.objects.count(),
        AuditEvent.objects.filter(object_type="applications.application").count(),
    )


@pytest.mark.django_db
def test_a_retry_returns_the_same_application_and_creates_nothing(settings):
    user, record = insured_member()
    client = client_for(user)
    key = new_key()
    first = submit(client, filing_payload(get_form(FORM), record=record), key=key)
    assert first.status_code == 201
    before, files = counts(), stored_files(settings.MEDIA_ROOT)

    retry = submit(client, filing_payload(get_form(FORM), record=record), key=key)
    assert retry.status_code == 200
    assert retry.json()["id"] == first.json()["id"]
    assert retry.json()["receipt_number"] == first.json()["receipt_number"]
    assert counts() == before
    assert stored_files(settings.MEDIA_ROOT) == files


@pytest.mark.django_db
def test_a_retry_after_closing_time_still_returns_the_application():
    from datetime import datetime

    from core.jp.calendar import JST

    user, record = insured_member()
    key = new_key()
    payload = filing_payload(get_form(FORM), record=record)
    first = submit(client_for(user), payload, key=key, at=datetime(2026, 3, 11, 20, 59, tzinfo=JST))
    payload = filing_payload(get_form(FORM), record=record)
    late = submit(client_for(user), payload, key=key, at=datetime(2026, 3, 11, 21, 1, tzinfo=JST))
    assert late.status_code == 200 and late.json()["id"] == first.json()["id"]


@pytest.mark.django_db
def test_two_keys_make_two_applications_with_consecutive_receipt_numbers():
    user, record = insured_member()
    client = client_for(user)
    a = submit(client, filing_payload(get_form(FORM), record=record)).json()
    b = submit(client, filing_payload(get_form(FORM), record=record)).json()
    assert a["id"] != b["id"]
    assert int(b["receipt_number"]) == int(a["receipt_number"]) + 1
    assert Application.objects.count() == 2


@pytest.mark.django_db
def test_the_same_key_of_another_applicant_is_independent():
    key = new_key()
    for _ in range(2):
        user, record = insured_member()
        assert submit(client_for(user), filing_payload(get_form(FORM), record=record),
                      key=key).status_code == 201
    assert Application.objects.count() == 2


@pytest.mark.django_db
def test_the_key_is_required_for_a_submission():
    from django.urls import reverse

    from tests.applications.filing_support import clock_at

    user, record = insured_member()
    with clock_at(OPEN_AT):
        response = client_for(user).post(
            reverse("api-applications"), filing_payload(get_form(FORM), record=record),
            format="multipart",
        )
    assert response.status_code == 400
    assert "Idempotency-Key" in response.json()["errors"]["idempotency_key"][0]
    assert not Application.objects.exists()


@pytest.mark.django_db
def test_a_key_reused_for_another_form_is_a_conflict():
    user, record = insured_member()
    key = new_key()
    submit(client_for(user), filing_payload(get_form(FORM), record=record), key=key)
    other = submit(client_for(user), filing_payload(get_form("gendogaku"), record=record),
                   key=key)
    assert other.status_code == 409
    assert "使用済み" in other.json()["detail"]


@pytest.mark.django_db
def test_a_race_lost_on_the_unique_constraint_returns_the_winner(settings):
    """The other request committed between our look-up and our insert: the unique constraint
    refuses ours; the winner is returned and our files are deleted."""
    user, record = insured_member()
    key = new_key()
    winner = ApplicationFactory(applicant=user, record=record, form_code=FORM,
                                idempotency_key=key)
    real = submission._filed_with_key
    calls = iter([None])
    with mock.patch.object(submission, "_filed_with_key",
                           side_effect=lambda *a: next(calls, None) or real(*a)):
        outcome = filing.application_submit_outcome(
            applicant=user, record=record, form_code=FORM, data=valid_data(get_form(FORM)),
            bank_account=None, attachments=[("doctor_opinion", "a.png", png_bytes())],
            idempotency_key=key, now=OPEN_AT,
        )
    assert outcome.created is False and outcome.application.pk == winner.pk
    assert Application.objects.count() == 1
    assert stored_files(settings.MEDIA_ROOT) == []


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_requests_with_one_key_file_once():
    if connection.vendor != "postgresql":
        pytest.skip("real concurrency needs PostgreSQL")
    user, record = insured_member()
    key = new_key()
    form = get_form(FORM)
    results: list[object] = []
    barrier = threading.Barrier(4)

    def run() -> None:
        from django.db import connections

        try:
            barrier.wait()
            results.append(filing.application_submit_outcome(
                applicant=user, record=record, form_code=FORM, data=valid_data(form),
                bank_account=None, attachments=[("doctor_opinion", "a.png", png_bytes())],
                idempotency_key=key, now=OPEN_AT,
            ))
        except Exception as exc:  # pragma: no cover - reported below
            results.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(isinstance(r, filing.SubmitOutcome) for r in results), results
    assert sum(r.created for r in results) == 1  # type: ignore[attr-defined]
    assert len({r.application.pk for r in results}) == 1  # type: ignore[attr-defined]
    assert Application.objects.count() == 1
