"""Checking an application's content before anything is written: data, bank account, files,
resubmission; every problem is collected and reported at once."""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from typing import Any

from django.utils.translation import gettext as _

from applications.bank import validate_bank_account
from applications.forms_catalogue import (
    FormDataError,
    FormDefinition,
    UnknownFormError,
    get_form,
    validate_attachments,
    validate_form_data,
)
from applications.models import Application, ApplicationStatus
from applications.services.filing.rules import may_file
from core.uploads import CleanUpload, UploadError, validate_upload
from eligibility.models import EligibilityRecord
from eligibility.rules.dates import is_eligible_on

#: One uploaded file: (attachment code of the form, file name as sent, content).
Attachment = tuple[str, str, bytes]


#: Threads used to check and re-encode several images of one submission at once (Pillow
#: releases the GIL while decoding and encoding).
UPLOAD_WORKERS = 4


def _validated(
    *,
    applicant: Any,
    record: EligibilityRecord,
    form: FormDefinition,
    data: Mapping[str, Any],
    bank_account: Mapping[str, Any] | None,
    attachments: Sequence[Attachment],
    today: date,
    resubmission_of: Application | None,
    draft: Application | None,
) -> tuple[dict[str, Any], dict[str, Any] | None, list[tuple[str, CleanUpload]]]:
    """(cleaned data, bank account, checked uploads), or FormDataError with every problem."""
    may_file(user=applicant, record=record, form=form)
    errors: dict[str, list[str]] = {}
    if getattr(applicant, "is_attorney", False) and not is_eligible_on(
        acquired=record.acquired_on, lost=record.lost_on, on=today
    ):
        _add(errors, "record", _("この資格情報は本日時点で有効ではないため申請できません。"))
    cleaned = _clean_data(form, data, today, errors)
    bank = _clean_bank(form, bank_account, errors)
    uploads = _clean_attachments(form, attachments, cleaned, errors)
    if resubmission_of is not None:
        for message in _resubmission_problems(resubmission_of, applicant, form, draft):
            _add(errors, "resubmission_of", message)
    if errors:
        raise FormDataError(errors)
    return cleaned, bank, uploads


def _add(errors: dict[str, list[str]], key: str, message: str) -> None:
    errors.setdefault(key, []).append(message)


def _form(form_code: str) -> FormDefinition:
    try:
        return get_form(form_code)
    except UnknownFormError:
        message = f"申請書「{form_code}」は見つかりません。申請書の一覧から選択してください。"
        raise FormDataError({"form_code": [message]}) from None


def _fill(application: Application, *, record: EligibilityRecord, form: FormDefinition) -> None:
    """The member fields, from the record only (資格選択)."""
    application.record = record
    application.branch_id = record.branch_id
    application.insurer_name = record.branch.insurer_name
    application.symbol = record.symbol
    application.number = record.number
    application.branch_number = record.branch_number
    application.name = record.name
    application.name_kana = record.name_kana
    application.sex = record.sex if form.shows_sex else ""
    application.birth_date = record.birth_date
    application.form_code = form.code
    application.form_version = form.version


def _clean_data(
    form: FormDefinition, data: Mapping[str, Any], today: date, errors: dict[str, list[str]]
) -> dict[str, Any]:
    try:
        return validate_form_data(form, data, today=today)
    except FormDataError as exc:
        for name, messages in exc.errors.items():
            for message in messages:
                _add(errors, f"data.{name}", message)
        return {}


def _clean_bank(
    form: FormDefinition, bank_account: Mapping[str, Any] | None, errors: dict[str, list[str]]
) -> dict[str, Any] | None:
    if not form.pays_money:
        if bank_account:
            _add(errors, "bank_account", f"「{form.name}」では振込先の口座情報は不要です。")
        return None
    if not bank_account:
        _add(errors, "bank_account", _("給付金の振込先の口座情報を入力してください。"))
        return None
    try:
        account = validate_bank_account(bank_account)
    except FormDataError as exc:
        for name, messages in exc.errors.items():
            for message in messages:
                _add(errors, f"bank_account.{name}", message)
        return None
    return {**dataclasses.asdict(account), "account_type_label": account.account_type_label}


def _check_upload(item: Attachment) -> CleanUpload | UploadError:
    _kind, filename, content = item
    try:
        return validate_upload(content, filename=filename)
    except UploadError as exc:
        return exc


def _clean_attachments(
    form: FormDefinition,
    attachments: Sequence[Attachment],
    cleaned: Mapping[str, Any],
    errors: dict[str, list[str]],
) -> list[tuple[str, CleanUpload]]:
    """Each file checked by content (images re-encoded without metadata), then the counts per
    attachment code against the form (required, required_when, max_count)."""
    known = {spec.code for spec in form.attachments}
    for kind, _name, _content in attachments:
        if kind not in known:
            _add(errors, f"attachments.{kind}", f"「{kind}」は{form.name}の添付書類にありません。")
    if len(attachments) > 1:
        with ThreadPoolExecutor(max_workers=min(UPLOAD_WORKERS, len(attachments))) as pool:
            results = list(pool.map(_check_upload, attachments))
    else:
        results = [_check_upload(item) for item in attachments]
    uploads: list[tuple[str, CleanUpload]] = []
    for (kind, filename, _content), result in zip(attachments, results, strict=True):
        if isinstance(result, UploadError):
            _add(errors, "attachments", f"{_display_name(filename)}: {result.message}")
        else:
            uploads.append((kind, result))
    counts = Counter(kind for kind, _name, _content in attachments if kind in known)
    try:
        # With invalid form data the conditional requirements cannot be evaluated: the
        # unconditional ones and the maximum counts still are.
        validate_attachments(form, cleaned, counts)
    except FormDataError as exc:
        for code, messages in exc.errors.items():
            for message in messages:
                _add(errors, f"attachments.{code}", message)
    return uploads


def _display_name(filename: str) -> str:
    name = (filename or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(c for c in name if c.isprintable())
    return f"「{name[:100]}」" if name else "添付ファイル"


def _resubmission_problems(
    original: Application, applicant: Any, form: FormDefinition, draft: Application | None
) -> list[str]:
    if original.applicant_id != applicant.pk:
        return ["再申請元の申請が見つかりません。"]
    problems: list[str] = []
    if original.status != ApplicationStatus.RETURNED:
        number = original.receipt_number or "―"
        problems.append(
            f"再申請できるのは「返戻」となった申請のみです（受付番号 {number} は"
            f"「{original.get_status_display()}」です）。"
        )
    if original.form_code != form.code:
        problems.append(
            f"再申請は返戻された申請と同じ申請書（{_form_name(original.form_code)}）で行ってください。"
        )
    others = Application.objects.filter(resubmission_of=original).exclude(
        status=ApplicationStatus.DRAFT
    )
    if draft is not None:
        others = others.exclude(pk=draft.pk)
    if not problems and others.exists():
        problems.append(
            f"受付番号 {original.receipt_number} の申請は既に再申請されています。"
            "申請状況を確認してください。"
        )
    return problems


def _form_name(code: str) -> str:
    try:
        return get_form(code).name
    except UnknownFormError:
        return code
