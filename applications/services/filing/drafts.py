"""Drafts (下書き): saved at any hour, stored as entered; locking a draft being submitted."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django.db import transaction
from django.http import HttpRequest

from applications.bank import FIELDS as BANK_FIELDS
from applications.forms_catalogue import FormDataError, FormDefinition
from applications.models import Application, ApplicationStatus
from applications.services.filing.errors import FilingConflict, FilingNotAllowed
from applications.services.filing.rules import may_file
from applications.services.filing.validation import _add, _fill, _form, _resubmission_problems
from core.audit import record_event
from core.models import AuditEvent
from eligibility.models import EligibilityRecord

#: Longest text value kept in a draft (the longest form field allows 1,000 characters).
DRAFT_MAX_TEXT = 2000


#: Why a draft with files is refused (shown to the applicant).
DRAFT_ATTACHMENTS_REFUSED = (
    "下書きには添付ファイルを保存できません。添付ファイルを外して下書きを保存し、"
    "申請（送信）するときに添付してください。"
)


def application_save_draft(
    *,
    applicant: Any,
    record: EligibilityRecord,
    form_code: str,
    data: Mapping[str, Any],
    bank_account: Mapping[str, Any] | None = None,
    draft: Application | None = None,
    resubmission_of: Application | None = None,
    request: HttpRequest | None = None,
    attachments: Sequence[Any] = (),
) -> Application:
    """Create or update a draft (下書き): at any hour, data stored as entered (only its shape is
    checked: known fields, plain values); the full check happens on submission.

    A draft holds no files: ``attachments`` sent with it are refused (FormDataError on
    ``attachments``), never silently dropped; they are sent when the draft is submitted."""
    form = _form(form_code)
    may_file(user=applicant, record=record, form=form)
    errors: dict[str, list[str]] = {}
    if attachments:
        _add(errors, "attachments", DRAFT_ATTACHMENTS_REFUSED)
    known = set(form.field_names)
    for key, value in data.items():
        if key not in known:
            _add(errors, f"data.{key}", f"「{key}」は{form.name}にない項目です。")
        elif not _plain_value(value):
            _add(errors, f"data.{key}", f"{form.field(key).label}の値の形式が正しくありません。")
    bank = dict(bank_account or {})
    if bank and not form.pays_money:
        _add(errors, "bank_account", f"「{form.name}」では振込先の口座情報は不要です。")
    for key, value in bank.items():
        if key not in BANK_FIELDS:
            _add(errors, f"bank_account.{key}", f"「{key}」は口座情報にない項目です。")
        elif not _plain_value(value):
            _add(errors, f"bank_account.{key}", "値の形式が正しくありません。")
    if resubmission_of is not None:
        for message in _resubmission_problems(resubmission_of, applicant, form, draft):
            _add(errors, "resubmission_of", message)
    if errors:
        raise FormDataError(errors)

    with transaction.atomic():
        if draft is not None:
            application = _lock_draft(draft, applicant)
        else:
            application = Application(applicant=applicant, status=ApplicationStatus.DRAFT)
        _fill(application, record=record, form=form)
        application.data = dict(data)
        application.bank_account = bank or None
        application.resubmission_of = resubmission_of
        application.save()
        record_event(
            actor=applicant,
            action=AuditEvent.Action.UPDATE if draft is not None else AuditEvent.Action.CREATE,
            obj=application,
            changes={"draft": True, "form_code": form.code},
            request=request,
        )
    return application


def _plain_value(value: Any) -> bool:
    if isinstance(value, str):
        return len(value) <= DRAFT_MAX_TEXT
    return value is None or isinstance(value, bool | int)


def _check_draft(draft: Application, applicant: Any, form: FormDefinition) -> None:
    if draft.applicant_id != applicant.pk:
        raise FilingNotAllowed("この下書きを申請する権限がありません。")
    if draft.status != ApplicationStatus.DRAFT:
        raise FilingConflict(_already_filed(draft))
    if draft.form_code != form.code:
        message = "下書きと異なる申請書では申請できません。新しく申請を作成してください。"
        raise FormDataError({"form_code": [message]})


def _already_filed(application: Application) -> str:
    return (
        f"この申請は既に受付済みです（受付番号 {application.receipt_number}）。"
        "内容を変更する場合は、返戻後に再申請してください。"
    )


def _lock_draft(draft: Application, applicant: Any) -> Application:
    """The draft row, locked for this transaction; FilingConflict when it was filed meanwhile."""
    locked = Application.objects.select_for_update().get(pk=draft.pk)
    if locked.applicant_id != applicant.pk:
        raise FilingNotAllowed("この下書きを変更する権限がありません。")
    if locked.status != ApplicationStatus.DRAFT:
        raise FilingConflict(_already_filed(locked))
    return locked
