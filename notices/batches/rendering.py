"""The files of a chunk: their pending items turned into document items (or skipped / failed
with a reason), rendered through ``notices.rendering`` (several files per forked child, the
fonts loaded once), each saved through the batch storage as soon as it is written.

Nothing here marks an item: :func:`mark` does, and the caller runs it in the transaction
that also beats the chunk's heartbeat, once the file is stored. A worker killed before the
mark leaves the items pending: the file is written again under the same name, and each item
is marked rendered exactly once (``state = pending`` guard)."""

from __future__ import annotations

import tempfile
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from django.core.files import File
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


@dataclass(slots=True)
class PartFile:
    """One file of a batch (``part``): what goes in it, and what happened to the rest."""

    part: int
    name: str = ""
    documents: list[dict[str, Any]] = field(default_factory=list)
    good: list[int] = field(default_factory=list)  # the items in the file, in order
    outcomes: list[Outcome] = field(default_factory=list)  # skipped or failed items


def document_item(batch: MailingBatch, item: MailingItem, *, today: date) -> dict[str, Any]:
    record = item.record
    insured = record.insured_record
    if not (record.address or (insured is not None and insured.address)):
        raise JapaneseValueError("address", "住所が登録されていないため作成できません")
    if batch.document == Document.CERTIFICATE:
        return certificate_item(record, issued=today, inquiry=item.tracked_text)
    return notice_item(record, as_of=batch.as_of, inquiry=item.tracked_text)


def file_name(batch: MailingBatch, item: MailingItem, *, retry: int) -> str:
    if item.route == "employer":
        symbol = item.employer.symbol if item.employer is not None else "x"
        where = f"{symbol}-box{item.box:03d}"
    else:
        where = f"home-{item.part:05d}"
    suffix = f"-retry{retry}" if retry else ""
    return f"mailings/{batch.pk}/{batch.document}-{item.part:05d}-{where}{suffix}.pdf"


def prepare(
    batch: MailingBatch, first_seq: int, last_seq: int, *, today: date | None = None
) -> list[PartFile]:
    """The pending items of a chunk's key range (whole files: planning cuts chunks at file
    boundaries), as one PartFile per file; two queries for all of them."""
    today = today or timezone.localdate()
    in_range = batch.items.filter(seq__gte=first_seq, seq__lte=last_seq)
    items = (
        in_range.filter(state=State.PENDING)
        .select_related(*RELATED[Document(batch.document)])
        .order_by("part", "seq")
    )
    # A part some of whose items are already in a file is a retry: a file name of its own.
    earlier: dict[int, set[str]] = {}
    rendered = in_range.filter(state=State.RENDERED)
    for part, name in rendered.values_list("part", "file").distinct():
        earlier.setdefault(part, set()).add(name)
    files: dict[int, PartFile] = {}
    for item in items:
        current = files.get(item.part)
        if current is None:
            current = files[item.part] = PartFile(item.part)
            current.name = file_name(batch, item, retry=len(earlier.get(item.part, ())))
        lost_on = item.record.lost_on
        if lost_on is not None and lost_on <= today:
            reason = f"資格喪失（{era(lost_on)}）のため送付しません"
            current.outcomes.append(Outcome(item.pk, State.SKIPPED, reason))
            continue
        try:
            current.documents.append(document_item(batch, item, today=today))
        except (JapaneseValueError, ValueError, AttributeError) as exc:
            current.outcomes.append(Outcome(item.pk, State.FAILED, _reason(exc)))
            continue
        current.good.append(item.pk)
    return list(files.values())


def render(batch: MailingBatch, files: list[PartFile]) -> Iterator[PartFile]:
    """Render and store the files, in order, several per renderer child; yield each file once
    it is stored. A file without documents is yielded in its turn; a file the engine refused
    is yielded with its items moved to ``outcomes``, failed with the reason."""
    if batch.document == Document.CERTIFICATE:
        engine, common = renderer("certificate.typ"), certificate_common()
    else:
        engine, common = renderer("notice.typ"), notice_common(as_of=batch.as_of)
    storage = batch_storage()
    queue = deque(files)
    with tempfile.TemporaryDirectory(prefix="mailing-") as tmp:
        directory = Path(tmp)
        while queue:
            groups = [(_temp_name(f), f.documents) for f in queue if f.documents]
            try:
                for path in engine.render_groups(groups, directory, common=common):
                    yield from _without_documents(queue)
                    _store(storage, path, queue[0].name)
                    yield queue.popleft()
                yield from _without_documents(queue)
            except Exception:  # in a child of several files: each alone tells which failed
                yield from _without_documents(queue)
                if not queue:
                    raise
                single = queue.popleft()
                try:
                    (path,) = engine.render_groups(
                        [(_temp_name(single), single.documents)], directory, common=common
                    )
                    _store(storage, path, single.name)
                except Exception as exc:  # the engine refused the file: each item says why
                    reason = _reason(exc)
                    single.outcomes += [Outcome(pk, State.FAILED, reason) for pk in single.good]
                    single.good, single.documents, single.name = [], [], ""
                yield single


def mark(file: PartFile) -> int:
    """Mark the file's items (pending ones only); return how many were marked rendered.
    The caller runs it in a transaction, once the file is stored."""
    done = 0
    if file.good:
        done = MailingItem.objects.filter(pk__in=file.good, state=State.PENDING).update(
            state=State.RENDERED, file=file.name, render_count=F("render_count") + 1
        )
    for outcome in file.outcomes:
        MailingItem.objects.filter(pk=outcome.item_id, state=State.PENDING).update(
            state=outcome.state, reason=outcome.reason[:200]
        )
    return done


def _without_documents(queue: deque[PartFile]) -> Iterator[PartFile]:
    while queue and not queue[0].documents:
        yield queue.popleft()


def _temp_name(file: PartFile) -> str:
    return f"part-{file.part:05d}.pdf"


def _reason(exc: Exception) -> str:
    message = getattr(exc, "message", None) or str(exc) or type(exc).__name__
    return f"作成できません: {message}"[:200]


def _store(storage: Any, path: Path, name: str) -> None:
    if storage.exists(name):
        storage.delete(name)
    with path.open("rb") as fh:
        saved = storage.save(name, File(fh))
    if saved != name:  # another worker wrote it meanwhile: keep one
        storage.delete(saved)
    path.unlink()
