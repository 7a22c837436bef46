"""Filing electronic applications (電子申請): drafts and submissions by members and attorneys.

The rules (seed 000 and the issue):

* Who: insured persons (被保険者, 任意継続被保険者) file every form; dependents (被扶養者) only
  forms with ``dependents_may_file``; 社会保険労務士 every form but 保健事業
  (``attorneys_may_file``), on behalf of a member identified by 記号・番号・枝番 and 生年月日 of a
  record eligible on the day; staff who take in paper applications (the permission
  ``applications.add_application``: the role 審査担当) file any form for a record of their
  branch, headquarters for any branch; every other staff account (発送担当, 管理者 without the
  role) is refused with :class:`FilingNotAllowed` (403).
* When: members and attorneys submit on business days 08:00–21:00 JST
  (:mod:`core.jp.calendar`); staff at any time; drafts at any time.
* What: the member fields (保険者名称, 記号・番号・枝番, 氏名, フリガナ, 性別 where the form shows
  it, 生年月日) are copied from the record, never taken from the client.
* How: everything is validated first and every problem is reported at once
  (:class:`FormDataError` keyed ``data.<field>``, ``bank_account.<field>``, ``attachments``,
  ``attachments.<code>``, ``record``, ``resubmission_of``, ``form_code``); then one transaction
  writes the application, its attachments, the 受付番号, the status history and the audit
  event. Files are written before the transaction and deleted again if it fails.
* Retries: (applicant, Idempotency-Key) identifies a submission; a retry returns the
  application already filed, also when two requests race (the unique constraint decides).
"""

from __future__ import annotations

import contextlib
import dataclasses
import re
import uuid
from collections import Counter
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils.http import http_date
from django.utils.translation import gettext as _

from applications import clock
from applications.bank import FIELDS as BANK_FIELDS
from applications.bank import validate_bank_account
from applications.forms_catalogue import (
    FormDataError,
    FormDefinition,
    UnknownFormError,
    all_forms,
    get_form,
    validate_attachments,
    validate_form_data,
)
from applications.models import (
    Application,
    ApplicationAttachment,
    ApplicationStatus,
    ReceiptCounter,
    StatusChange,
)
from applications.selectors import own_record, record_by_identity
from core.audit import record_event
from core.errors import Conflict, NotAllowed, ServiceError
from core.jp.calendar import JST, is_service_open, next_service_opening, service_closed_message
from core.models import AuditEvent, User
from core.uploads import CleanUpload, UploadError, validate_upload
from eligibility.models import EligibilityRecord
from eligibility.rules.dates import is_eligible_on
from eligibility.selectors import records_for_member

#: One uploaded file: (attachment code of the form, file name as sent, content).
Attachment = tuple[str, str, bytes]

#: Idempotency-Key: 1–64 visible ASCII characters (a UUID is typical).
IDEMPOTENCY_KEY_RE = re.compile(r"[\x21-\x7e]{1,64}")
#: Serial digits of the 受付番号 (YYYYMMDD + serial = 16 characters).
RECEIPT_SERIAL_DIGITS = 8
#: Longest text value kept in a draft (the longest form field allows 1,000 characters).
DRAFT_MAX_TEXT = 2000
#: Threads used to check and re-encode several images of one submission at once (Pillow
#: releases the GIL while decoding and encoding).
UPLOAD_WORKERS = 4

Kind = EligibilityRecord.Kind


# --- errors ----------------------------------------------------------------------------------


class FilingNotAllowed(NotAllowed):
    """This user may not file this form with this record; ``message`` is for the user."""

    code = "filing_not_allowed"


class ServiceClosed(ServiceError):
    """Submitted outside the service hours; ``message`` says when filing reopens.

    403, not 423 nor 503: the request is understood and refused by a rule of the current
    time; ``Retry-After`` says when to come back (applications.api.views explains)."""

    code = "service_closed"
    status = 403

    def __init__(self, *, message: str, reopens_at: datetime) -> None:
        super().__init__(message)
        self.reopens_at = reopens_at

    def headers(self) -> dict[str, str]:
        return {"Retry-After": http_date(self.reopens_at.timestamp())}


class FilingConflict(Conflict):
    """The request contradicts what is stored (a draft already submitted, a key reused for
    another form); ``message`` is for the user."""

    code = "filing_conflict"


