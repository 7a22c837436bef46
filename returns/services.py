"""Writes of the return mailbox (電子ポスト): returning with reasons, building packages,
regenerating and retrying them, opening a message, retention, starting a resubmission.

* :func:`application_return`: the status change (through
  :func:`applications.services.review.application_change_status`), the message with its
  reasons and package version 1 (``pending``), in one transaction; the build is enqueued on
  commit. :func:`ensure_message` does the same after the fact for a return made without
  reasons (the plain status form, the demo), from the ``application_returned`` signal.
* :func:`package_build`: claims a pending package with a conditional update (a redelivered
  or duplicated task finds nothing to claim), builds every file in memory, writes them, and
  records the file rows and ``ready`` in one transaction; any error leaves ``failed`` and no
  file row. :func:`packages_to_sweep` finds what a crash left pending or building.
* Services take the actor and check scope themselves; they raise :class:`core.errors.ServiceError`.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from applications import presentation
from applications.forms_catalogue import FormDataError
from applications.models import Application, ApplicationStatus
from applications.services import review
from applications.services.filing import (
    Attachment,
    FilingConflict,
    FilingNotAllowed,
    ServiceClosed,
    application_save_draft,
    application_submit_outcome,
)
from core.audit import record_event
from core.errors import Conflict, NotAllowed, NotFound, ServiceError
from core.jp.calendar import JST
from core.jp.era import format_wareki
from core.jp.errors import JapaneseValueError
from core.models import AuditEvent
from returns.building.form_image import FormSheet, SheetRow, render_form_pages
from returns.building.reasons_pdf import Notice, NoticeReason, render_notice
from returns.building.resubmission import build_resubmission, read_resubmission
from returns.models import (
    FileKind,
    PackageState,
    ReturnFile,
    ReturnMessage,
    ReturnMessageReason,
    ReturnPackage,
    ReturnReason,
)

logger = logging.getLogger(__name__)

#: Most reasons one return may give.
MAX_REASONS = 20
#: Longest free text of one reason.
REASON_TEXT_MAX = 500
#: The catalogue entry used when an application is returned with only a status comment.
OTHER_REASON = "other"
#: Packages re-enqueued by one sweep at most.
SWEEP_LIMIT = 500


@dataclass(frozen=True, slots=True)
class ReasonInput:
    """One reason a reviewer gives: a catalogue code, optionally a form field and free text."""

    code: str
    field_name: str = ""
    text: str = ""


# --- returning -----------------------------------------------------------------------------


def _review_error(exc: review.ReviewError) -> ServiceError:
    status = {"not_allowed": 404, "conflict": 409, "transition": 409}.get(exc.code, 400)
    return ServiceError(exc.message, code=exc.code, status=status)


def _clean_reasons(application: Application, reasons: Sequence[ReasonInput]) -> list[dict]:
    if not reasons:
        raise ServiceError(
            "返戻の理由を1つ以上選択してください。", code="reasons_required",
            field_errors={"reasons": ["返戻の理由を1つ以上選択してください。"]},
        )  # fmt: skip
    if len(reasons) > MAX_REASONS:
        raise ServiceError(f"返戻の理由は{MAX_REASONS}件までです。", code="too_many_reasons")
    catalogue = {r.code: r for r in ReturnReason.objects.filter(active=True)}
    form = presentation.form_of(application.form_code, application.form_version)
    labels = {f.name: f.label for f in form.fields} if form else {}
    labels.update({a.code: a.label for a in form.attachments} if form else {})
    labels.update({"bank_account": "振込先口座"})
    errors: dict[str, list[str]] = {}
    cleaned = []
    for i, given in enumerate(reasons):
        reason = catalogue.get(given.code)
        text = (given.text or "").strip()
        if reason is None:
            errors.setdefault(f"reasons.{i}.code", []).append(
                "返戻理由の一覧にない理由です。一覧から選択してください。"
            )
        if given.field_name and given.field_name not in labels:
            errors.setdefault(f"reasons.{i}.field_name", []).append(
                "この申請書にない項目です。申請書の項目から選択してください。"
            )
        if len(text) > REASON_TEXT_MAX:
            errors.setdefault(f"reasons.{i}.text", []).append(
                f"補足は{REASON_TEXT_MAX}文字以内で入力してください。"
            )
        if reason is not None and reason.code == OTHER_REASON and not text:
            errors.setdefault(f"reasons.{i}.text", []).append(
                "「その他」を選んだときは、理由を入力してください。"
            )
        cleaned.append(
            {
                "reason": reason,
                "field_name": given.field_name or "",
                "field_label": labels.get(given.field_name, ""),
                "text": text,
            }
        )
    if errors:
        raise ServiceError(
            "返戻の理由に誤りがあります。各項目のメッセージを確認してください。",
            code="invalid_reasons",
            field_errors=errors,
        )
    return cleaned


MAILBOX_SENTENCE = (
    "返戻理由のお知らせと再申請用のファイルを電子ポストにお送りしましたので、"
    "内容をご確認のうえ再申請してください。"
)


def status_comment_for(cleaned: Sequence[dict]) -> str:
    """The status comment the applicant sees on a returned application: the reasons (with
    the reviewer's text) and where the documents are."""
    parts = []
    for c in cleaned:
        detail = "・".join(x for x in (c["field_label"], c["text"]) if x)
        label = c["reason"].label if c["reason"].code != OTHER_REASON else ""
        parts.append(f"{label}（{detail}）" if label and detail else label or detail)
    reasons = "、".join(dict.fromkeys(parts))
    room = review.COMMENT_MAX_LENGTH - len(MAILBOX_SENTENCE) - len("返戻しました。理由: 。")
    if len(reasons) > room:
        reasons = reasons[: room - 1] + "…"
    return f"返戻しました。理由: {reasons}。{MAILBOX_SENTENCE}".replace("。。", "。")


def application_return(
    *,
    application_id: int,
    reasons: Sequence[ReasonInput],
    actor: Any,
    expected_version: int,
    request: Any = None,
) -> ReturnMessage:
    """Return an application (返戻) with reasons from the catalogue.

    One transaction: the status change with its history and audit, the message and its
    reasons, and package version 1 in state ``pending``; the build is enqueued on commit.
    """
    with transaction.atomic():
        current = Application.objects.filter(pk=application_id).only("form_code").first()
        if current is None or not review.can_review(actor, current):
            raise NotFound("この申請は存在しないか、操作する権限がありません。")
        cleaned = _clean_reasons(current, reasons)
        comment = status_comment_for(cleaned)
        try:
            application = review.application_change_status(
                application_id=application_id,
                to_status=ApplicationStatus.RETURNED,
                comment=comment,
                actor=actor,
                expected_version=expected_version,
                request=request,
            )
        except review.ReviewError as exc:
            raise _review_error(exc) from exc
        message = _record_message(application, actor, cleaned)
    return message


def _record_message(application: Application, actor: Any, cleaned: list[dict]) -> ReturnMessage:
    form = presentation.form_name(application.form_code, application.form_version)
    message = ReturnMessage.objects.create(
        application=application,
        recipient_id=application.applicant_id,
        branch_id=application.branch_id,
        subject=f"返戻のお知らせ（{form}・受付番号 {application.receipt_number}）",
        returned_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    ReturnMessageReason.objects.bulk_create(
        [
            ReturnMessageReason(
                message=message,
                reason=c["reason"],
                field_name=c["field_name"],
                field_label=c["field_label"],
                text=c["text"],
                position=i,
            )
            for i, c in enumerate(cleaned)
        ]
    )
    package = ReturnPackage.objects.create(message=message, version=1, requested_by=None)
    enqueue_build(package.pk)
    return message


def ensure_message(*, application_id: int, actor_id: int | None = None) -> ReturnMessage | None:
    """The message of a returned application, created (with the status comment as an
    「その他」 reason) if the return was made without reasons. Idempotent."""
    with transaction.atomic():
        application = Application.objects.select_for_update().filter(pk=application_id).first()
        if application is None or application.status != ApplicationStatus.RETURNED:
            return None
        existing = ReturnMessage.objects.filter(application=application).first()
        if existing is not None:
            return existing
        other = ReturnReason.objects.get(code=OTHER_REASON)
        cleaned = [
            {
                "reason": other,
                "field_name": "",
                "field_label": "",
                "text": application.status_comment,
            }
        ]
        actor = None
        if actor_id is not None:
            from core.models import User

            actor = User.objects.filter(pk=actor_id).first()
        return _record_message(application, actor, cleaned)


def enqueue_build(package_id: int) -> None:
    """Queue the build once the current transaction commits. If the broker cannot be reached
    the package stays pending and the periodic sweep queues it again."""

    def send() -> None:
        from returns.tasks import build_package

        try:
            build_package.delay(package_id)
        except Exception:  # broker down: the sweep will pick it up
            logger.exception("could not enqueue the build of return package %s", package_id)

    transaction.on_commit(send)


# --- building ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BuiltFile:
    kind: str
    title: str
    filename: str
    content: bytes
    content_type: str


def _wareki(d: Any) -> str:
    try:
        return format_wareki(d)
    except JapaneseValueError:
        return d.isoformat()


def _local_date(moment: datetime | None) -> Any:
    return (moment or timezone.now()).astimezone(JST).date()


def notice_for(message: ReturnMessage, *, today: Any) -> Notice:
    """What the notice prints, from the message, its application, record and branch."""
    application = message.application
    record = application.record
    branch = message.branch
    recipient = message.recipient
    attorney = recipient.is_attorney
    addressee = (
        f"{recipient.last_name} {recipient.first_name}".strip() or recipient.username
        if attorney
        else application.name
    )
    postal = "" if attorney else (record.postal_code or "")
    contact = branch.contact_lines or "\n".join(
        x
        for x in (
            f"全国健康保険協会 {branch.name}",
            f"〒{branch.postal_code[:3]}-{branch.postal_code[3:]}" if branch.postal_code else "",
            branch.address,
            f"電話 {branch.phone}（平日8時30分～17時15分）"
            if branch.phone
            else "電話番号は協会けんぽのホームページ「支部のご案内」に掲載しています。",
        )
        if x
    )
    return Notice(
        addressee=addressee,
        postal_code=f"{postal[:3]}-{postal[3:]}" if len(postal) == 7 else postal,
        address="" if attorney else (record.address or ""),
        on_behalf_of=application.name if attorney else "",
        branch_name=f"全国健康保険協会 {branch.name}",
        branch_postal_code=(
            f"{branch.postal_code[:3]}-{branch.postal_code[3:]}" if branch.postal_code else ""
        ),
        branch_address=branch.address,
        branch_phone=branch.phone,
        contact=contact,
        issued_on=_wareki(today),
        form_name=presentation.form_name(application.form_code, application.form_version),
        receipt_number=application.receipt_number or "",
        received_on=_wareki(_local_date(application.submitted_at)),
        member_name=application.name,
        symbol=application.symbol,
        number=application.number,
        branch_number=application.branch_number,
        reasons=tuple(
            NoticeReason(
                label=r.reason.label,
                field_label=r.field_label,
                text=r.text,
                guidance=r.reason.guidance,
            )
            for r in message.reasons.select_related("reason")
        ),
    )


def sheet_for(application: Application) -> FormSheet:
    """What the form image shows: the member block and the form as entered."""
    rows, extra = presentation.entered_rows(
        application.form_code, application.form_version, application.data
    )
    bank = presentation.bank_rows(application.bank_account)
    header = (
        SheetRow("保険者名称", application.insurer_name),
        SheetRow(
            "記号・番号・枝番",
            f"{application.symbol}・{application.number}・{application.branch_number}",
        ),
        SheetRow("氏名", application.name),
        SheetRow("フリガナ", application.name_kana),
        SheetRow("生年月日", presentation.wareki_and_iso(application.birth_date)),
    )
    body = [SheetRow(r.label, r.value) for r in (*rows, *extra)]
    body += [SheetRow(f"振込先 {r.label}", r.value) for r in bank]
    return FormSheet(
        title=presentation.form_name(application.form_code, application.form_version),
        receipt_number=application.receipt_number or "",
        received_on=_wareki(_local_date(application.submitted_at)),
        header_rows=header,
        rows=tuple(body),
        footer="電子申請の入力内容",
    )


def build_files(message: ReturnMessage, *, now: datetime) -> list[BuiltFile]:
    """Every file of a package, in memory, in the order the member sees them."""
    application = message.application
    receipt = application.receipt_number or str(application.pk)
    files = [
        BuiltFile(
            FileKind.NOTICE,
            "返戻理由のお知らせ（PDF）",
            f"01_返戻理由のお知らせ_{receipt}.pdf",
            render_notice(notice_for(message, today=_local_date(now))),
            "application/pdf",
        )
    ]
    pages = render_form_pages(sheet_for(application))
    for i, png in enumerate(pages, start=1):
        suffix = f"_{i}" if len(pages) > 1 else ""
        title = "申請書の画像" + (f"（{i}/{len(pages)}ページ）" if len(pages) > 1 else "")
        files.append(
            BuiltFile(FileKind.FORM_IMAGE, title, f"02_申請書{suffix}.png", png, "image/png")
        )
    labels = presentation.attachment_labels(application.form_code, application.form_version)
    for i, attachment in enumerate(application.attachments.order_by("kind", "id"), start=1):
        with attachment.file.open("rb") as handle:
            content = handle.read()
        extension = (attachment.file.name or "").rsplit(".", 1)[-1].lower()
        label = labels.get(attachment.kind, attachment.kind)
        files.append(
            BuiltFile(
                FileKind.ATTACHMENT,
                f"添付書類: {label}",
                f"03_添付{i}_{label}.{extension}"[:110],
                content,
                attachment.content_type,
            )
        )
    files.append(
        BuiltFile(
            FileKind.RESUBMISSION,
            "再申請用ファイル（JSON）",
            f"04_再申請用ファイル_{receipt}.json",
            build_resubmission(application, issued_to=message.recipient_id, issued_at=now),
            "application/json",
        )
    )
    return files


def _claim(package_id: int, now: datetime) -> bool:
    return bool(
        ReturnPackage.objects.filter(pk=package_id, state=PackageState.PENDING).update(
            state=PackageState.BUILDING, claimed_at=now, attempts=F("attempts") + 1
        )
    )


def package_build(package_id: int, *, now: datetime | None = None) -> str:
    """Build one package if it is pending: ``"ready"``, ``"failed"`` or ``"skipped"`` (not
    pending: already built, being built, or gone)."""
    now = now or timezone.now()
    if not _claim(package_id, now):
        return "skipped"
    written: list[str] = []
    try:
        package = ReturnPackage.objects.select_related(
            "message__application__record", "message__branch", "message__recipient"
        ).get(pk=package_id)
        built = build_files(package.message, now=now)
        rows = []
        for position, item in enumerate(built):
            name = default_storage.save(
                f"returns/{now.astimezone(JST):%Y/%m}/{uuid.uuid4().hex}"
                f".{item.filename.rsplit('.', 1)[-1]}",
                ContentFile(item.content),
            )
            written.append(name)
            row = ReturnFile(
                package_id=package_id,
                kind=item.kind,
                title=item.title,
                filename=item.filename,
                content_type=item.content_type,
                size=len(item.content),
                sha256=hashlib.sha256(item.content).hexdigest(),
                position=position,
            )
            row.file.name = name
            rows.append(row)
        with transaction.atomic():
            locked = ReturnPackage.objects.select_for_update().get(pk=package_id)
            if locked.state != PackageState.BUILDING or locked.claimed_at != now:
                # The sweep took it back meanwhile (this worker was too slow): the newer claim
                # wins, this build's files are dropped.
                raise RuntimeError(f"package {package_id} was claimed again")
            ReturnFile.objects.bulk_create(rows)
            locked.state = PackageState.READY
            locked.built_at = timezone.now()
            locked.error = ""
            locked.save(update_fields=["state", "built_at", "error"])
    except Exception as exc:
        _delete_files(written)
        logger.exception("return package %s failed", package_id)
        ReturnPackage.objects.filter(
            pk=package_id, state=PackageState.BUILDING, claimed_at=now
        ).update(state=PackageState.FAILED, error=f"{type(exc).__name__}: {exc}"[:2000])
        return "failed"
    return "ready"


def _delete_files(names: Sequence[str]) -> None:
    for name in names:
        with contextlib.suppress(OSError):
            default_storage.delete(name)


def packages_to_sweep(*, now: datetime | None = None) -> list[int]:
    """Packages a crash left behind, made pending again: pending longer than
    ``RETURNS_SWEEP_PENDING_AFTER_SECONDS`` (never enqueued, or the message was lost) and
    building longer than ``RETURNS_BUILD_STALE_SECONDS`` (the worker died)."""
    now = now or timezone.now()
    stale = now - timedelta(seconds=settings.RETURNS_BUILD_STALE_SECONDS)
    ReturnPackage.objects.filter(state=PackageState.BUILDING, claimed_at__lt=stale).update(
        state=PackageState.PENDING
    )
    cutoff = now - timedelta(seconds=settings.RETURNS_SWEEP_PENDING_AFTER_SECONDS)
    return list(
        ReturnPackage.objects.filter(state=PackageState.PENDING, created_at__lt=cutoff)
        .order_by("created_at")
        .values_list("pk", flat=True)[:SWEEP_LIMIT]
    )


# --- staff: retry and regenerate -----------------------------------------------------------


def _staff_message(message_id: int, actor: Any) -> ReturnMessage:
    message = (
        ReturnMessage.objects.select_for_update()
        .select_related("application")
        .filter(pk=message_id)
        .first()
    )
    if message is None or not review.can_review(actor, message.application):
        raise NotFound("この返戻書類は存在しないか、操作する権限がありません。")
    return message


def package_retry(*, package_id: int, actor: Any, request: Any = None) -> ReturnPackage:
    """Queue a failed package again (failed → pending)."""
    with transaction.atomic():
        package = ReturnPackage.objects.filter(pk=package_id).first()
        if package is None:
            raise NotFound("この返戻書類は存在しないか、操作する権限がありません。")
        _staff_message(package.message_id, actor)
        if not ReturnPackage.objects.filter(pk=package_id, state=PackageState.FAILED).update(
            state=PackageState.PENDING, error=""
        ):
            raise Conflict("作成に失敗した返戻書類だけを再実行できます。", code="not_failed")
        record_event(
            actor=actor,
            action=AuditEvent.Action.UPDATE,
            obj=package,
            branch_id=package.message.branch_id,
            changes={"state": [PackageState.FAILED, PackageState.PENDING]},
            request=request,
        )
        enqueue_build(package_id)
    package.refresh_from_db()
    return package


def package_regenerate(*, message_id: int, actor: Any, request: Any = None) -> ReturnPackage:
    """A new version of the package (pending); the earlier versions are kept."""
    with transaction.atomic():
        message = _staff_message(message_id, actor)
        if message.packages.filter(
            state__in=[PackageState.PENDING, PackageState.BUILDING]
        ).exists():
            raise Conflict(
                "作成中の返戻書類があります。作成が終わってから再作成してください。",
                code="in_progress",
            )
        last = message.packages.order_by("-version").values_list("version", flat=True).first()
        package = ReturnPackage.objects.create(
            message=message, version=(last or 0) + 1, requested_by=actor
        )
        record_event(
            actor=actor,
            action=AuditEvent.Action.CREATE,
            obj=package,
            branch_id=message.branch_id,
            changes={"version": package.version, "application_id": message.application_id},
            request=request,
        )
        enqueue_build(package.pk)
    return package


# --- the applicant -------------------------------------------------------------------------


def message_mark_opened(*, message: ReturnMessage, user: Any, request: Any = None) -> None:
    """Record that the recipient opened the message (the first time; audit every time)."""
    if message.recipient_id != getattr(user, "pk", None):
        raise NotFound("メッセージが見つかりません。")
    now = timezone.now()
    if message.opened_at is None:
        ReturnMessage.objects.filter(pk=message.pk, opened_at__isnull=True).update(opened_at=now)
        message.opened_at = now
    record_event(
        actor=user,
        action=AuditEvent.Action.VIEW,
        obj=message,
        branch_id=message.branch_id,
        changes={"application_id": message.application_id},
        request=request,
    )


def file_downloaded(*, file: ReturnFile, user: Any, request: Any = None, zip_of: int = 0) -> None:
    """Audit one download (a file, or with ``zip_of`` the ZIP of a message)."""
    record_event(
        actor=user,
        action=AuditEvent.Action.DOWNLOAD,
        object_type="returns.returnmessage" if zip_of else "returns.returnfile",
        object_id=zip_of or file.pk,
        branch_id=file.package.message.branch_id,
        changes={"filename": file.filename, "package_id": file.package_id},
        request=request,
    )


# --- retention -----------------------------------------------------------------------------


def packages_delete_expired(*, now: datetime | None = None, limit: int = 1000) -> int:
    """Delete the files of packages built more than ``RETURNS_RETENTION_DAYS`` ago; the
    package row stays as ``deleted`` and each deletion is audit-logged."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.RETURNS_RETENTION_DAYS)
    expired = ReturnPackage.objects.filter(
        Q(state=PackageState.READY) | Q(state=PackageState.FAILED), built_at__lt=cutoff
    ).select_related("message")[:limit]
    count = 0
    for package in expired:
        with transaction.atomic():
            files = list(package.files.all())
            names = [f.file.name for f in files if f.file.name]
            package.files.all().delete()
            ReturnPackage.objects.filter(pk=package.pk).update(
                state=PackageState.DELETED, deleted_at=now
            )
            record_event(
                actor=None,
                action=AuditEvent.Action.DELETE,
                obj=package,
                branch_id=package.message.branch_id,
                changes={
                    "reason": "retention",
                    "retention_days": settings.RETURNS_RETENTION_DAYS,
                    "files": [f.filename for f in files],
                },
            )
            transaction.on_commit(partial(_delete_files, names))
        count += 1
    return count


# --- resubmission --------------------------------------------------------------------------


def resubmission_start(
    *,
    actor: Any,
    file_content: bytes | None = None,
    application_id: int | None = None,
    request: Any = None,
) -> Application:
    """A draft prefilled from a returned application (or from its resubmission file), linked
    to it (``resubmission_of``). Refusals are ServiceErrors; nothing is written then. Starting
    again updates the same draft."""
    if file_content is None and application_id is None:
        raise ServiceError("再申請用ファイルか、返戻された申請を指定してください。")
    data: dict[str, Any] | None = None
    bank: dict[str, Any] | None = None
    if file_content is not None:
        verified = read_resubmission(file_content, user=actor)
        application_id = verified.application_id
        data, bank = verified.data, verified.bank_account
    if application_id is None:
        raise NotFound("返戻された申請が見つかりません。")
    original = Application.objects.filter(pk=application_id, applicant_id=actor.pk).first()
    if original is None:
        raise NotFound("返戻された申請が見つかりません。")
    if original.status != ApplicationStatus.RETURNED:
        raise Conflict(
            f"再申請できるのは「返戻」となった申請のみです（受付番号 {original.receipt_number} は"
            f"「{original.get_status_display()}」です）。",
            code="not_returned",
        )
    if data is None:
        data = dict(original.data or {})
        bank = {
            k: v for k, v in (original.bank_account or {}).items() if k != "account_type_label"
        } or None
    draft = Application.objects.filter(
        resubmission_of=original, applicant_id=actor.pk, status=ApplicationStatus.DRAFT
    ).first()
    if (
        Application.objects.filter(resubmission_of=original)
        .exclude(status=ApplicationStatus.DRAFT)
        .exists()
    ):
        raise Conflict(
            f"受付番号 {original.receipt_number} の申請は既に再申請されています。",
            code="already_resubmitted",
        )
    try:
        return application_save_draft(
            applicant=actor,
            record=original.record,
            form_code=original.form_code,
            data=data,
            bank_account=bank,
            draft=draft,
            resubmission_of=original,
            request=request,
        )
    except FormDataError as exc:
        raise ServiceError(
            "再申請用ファイルの内容に誤りがあります。各項目のメッセージを確認してください。",
            code="invalid_data",
            field_errors=exc.errors,
        ) from exc
    except FilingNotAllowed as exc:
        raise NotAllowed(exc.message) from exc
    except FilingConflict as exc:
        raise Conflict(exc.message) from exc


def resubmission_attachments(
    *, actor: Any, draft: Application, reuse: Sequence[int]
) -> list[tuple[str, str, bytes]]:
    """The returned application's attachments chosen for reuse, as uploads for
    :func:`applications.services.filing.application_submit_outcome` (they pass the upload
    checks again). Only attachments of the application the draft resubmits."""
    if draft.applicant_id != actor.pk or draft.resubmission_of_id is None:
        raise NotFound("再申請の下書きが見つかりません。")
    wanted = set(reuse)
    assert draft.resubmission_of is not None  # resubmission_of_id was checked above
    found = list(draft.resubmission_of.attachments.filter(pk__in=wanted).order_by("kind", "id"))
    if len(found) != len(wanted):
        raise ServiceError(
            "再利用できない添付書類が指定されました。返戻された申請の添付書類から選択してください。",
            code="invalid_attachments",
            field_errors={"reuse_attachments": ["返戻された申請の添付書類ではありません。"]},
        )
    out = []
    for attachment in found:
        with attachment.file.open("rb") as handle:
            out.append((attachment.kind, attachment.original_filename, handle.read()))
    return out


def resubmission_submit(
    *,
    actor: Any,
    draft_id: int,
    reuse: Sequence[int],
    uploads: Sequence[Attachment],
    idempotency_key: str,
    now: datetime | None = None,
    request: Any = None,
) -> Application:
    """Submit a resubmission draft as usual (hours, validation, Idempotency-Key), with the
    returned application's attachments in ``reuse`` plus the new ``uploads``."""
    draft = Application.objects.filter(
        pk=draft_id, applicant_id=actor.pk, resubmission_of__isnull=False
    ).first()
    if draft is None:
        raise NotFound("再申請の下書きが見つかりません。")
    reused = resubmission_attachments(actor=actor, draft=draft, reuse=reuse)
    try:
        outcome = application_submit_outcome(
            applicant=actor,
            record=draft.record,
            form_code=draft.form_code,
            data=draft.data,
            bank_account=draft.bank_account,
            attachments=[*reused, *uploads],
            idempotency_key=idempotency_key,
            now=now,
            resubmission_of=draft.resubmission_of,
            draft=draft,
            request=request,
        )
    except FormDataError as exc:
        raise ServiceError(
            "入力内容に誤りがあります。各項目のメッセージを確認してください。",
            code="invalid_data",
            field_errors=exc.errors,
        ) from exc
    except ServiceClosed as exc:
        raise ServiceError(exc.message, code="service_closed", status=403) from exc
    except FilingNotAllowed as exc:
        raise NotAllowed(exc.message) from exc
    except FilingConflict as exc:
        raise Conflict(exc.message) from exc
    return outcome.application
