"""Submitting an application (all or nothing, idempotent) and the same checks without writing
(the confirmation step)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.http import HttpRequest

from applications import clock
from applications.forms_catalogue import FormDataError
from applications.models import (
    Application,
    ApplicationAttachment,
    ApplicationStatus,
    ReceiptCounter,
    StatusChange,
)
from applications.services.filing.drafts import _check_draft, _lock_draft
from applications.services.filing.errors import FilingConflict
from applications.services.filing.receipts import _next_receipt_number
from applications.services.filing.rules import ensure_service_open
from applications.services.filing.storage import _attachment_row, _delete, _store
from applications.services.filing.validation import Attachment, _fill, _form, _validated
from core.audit import record_event
from core.jp.calendar import JST
from core.models import AuditEvent
from eligibility.models import EligibilityRecord

#: Idempotency-Key: 1–64 visible ASCII characters (a UUID is typical).
IDEMPOTENCY_KEY_RE = re.compile(r"[\x21-\x7e]{1,64}")


@dataclass(frozen=True)
class SubmitOutcome:
    application: Application
    #: False when an earlier submission with the same Idempotency-Key was returned.
    created: bool


def application_submit_outcome(
    *,
    applicant: Any,
    record: EligibilityRecord,
    form_code: str,
    data: Mapping[str, Any],
    bank_account: Mapping[str, Any] | None,
    attachments: Sequence[Attachment],
    idempotency_key: str,
    now: datetime | None = None,
    resubmission_of: Application | None = None,
    draft: Application | None = None,
    request: HttpRequest | None = None,
) -> SubmitOutcome:
    """File an application, all or nothing, and say whether it is new.

    Raises :class:`FormDataError` (everything to correct, at once), :class:`ServiceClosed`,
    :class:`FilingNotAllowed` or :class:`FilingConflict`. A known Idempotency-Key returns the
    application filed with it (``created=False``) before any other check.
    """
    now = now or clock.now()
    key = _idempotency_key(idempotency_key)
    existing = _filed_with_key(applicant, key)
    if existing is not None:
        return SubmitOutcome(_same_request(existing, form_code), created=False)

    ensure_service_open(user=applicant, now=now)
    form = _form(form_code)
    if draft is not None:
        _check_draft(draft, applicant, form)
    today = now.astimezone(JST).date()
    cleaned, bank, uploads = _validated(
        applicant=applicant,
        record=record,
        form=form,
        data=data,
        bank_account=bank_account,
        attachments=attachments,
        today=today,
        resubmission_of=resubmission_of,
        draft=draft,
    )

    day = today
    ReceiptCounter.objects.get_or_create(day=day)
    written: list[str] = []
    try:
        stored = [(kind, upload, _store(upload, now, written)) for kind, upload in uploads]
        with transaction.atomic():
            application = _lock_draft(draft, applicant) if draft is not None else None
            application = application or Application(applicant=applicant)
            _fill(application, record=record, form=form)
            application.receipt_number = _next_receipt_number(day)
            application.status = ApplicationStatus.RECEIVED
            application.status_comment = ""
            application.data = cleaned
            application.bank_account = bank
            application.resubmission_of = resubmission_of
            application.idempotency_key = key
            application.submitted_at = now
            application.save()
            ApplicationAttachment.objects.bulk_create(
                [_attachment_row(application, kind, upload, name) for kind, upload, name in stored]
            )
            StatusChange.objects.create(
                application=application,
                from_status="",
                to_status=ApplicationStatus.RECEIVED,
                actor=applicant,
                at=now,
            )
            record_event(
                actor=applicant,
                action=AuditEvent.Action.CREATE,
                obj=application,
                changes={
                    "receipt_number": application.receipt_number,
                    "form_code": form.code,
                    "form_version": form.version,
                    "attachments": len(stored),
                    "resubmission_of": resubmission_of.pk if resubmission_of else None,
                    "from_draft": draft is not None,
                },
                request=request,
            )
    except IntegrityError:
        _delete(written)
        existing = _filed_with_key(applicant, key)
        if existing is None:
            raise
        return SubmitOutcome(_same_request(existing, form_code), created=False)
    except BaseException:
        _delete(written)
        raise
    return SubmitOutcome(application, created=True)


def application_check(
    *,
    applicant: Any,
    record: EligibilityRecord,
    form_code: str,
    data: Mapping[str, Any],
    bank_account: Mapping[str, Any] | None,
    attachments: Sequence[Attachment],
    now: datetime | None = None,
    resubmission_of: Application | None = None,
    draft: Application | None = None,
) -> None:
    """Every check :func:`application_submit_outcome` makes on the content, writing nothing
    and at any hour (the member site's confirmation step). Raises :class:`FormDataError` or
    :class:`FilingNotAllowed` exactly as a submission would."""
    now = now or clock.now()
    form = _form(form_code)
    if draft is not None:
        _check_draft(draft, applicant, form)
    _validated(
        applicant=applicant,
        record=record,
        form=form,
        data=data,
        bank_account=bank_account,
        attachments=attachments,
        today=now.astimezone(JST).date(),
        resubmission_of=resubmission_of,
        draft=draft,
    )


def _idempotency_key(key: str) -> str:
    if not IDEMPOTENCY_KEY_RE.fullmatch(key or ""):
        raise FormDataError(
            {
                "idempotency_key": [
                    "Idempotency-Key ヘッダーに、申請ごとに異なる64文字以内の英数字"
                    "（UUID など）を指定してください。"
                ]
            }
        )
    return key


def _filed_with_key(applicant: Any, key: str) -> Application | None:
    return Application.objects.filter(applicant_id=applicant.pk, idempotency_key=key).first()


def _same_request(existing: Application, form_code: str) -> Application:
    if existing.form_code != form_code:
        raise FilingConflict(
            f"この Idempotency-Key は別の申請（受付番号 {existing.receipt_number}）に使用済みです。"
            "新しい申請には新しいキーを指定してください。"
        )
    return existing