@dataclass(frozen=True)
class SubmitOutcome:
    application: Application
    #: False when an earlier submission with the same Idempotency-Key was returned.
    created: bool


# --- who and when ----------------------------------------------------------------------------


#: The permission a staff user needs to file for a member (core.roles.REVIEWER has it).
FILE_PERMISSION = "applications.add_application"
_STAFF_REFUSED = "電子申請を行う権限がありません。"


def is_filing_staff(user: Any) -> bool:
    """Active staff allowed to file for a member (paper intake)."""
    return bool(
        getattr(user, "kind", None) == User.Kind.STAFF
        and getattr(user, "is_staff", False)
        and getattr(user, "is_active", False)
        and user.has_perm(FILE_PERMISSION)
    )


def _is_applicant(user: Any) -> bool:
    return bool(getattr(user, "is_member", False) or getattr(user, "is_attorney", False))


def ensure_service_open(*, user: Any, now: datetime) -> None:
    """Raise :class:`ServiceClosed` outside the service hours; staff are not limited, nor
    anyone when the demo setting ``FILING_ANY_HOUR`` is on."""
    if is_filing_staff(user) or settings.FILING_ANY_HOUR or is_service_open(now):
        return
    raise ServiceClosed(message=service_closed_message(now), reopens_at=next_service_opening(now))


def may_file(*, user: Any, record: EligibilityRecord, form: FormDefinition) -> None:
    """Raise :class:`FilingNotAllowed` unless ``user`` may file ``form`` with ``record``."""
    if getattr(user, "is_member", False):
        if record.person.user_id != user.pk:
            raise FilingNotAllowed(
                _("選択された資格情報では申請できません。ご本人の資格情報を選択してください。")
            )
    elif getattr(user, "is_attorney", False):
        if not form.attorneys_may_file:
            raise FilingNotAllowed(
                _(
                    "「%(form)s」は保健事業の申請書のため、社会保険労務士の方は電子申請できません。"
                    "加入者ご本人が申請してください。"
                )
                % {"form": _(form.name)}
            )
    elif not is_filing_staff(user):
        raise FilingNotAllowed(_STAFF_REFUSED)
    elif not (user.is_headquarters or record.branch_id == user.branch_id):
        # Staff file only for their branch's members (headquarters: any branch).
        raise FilingNotAllowed("他の支部の資格情報では申請できません。")
    if record.kind == Kind.DEPENDENT and not form.dependents_may_file:
        raise FilingNotAllowed(
            _(
                "「%(form)s」は被扶養者（ご家族）の資格では申請できません。"
                "被保険者の方の資格情報で申請してください。"
            )
            % {"form": _(form.name)}
        )


def forms_for(*, user: Any) -> list[FormDefinition]:
    """The forms (latest versions) ``user`` may file with at least one of their records.

    A member with only dependent records sees the forms dependents may file; attorneys see
    all but 保健事業; staff see every form.
    """
    forms = list(all_forms())
    if is_filing_staff(user):
        return forms
    if getattr(user, "is_attorney", False):
        return [f for f in forms if f.attorneys_may_file]
    if not getattr(user, "is_member", False):
        return []
    kinds = set(records_for_member(user=user).values_list("kind", flat=True).distinct())
    if kinds - {Kind.DEPENDENT}:
        return forms
    if kinds:
        return [f for f in forms if f.dependents_may_file]
    return []


