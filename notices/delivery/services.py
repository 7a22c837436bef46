"""Returned mail and re-routing: record a return (one by one, or a post-office CSV that is
taken whole or not at all), and re-send a batch's returned items by the other route as a
small batch of its own (same life: plan, render, outputs). Every attempt stays an item."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone

from core.audit import record_event
from core.errors import Conflict, NotFound, ServiceError
from core.models import AuditEvent
from notices.batches import services as batch_services
from notices.batches.models import Kind, MailingBatch, MailingItem
from notices.csvtext import ENCODING_MESSAGE, decode_csv
from notices.delivery.models import ReturnedMail, ReturnReason

State = MailingItem.State
REASON_BY_TEXT = {
    **{str(label): value for value, label in ReturnReason.choices},
    **{value: value for value in ReturnReason.values},
}
CSV_COLUMNS = ("特定記録番号", "返戻理由")


class ReturnsFileError(ServiceError):
    code = "returns_file"
    status = 400


def _item_for(tracked: str, actor: Any) -> MailingItem:
    digits = tracked.strip().replace("-", "")
    item = None
    if digits.isdigit():
        item = (
            MailingItem.objects.select_related("batch").filter(tracked_number=int(digits)).first()
        )
    if item is None:
        raise NotFound(f"特定記録番号「{tracked.strip()[:20]}」の発送物が見つかりません。")
    batch_services._check_actor(actor, item.branch_id)
    return item


def _check_returnable(item: MailingItem) -> None:
    if item.state == State.RETURNED or ReturnedMail.objects.filter(item=item).exists():
        raise Conflict(f"特定記録番号「{item.tracked_text}」はすでに返戻として登録されています。")
    if item.state != State.RENDERED:
        raise Conflict(f"特定記録番号「{item.tracked_text}」は発送されていません。")


def record_return(*, actor: Any, tracked_number: str, reason: str) -> ReturnedMail:
    """Record one returned item by its tracked-mail number and the post office's reason."""
    if reason not in REASON_BY_TEXT:
        raise ServiceError("返戻理由を選んでください。", field_errors={"reason": ["不明な理由"]})
    with transaction.atomic():
        item = _item_for(tracked_number, actor)
        _check_returnable(item)
        returned = _save(item, REASON_BY_TEXT[reason], actor)
    return returned


def _save(item: MailingItem, reason: str, actor: Any) -> ReturnedMail:
    returned = ReturnedMail.objects.create(
        item=item, reason=reason, recorded_by=actor if getattr(actor, "pk", None) else None
    )
    MailingItem.objects.filter(pk=item.pk).update(state=State.RETURNED)
    record_event(
        actor=actor,
        action=AuditEvent.Action.STATUS,
        obj=item,
        branch_id=item.branch_id,
        changes={"returned": reason},
    )
    return returned


@dataclass(slots=True)
class RowError:
    line: int
    message: str


@dataclass(slots=True)
class ImportReport:
    recorded: int = 0
    errors: list[RowError] = field(default_factory=list)


def _decode(data: bytes) -> str:
    text = decode_csv(data)
    if text is None:
        raise ReturnsFileError(ENCODING_MESSAGE)
    return text


def import_returns(*, actor: Any, data: bytes) -> ImportReport:
    """The post office's CSV (特定記録番号, 返戻理由; UTF-8 or CP932, a header row). Every row
    is checked; if any is wrong, nothing is written and the report names each bad row."""
    text = _decode(data)
    reader = csv.reader(io.StringIO(text))
    header = [h.strip() for h in next(reader, [])]
    if tuple(header[:2]) != CSV_COLUMNS:
        raise ReturnsFileError("1行目は「特定記録番号,返戻理由」の見出しにしてください。")
    report = ImportReport()
    good: list[tuple[MailingItem, str]] = []
    seen: set[int] = set()
    for line, row in enumerate(reader, start=2):
        if not any(cell.strip() for cell in row):
            continue
        tracked, reason = [*row, "", ""][:2]
        if reason.strip() not in REASON_BY_TEXT:
            report.errors.append(RowError(line, f"返戻理由「{reason.strip()[:20]}」は不明です。"))
            continue
        try:
            item = _item_for(tracked, actor)
            _check_returnable(item)
        except ServiceError as exc:
            report.errors.append(RowError(line, exc.message))
            continue
        if item.pk in seen:
            report.errors.append(RowError(line, "同じ特定記録番号がファイル内で重複しています。"))
            continue
        seen.add(item.pk)
        good.append((item, REASON_BY_TEXT[reason.strip()]))
    if report.errors:
        return report
    with transaction.atomic():
        for item, reason in good:
            _save(item, reason, actor)
    report.recorded = len(good)
    return report


def resend_returned(*, actor: Any, batch_id: int) -> MailingBatch:
    """A re-send batch of ``batch_id``'s returned items not yet re-sent, launched."""
    with transaction.atomic():
        parent = batch_services.scoped_batch(batch_id, actor, lock=True)
        waiting = ReturnedMail.objects.filter(item__batch=parent, resent_in=None)
        if not waiting.exists():
            raise Conflict("再送する返戻郵便がありません。")
        batch = MailingBatch.objects.create(
            kind=Kind.RESEND,
            document=parent.document,
            as_of=timezone.localdate(),
            branch_id=parent.branch_id,
            parent=parent,
            created_by=actor if getattr(actor, "pk", None) else None,
        )
        record_event(
            actor=actor, action=AuditEvent.Action.CREATE, obj=batch, changes={"parent": parent.pk}
        )
        batch_services.launch(batch.pk, actor=actor)
        waiting.filter(item__resends__batch=batch).update(resent_in=batch)
    batch.refresh_from_db()
    return batch
