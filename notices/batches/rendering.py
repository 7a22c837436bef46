"""One file of a batch: its pending items turned into document items (or skipped / failed
with a reason), rendered through ``notices.rendering`` in a forked child, saved through the
batch storage, and the items marked rendered only once the file is stored.

A worker killed before the mark leaves the items pending: the file is written again under
the same name, and each item is marked rendered exactly once (``state = pending`` guard)."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from django.core.files import File
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from core.jp.errors import JapaneseValueError
from notices.batches.models import Document, MailingBatch, MailingItem
from notices.batches.storage import batch_storage
from notices.documents.certificate import certificate_common, certificate_item
from notices.documents.common import era
from notices.documents.notice import notice_common, notice_item
from notices.rendering import renderer

State = MailingItem.State
# What each document reads of an item's record, joined with the items (the item's own
# employer is read once per file, for its name). Fewer joins, fewer model instances per item.
RELATED = {
    Document.NOTICE: ("record__branch", "record__person", "record__insured_record"),
    Document.CERTIFICATE: (
        "record__branch",
        "record__person",
        "record__insured_record",
        "record__employer",
    ),
}


@dataclass(frozen=True, slots=True)
class Outcome:
    item_id: int
    state: str
    reason: str = ""


def document_item(batch: MailingBatch, item: MailingItem, *, today: date) -> dict[str, Any]:
    record = item.record
    if not (record.address or (record.insured_record_id and record.insured_record.address)):
        raise JapaneseValueError("address", "住所が登録されていないため作成できません")
    if batch.document == Document.CERTIFICATE:
        return certificate_item(record, issued=today, inquiry=item.tracked_text)
    return notice_item(record, as_of=batch.as_of, inquiry=item.tracked_text)


def file_name(batch: MailingBatch, item: MailingItem, *, retry: int) -> str:
    if item.route == "employer":
        symbol = item.employer.symbol if item.employer_id else "x"
        where = f"{symbol}-box{item.box:03d}"
    else:
        where = f"home-{item.part:05d}"
    suffix = f"-retry{retry}" if retry else ""
    return f"mailings/{batch.pk}/{batch.document}-{item.part:05d}-{where}{suffix}.pdf"


def render_part(batch: MailingBatch, part: int, *, today: date | None = None) -> int:
    """Render the pending items of ``part``; return how many were marked rendered."""
    today = today or timezone.localdate()
    items = list(
        batch.items.filter(part=part, state=State.PENDING)
        .select_related(*RELATED[batch.document])
        .order_by("seq")
    )
    if not items:
        return 0
    outcomes: list[Outcome] = []
    documents: list[dict[str, Any]] = []
    good: list[int] = []
    for item in items:
        lost_on = item.record.lost_on
        if lost_on is not None and lost_on <= today:
            reason = f"資格喪失（{era(lost_on)}）のため送付しません"
            outcomes.append(Outcome(item.pk, State.SKIPPED, reason))
            continue
        try:
            documents.append(document_item(batch, item, today=today))
        except (JapaneseValueError, ValueError, AttributeError) as exc:
            outcomes.append(Outcome(item.pk, State.FAILED, _reason(exc)))
            continue
        good.append(item.pk)
    name = ""
    if documents:
        retry = batch.items.filter(part=part, state=State.RENDERED).exists()
        name = file_name(batch, items[0], retry=int(retry) and _retry_number(batch, part))
        try:
            _render_and_store(batch, documents, name)
        except Exception as exc:  # the engine refused the file: each item says why
            reason = _reason(exc)[:200]
            outcomes += [Outcome(pk, State.FAILED, reason) for pk in good]
            good = []
    with transaction.atomic():
        done = 0
        if good:
            done = MailingItem.objects.filter(pk__in=good, state=State.PENDING).update(
                state=State.RENDERED, file=name, render_count=F("render_count") + 1
            )
        for outcome in outcomes:
            MailingItem.objects.filter(pk=outcome.item_id, state=State.PENDING).update(
                state=outcome.state, reason=outcome.reason[:200]
            )
    return done


def _retry_number(batch: MailingBatch, part: int) -> int:
    files = set(batch.items.filter(part=part, state=State.RENDERED).values_list("file", flat=True))
    return len(files)


def _reason(exc: Exception) -> str:
    message = getattr(exc, "message", None) or str(exc) or type(exc).__name__
    return f"作成できません: {message}"[:200]


def _render_and_store(batch: MailingBatch, documents: list[dict[str, Any]], name: str) -> None:
    if batch.document == Document.CERTIFICATE:
        engine, common = renderer("certificate.typ"), certificate_common()
    else:
        engine, common = renderer("notice.typ"), notice_common(as_of=batch.as_of)
    storage = batch_storage()
    with tempfile.TemporaryDirectory(prefix="mailing-") as tmp:
        (path,) = list(
            engine.render_files(documents, Path(tmp), common=common, per_file=len(documents) + 1)
        )
        if storage.exists(name):
            storage.delete(name)
        with path.open("rb") as fh:
            saved = storage.save(name, File(fh))
        if saved != name:  # another worker wrote it meanwhile: keep one
            storage.delete(saved)