def filing_record(
    *,
    user: Any,
    now: datetime,
    record_id: int | None = None,
    symbol: str | None = None,
    number: str | None = None,
    branch_number: str | None = None,
    birth_date: date | None = None,
) -> EligibilityRecord:
    """The record an application is filed with (資格選択).

    Members choose one of their own records by id. Attorneys (and staff) name it by
    記号・番号・枝番 and 生年月日, which must all match; for attorneys the record must also be
    eligible today (JST). Raises :class:`FormDataError` (``record``, or the missing inputs),
    or :class:`FilingNotAllowed` for a user who may not file at all (before any look-up, so
    that nobody else learns whether a record exists).
    """
    if not _is_applicant(user) and not is_filing_staff(user):
        raise FilingNotAllowed(_STAFF_REFUSED)
    if getattr(user, "is_member", False):
        if record_id is None:
            raise FormDataError({"record": [_("申請に使う資格情報を選択してください。")]})
        record = own_record(user=user, record_id=record_id)
        if record is None:
            raise FormDataError(
                {
                    "record": [
                        _(
                            "選択された資格情報が見つかりません。"
                            "資格情報の一覧から選択し直してください。"
                        )
                    ]
                }
            )
        return record

    if record_id is not None:
        raise FormDataError(
            {"record": ["資格情報は記号・番号・枝番と生年月日で指定してください。"]}
        )
    given = {"symbol": symbol, "number": number, "branch_number": branch_number}
    missing = {
        name: [message]
        for (name, value), message in zip(
            given.items(),
            (
                _("記号を入力してください。"),
                _("番号を入力してください。"),
                _("枝番を入力してください。"),
            ),
            strict=True,
        )
        if not (value or "").strip()
    }
    if birth_date is None:
        missing["birth_date"] = [_("生年月日を入力してください。")]
    if missing:
        raise FormDataError(missing)
    assert symbol and number and branch_number and birth_date
    attorney = getattr(user, "is_attorney", False)
    matches = record_by_identity(
        symbol=symbol,
        number=number,
        branch_number=branch_number,
        birth_date=birth_date,
        current_on=now.astimezone(JST).date() if attorney else None,
        staff=None if attorney else user,
    )
    if not matches:
        message = (
            _(
                "記号・番号・枝番・生年月日のすべてに一致する本日時点で有効な資格情報が"
                "見つかりません。資格情報のお知らせ等で記号・番号・枝番と、"
                "加入者の生年月日を確認してください。"
            )
            if attorney
            else _(
                "記号・番号・枝番・生年月日のすべてに一致する資格情報が見つかりません。"
                "資格情報のお知らせ等で記号・番号・枝番と、加入者の生年月日を確認してください。"
            )
        )
        raise FormDataError({"record": [message]})
    if len(matches) > 1:
        raise FormDataError(
            {
                "record": [
                    _(
                        "記号・番号・枝番・生年月日に一致する資格情報が複数あるため特定できません。"
                        "協会けんぽの支部にお問い合わせください。"
                    )
                ]
            }
        )
    return matches[0]


# --- drafts ----------------------------------------------------------------------------------


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


# --- submission ------------------------------------------------------------------------------


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


# --- helpers ---------------------------------------------------------------------------------


def _add(errors: dict[str, list[str]], key: str, message: str) -> None:
    errors.setdefault(key, []).append(message)


def _plain_value(value: Any) -> bool:
    if isinstance(value, str):
        return len(value) <= DRAFT_MAX_TEXT
    return value is None or isinstance(value, bool | int)


def _form(form_code: str) -> FormDefinition:
    try:
        return get_form(form_code)
    except UnknownFormError:
        message = f"申請書「{form_code}」は見つかりません。申請書の一覧から選択してください。"
        raise FormDataError({"form_code": [message]}) from None


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


def _next_receipt_number(day: date) -> str:
    """YYYYMMDD + the day's next serial; the counter row stays locked until commit."""
    counter = ReceiptCounter.objects.select_for_update().get(day=day)
    counter.last += 1
    if counter.last >= 10**RECEIPT_SERIAL_DIGITS:
        raise RuntimeError(f"receipt serials exhausted for {day}")
    counter.save(update_fields=["last"])
    return f"{day:%Y%m%d}{counter.last:0{RECEIPT_SERIAL_DIGITS}d}"


def _store(upload: CleanUpload, now: datetime, written: list[str]) -> str:
    """Save to the default (private) storage under a random name that reveals nothing."""
    local = now.astimezone(JST)
    name = f"applications/{local:%Y/%m}/{uuid.uuid4().hex}.{upload.extension}"
    saved = default_storage.save(name, ContentFile(upload.content))
    written.append(saved)
    return saved


def _delete(names: list[str]) -> None:
    for name in names:
        with contextlib.suppress(OSError):  # best effort; the name is random
            default_storage.delete(name)


def _attachment_row(
    application: Application, kind: str, upload: CleanUpload, name: str
) -> ApplicationAttachment:
    row = ApplicationAttachment(
        application=application,
        kind=kind,
        original_filename=upload.filename,
        content_type=upload.content_type,
        size=upload.size,
        sha256=upload.sha256,
        width=upload.width,
        height=upload.height,
        pages=upload.pages,
    )
    row.file.name = name
    return row
