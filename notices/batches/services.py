"""The life of a mailing batch: define, preview, launch (plan), pause, resume, cancel, retry
the failures; and the workers' side: render a chunk, finish the batch, sweep what a dead
worker left. Every service that a person calls takes the actor and checks branch scope."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import kombu.exceptions
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Max, Q
from django.utils import timezone

from core.audit import record_event
from core.errors import Conflict, NotAllowed, ServiceError
from core.jp.kana import normalize_kana
from core.models import AuditEvent
from eligibility.models import EligibilityRecord
from notices.batches import finishing, leases, planning, tracked
from notices.batches.models import (
    DOCUMENT_OF_KIND,
    Document,
    Kind,
    MailingBatch,
    MailingChunk,
    MailingItem,
    TrackedRange,
)

logger = logging.getLogger(__name__)
# What publishing raises when the broker is away (kombu wraps the transport's errors).
BROKER_ERRORS = (kombu.exceptions.OperationalError, OSError)

Status = MailingBatch.Status
State = MailingItem.State
Action = AuditEvent.Action


class BatchInputError(ServiceError):
    code = "batch_input"
    status = 400


def _today() -> date:
    return timezone.localdate()


def _check_actor(actor: Any, branch_id: int | None) -> None:
    """Headquarters may act on any batch; a branch's staff only on their branch's."""
    if actor is None:  # the system (beat, application hooks)
        return
    if not getattr(actor, "is_staff", False):
        raise NotAllowed("発送バッチを扱う権限がありません。")
    if actor.is_headquarters:
        return
    if branch_id is None or branch_id != actor.branch_id:
        raise NotAllowed("自支部の発送バッチだけを扱えます。支部を選んでください。")


def scoped_batch(batch_id: int, actor: Any, *, lock: bool = False) -> MailingBatch:
    qs = MailingBatch.objects.select_for_update() if lock else MailingBatch.objects
    try:
        batch = qs.get(pk=batch_id)
    except MailingBatch.DoesNotExist:
        raise ServiceError("発送バッチが見つかりません。", code="not_found", status=404) from None
    _check_actor(actor, batch.branch_id)
    return batch


# --- define and preview ----------------------------------------------------------------


def define_batch(
    *,
    actor: Any,
    kind: str,
    as_of: date | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
    include_requested: bool = True,
    branch_id: int | None = None,
    record_id: int | None = None,
    tracked_first: int | None = None,
    tracked_last: int | None = None,
    today: date | None = None,
) -> MailingBatch:
    """A batch in state 定義済み: nothing planned yet. Wrong input raises BatchInputError."""
    today = today or _today()
    _check_actor(actor, branch_id)
    if kind == Kind.NOTICE_ACQUIRED:
        as_of = as_of or date_to
    if kind == Kind.CERTIFICATE_STANDING:
        as_of = today
    if kind in (Kind.REISSUE_NOTICE, Kind.REISSUE_CERTIFICATE):
        as_of = as_of or today
    errors = definition_errors(
        kind=kind,
        as_of=as_of,
        date_from=date_from,
        date_to=date_to,
        record_id=record_id,
        tracked_first=tracked_first,
        tracked_last=tracked_last,
        today=today,
    )
    if errors:
        first = next(iter(errors.values()))[0]
        raise BatchInputError(first, field_errors=errors)
    assert as_of is not None  # definition_errors said so otherwise
    batch = MailingBatch.objects.create(
        kind=kind,
        document=DOCUMENT_OF_KIND[Kind(kind)],
        as_of=as_of,
        date_from=date_from,
        date_to=date_to,
        include_requested=include_requested,
        branch_id=branch_id,
        record_id=record_id,
        tracked_first=tracked_first,
        tracked_last=tracked_last,
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    record_event(actor=actor, action=Action.CREATE, obj=batch, changes={"kind": kind})
    return batch


def definition_errors(
    *,
    kind: str,
    as_of: date | None,
    date_from: date | None,
    date_to: date | None,
    record_id: int | None,
    tracked_first: int | None,
    tracked_last: int | None,
    today: date,
) -> dict[str, list[str]]:
    """What is wrong with a batch's definition, by field (Japanese); empty when nothing."""
    errors: dict[str, list[str]] = {}
    if kind not in Kind.values or kind == Kind.RESEND:
        errors["kind"] = ["発送の種類を選んでください。"]
    if kind == Kind.NOTICE_ACQUIRED:
        if date_from is None or date_to is None:
            errors["date_from"] = ["資格取得日の期間（から・まで）を入力してください。"]
        elif date_from > date_to:
            errors["date_to"] = ["期間の「まで」は「から」以降の日付にしてください。"]
    reissue = kind in (Kind.REISSUE_NOTICE, Kind.REISSUE_CERTIFICATE)
    if reissue and (
        record_id is None or not EligibilityRecord.objects.filter(pk=record_id).exists()
    ):
        errors["record"] = ["再交付する資格を選んでください。"]
    if as_of is None:
        errors.setdefault("as_of", ["抽出日（基準日）を入力してください。"])
    elif as_of > today:
        errors["as_of"] = ["抽出日（基準日）に未来の日付は指定できません。"]
    elif date_to is not None and date_to > today:
        errors["date_to"] = ["期間の「まで」に未来の日付は指定できません。"]
    if (tracked_first is None) != (tracked_last is None):
        errors["tracked_last"] = ["特定記録番号の範囲は「から」と「まで」を両方入力してください。"]
    elif tracked_first is not None and tracked_last is not None and tracked_first > tracked_last:
        errors["tracked_last"] = ["特定記録番号の「まで」は「から」以上にしてください。"]
    elif (
        tracked_first is not None
        and tracked_last is not None
        and _range_overlaps(tracked_first, tracked_last)
    ):
        errors["tracked_first"] = [
            "この特定記録番号の範囲は、ほかの発送バッチか取込済みの番号と重なっています。"
        ]
    return errors


def _range_overlaps(first: int, last: int, *, exclude: int | None = None) -> bool:
    qs = MailingBatch.objects.filter(tracked_first__lte=last, tracked_last__gte=first)
    if exclude is not None:
        qs = qs.exclude(pk=exclude)
    imported = TrackedRange.objects.filter(first__lte=last, last__gte=first)
    return qs.exists() or imported.exists()


@dataclass(frozen=True, slots=True)
class PreviewRow:
    branch_id: int
    route: str
    count: int


def preview(batch_id: int, *, actor: Any, today: date | None = None) -> list[PreviewRow]:
    """Counts by branch and route of who the batch would take now; nothing is written."""
    batch = scoped_batch(batch_id, actor)
    rows = planning.preview_rows(batch, today=today or _today())
    return [PreviewRow(*row) for row in rows]


# --- launch, pause, resume, cancel, retry ------------------------------------------------


def _enqueue(chunk_ids: list[int]) -> None:
    """Queue the chunks once the transaction that recorded them pending commits.

    If the broker cannot be reached (Redis restarting), the chunks stay pending in the
    database and the sweep queues them again once the broker is back: nothing is lost, and
    the caller (an operator's launch, resume or retry) is not failed for it. The first
    refusal stops the sending, so a batch of thousands of chunks does not wait on each."""
    from notices.tasks import render_chunk

    queue = settings.NOTICE_QUEUE

    def send() -> None:
        for sent, chunk_id in enumerate(chunk_ids):
            try:
                render_chunk.apply_async((chunk_id,), queue=queue)
            except BROKER_ERRORS as exc:
                logger.warning(
                    "broker unreachable (%s): %d of %d chunks left pending for the sweep",
                    exc,
                    len(chunk_ids) - sent,
                    len(chunk_ids),
                )
                return

    transaction.on_commit(send)


def launch(batch_id: int, *, actor: Any, today: date | None = None) -> MailingBatch:
    """Plan the batch (items, chunks, tracked numbers) and queue its chunks.

    The tracked-mail range must hold every item: with a range too small, the items planned
    are rolled back and it raises (nothing is created). A batch without its own range takes
    the next free numbers of the pool. No separate COUNT: the INSERT's row count is checked.
    """
    today = today or _today()
    with transaction.atomic():
        batch = scoped_batch(batch_id, actor, lock=True)
        if batch.status != Status.DRAFT:
            raise Conflict("この発送バッチはすでに開始されています。")
        pooled = batch.tracked_first is None
        imported = pooled and tracked.pool_in_use(batch.branch_id)
        run = tracked.largest_free_run(batch.branch_id) if imported else None
        if run is not None:
            batch.tracked_first, batch.tracked_last = run.first, run.last
        elif imported:  # numbers are imported here, and none is left: every item would lack one
            batch.tracked_first, batch.tracked_last = 0, -1
        elif pooled:
            top = tracked.highest_known()
            batch.tracked_first = max(top, settings.NOTICE_TRACKED_POOL_START - 1) + 1
        base = planning.base_for(batch, today=today)
        try:
            with transaction.atomic():
                planned, chunks = planning.plan_items(batch, base.sql, base.params)
        except IntegrityError as exc:
            raise Conflict(
                "特定記録番号がほかの発送バッチと重なったか、同じ方がすでに対象です。"
                "範囲を確かめてやり直してください。"
            ) from exc
        if imported:
            _check_range(batch, planned, imported=True)
            if run is not None and planned:
                tracked.take(run, batch, planned)
                batch.tracked_last = run.first + planned - 1
            else:
                batch.tracked_first = batch.tracked_last = None
        elif pooled:
            assert batch.tracked_first is not None  # set from the pool above
            batch.tracked_last = batch.tracked_first + max(planned, 1) - 1
        _check_range(batch, planned)  # raising rolls the items back: nothing is created
        _start(batch, planned, chunks, actor)
    return batch


def _check_range(batch: MailingBatch, count: int, *, imported: bool = False) -> None:
    if batch.tracked_first is None or batch.tracked_last is None:
        return
    size = batch.tracked_last - batch.tracked_first + 1
    if imported and count > size:
        raise BatchInputError(
            f"取込済みの特定記録番号の空き（連続する最大の範囲 {max(size, 0):,}件）が"
            f"対象者数（{count:,}件）より少なくなっています。"
            "郵便局から交付された番号を取り込んでから開始してください。",
            field_errors={"tracked_last": ["取込済みの番号が足りません。"]},
        )
    if count > size:
        raise BatchInputError(
            f"特定記録番号の範囲（{size:,}件）が対象者数（{count:,}件）より少なくなっています。"
            "範囲を広げてから開始してください。",
            field_errors={"tracked_last": ["範囲が足りません。"]},
        )


def _start(batch: MailingBatch, planned: int, chunks: int, actor: Any) -> None:
    batch.planned = planned
    batch.status = Status.RUNNING if chunks else Status.DONE
    batch.launched_at = timezone.now()
    if not chunks:
        batch.finished_at = batch.launched_at
    batch.save()
    record_event(
        actor=actor,
        action=Action.STATUS,
        obj=batch,
        changes={"operation": "launch", "planned": planned},
    )
    _enqueue(list(batch.chunks.values_list("pk", flat=True)))


def _set_status(batch_id: int, actor: Any, allowed: set[str], to: str, action: str) -> MailingBatch:
    with transaction.atomic():
        batch = scoped_batch(batch_id, actor, lock=True)
        if batch.status not in allowed:
            label = batch.get_status_display()
            raise Conflict(f"「{label}」の発送バッチにはこの操作はできません。")
        batch.status = to
        batch.save(update_fields=["status"])
        record_event(actor=actor, action=Action.STATUS, obj=batch, changes={"operation": action})
    return batch


def pause(batch_id: int, *, actor: Any) -> MailingBatch:
    """Workers stop after the file they are writing; the rest stays pending."""
    return _set_status(batch_id, actor, {Status.RUNNING}, Status.PAUSED, "pause")


def cancel(batch_id: int, *, actor: Any) -> MailingBatch:
    return _set_status(
        batch_id, actor, {Status.DRAFT, Status.RUNNING, Status.PAUSED}, Status.CANCELLED, "cancel"
    )


def resume(batch_id: int, *, actor: Any) -> MailingBatch:
    with transaction.atomic():
        batch = _set_status(batch_id, actor, {Status.PAUSED}, Status.RUNNING, "resume")
        pending = batch.chunks.exclude(state=MailingChunk.State.DONE)
        pending.update(state=MailingChunk.State.PENDING, claim="")
        _enqueue(list(pending.values_list("pk", flat=True)))
        if not pending.exists():
            _finish_later(batch.pk)
    return batch


def retry_failures(batch_id: int, *, actor: Any) -> int:
    """Failed items become pending again, and their chunks are queued; returns how many."""
    with transaction.atomic():
        batch = scoped_batch(batch_id, actor, lock=True)
        if batch.status not in (Status.DONE, Status.RUNNING, Status.PAUSED):
            raise Conflict("この発送バッチでは失敗分の再実行はできません。")
        failed = batch.items.filter(state=State.FAILED)
        seqs = list(failed.values_list("seq", flat=True))
        count = failed.update(state=State.PENDING, reason="")
        if not count:
            return 0
        chunk_filter = Q()
        for seq in seqs:
            chunk_filter |= Q(first_seq__lte=seq, last_seq__gte=seq)
        chunks = batch.chunks.filter(chunk_filter)
        chunks.update(state=MailingChunk.State.PENDING, claim="")
        if batch.status == Status.DONE:
            batch.status = Status.RUNNING
            batch.finished_at = None
            batch.save(update_fields=["status", "finished_at"])
        record_event(
            actor=actor,
            action=Action.STATUS,
            obj=batch,
            changes={"operation": "retry", "items": count},
        )
        if batch.status == Status.RUNNING:
            _enqueue(list(chunks.values_list("pk", flat=True)))
    return count


# --- the workers' side --------------------------------------------------------------------


def claim_chunk(chunk_id: int, *, now: Any = None) -> str | None:
    """Take the rendering chunk for this worker (``leases.take``); None when someone else
    has it or its batch is not running."""
    return leases.take(
        MailingChunk.objects.filter(pk=chunk_id, batch__status=Status.RUNNING), now=now
    )


def render_chunk(
    chunk_id: int, *, after_file: Callable[[MailingBatch, int], Any] | None = None
) -> str:
    """Render the chunk's unfinished items, file by file; what is done stays done.

    Each stored file's items are marked in the transaction that beats the chunk's heartbeat,
    and only while the claim holds and the batch runs: a pause or a cancel stops the chunk
    at the next file. ``after_file(batch, part)`` runs after each file's commit (tests).

    Returns what happened: "done", "busy" (another worker has it), "stopped" (paused or
    cancelled: the chunk goes back to pending), "lost" (the claim was taken over).
    """
    from notices.batches import rendering  # Typst and the fonts: only where chunks render

    token = claim_chunk(chunk_id)
    if token is None:
        return "busy"
    chunk = MailingChunk.objects.select_related("batch").get(pk=chunk_id)
    batch = chunk.batch
    mine = MailingChunk.objects.filter(pk=chunk_id, claim=token)
    files = rendering.prepare(batch, chunk.first_seq, chunk.last_seq)
    for file in rendering.render(batch, files):
        with transaction.atomic():
            alive = mine.filter(batch__status=Status.RUNNING).update(heartbeat=timezone.now())
            if alive:
                rendering.mark(file)
        if not alive:
            if not mine.exists():
                return "lost"
            mine.update(state=MailingChunk.State.PENDING, claim="")
            return "stopped"
        if after_file is not None:
            after_file(batch, file.part)
    if not mine.update(state=MailingChunk.State.DONE, claim=""):
        return "lost"
    _maybe_finish(batch.pk)
    return "done"


def _maybe_finish(batch_id: int) -> None:
    open_chunks = MailingChunk.objects.filter(batch_id=batch_id).exclude(
        state=MailingChunk.State.DONE
    )
    if open_chunks.exists():
        return
    _finish_later(batch_id)


def _finish_later(batch_id: int) -> None:
    """Queue the outputs on commit; with the broker away, the sweep finishes the batch."""
    from notices.tasks import finish_batch

    queue = settings.NOTICE_QUEUE

    def send() -> None:
        try:
            finish_batch.apply_async((batch_id,), queue=queue)
        except BROKER_ERRORS as exc:
            logger.warning("broker unreachable (%s): batch %s left for the sweep", exc, batch_id)

    transaction.on_commit(send)


def finish_batch(batch_id: int) -> bool:
    """Once every rendering chunk is done: 実行中 → 出力作成中, and the outputs (the manifest,
    the employers' 対象者一覧表 in chunks) planned and queued (``notices.batches.finishing``)."""
    return finishing.start(batch_id)


def sweep(*, now: Any = None) -> dict[str, int]:
    """Queue again the chunks a dead worker left running (no heartbeat for the lease), and
    the pending chunks of a running batch that shows no life for the lease (its messages were
    lost, e.g. Redis restarted without them): a batch whose workers are busy is left alone,
    so its queue is not flooded with copies. Finish the batches whose chunks are all done."""
    now = now or timezone.now()
    stale = now - timedelta(seconds=settings.NOTICE_CHUNK_LEASE)
    chunks = MailingChunk.objects.filter(batch__status=Status.RUNNING)
    ids = list(
        chunks.filter(state=MailingChunk.State.RUNNING, heartbeat__lt=stale).values_list(
            "pk", flat=True
        )
    )
    finished = 0
    with transaction.atomic():
        for batch in MailingBatch.objects.filter(status=Status.RUNNING):
            mine = MailingChunk.objects.filter(batch=batch)
            if not mine.exclude(state=MailingChunk.State.DONE).exists():
                _finish_later(batch.pk)
                finished += 1
                continue
            last = mine.aggregate(m=Max("heartbeat"))["m"] or batch.launched_at
            if last is None or last < stale:
                pending = mine.filter(state=MailingChunk.State.PENDING)
                ids += list(pending.values_list("pk", flat=True))
        _enqueue(ids)
    outputs = finishing.sweep(now=now)
    reissued = sweep_reissues(now=now)
    return {"queued": len(ids), "finishing": finished, "outputs": outputs, "reissued": reissued}


# --- the standing rule and single reissues --------------------------------------------------


def run_standing(*, today: date | None = None) -> MailingBatch | None:
    """The standing rule (Celery beat): a 資格確認書 to each member without a マイナ保険証 who
    did not ask for one, 30–50 days after acquisition; each member picked up once, ever
    (a partial unique constraint on the items)."""
    today = today or _today()
    batch = define_batch(actor=None, kind=Kind.CERTIFICATE_STANDING, today=today)
    launch(batch.pk, actor=None, today=today)
    batch.refresh_from_db()
    return batch


REISSUE_FORMS = {
    "shikaku_kakuninsho": Kind.REISSUE_CERTIFICATE,
    "oshirase_kofu": Kind.REISSUE_NOTICE,
}


class ReissueTargetError(ServiceError):
    code = "reissue_target"
    status = 409


def _kana_key(text: str) -> str:
    return normalize_kana(text or "").replace("\u3000", "")


def reissue_record_id(application: Any, *, today: date | None = None) -> int:
    """The record a completed 交付申請書 issues for: the filer's record, or, when the form
    names a family member (``target`` = ``dependent``, with ``target_name``, ``target_kana``
    and ``target_birth_date``: ``applications.forms_catalogue.definitions.target_fields``),
    that 被扶養者's record in the same household, found by birth date, then reading, then
    name, then in force on ``today``. Raises ReissueTargetError when no single record fits:
    the document is never issued to the insured person in the dependent's stead."""
    data = application.data or {}
    if data.get("target") != "dependent":
        return application.record_id
    record = application.record
    household = record.insured_record_id or record.pk
    try:
        birth = date.fromisoformat(str(data.get("target_birth_date") or ""))
    except ValueError:
        birth = None
    candidates = (
        []
        if birth is None  # no birth date on the form: no dependent can be told apart
        else list(
            EligibilityRecord.objects.filter(
                insured_record_id=household,
                kind=EligibilityRecord.Kind.DEPENDENT,
                birth_date=birth,
            ).only("pk", "name", "name_kana", "lost_on")
        )
    )
    today = today or _today()
    narrowing = (
        lambda r: _kana_key(r.name_kana) == _kana_key(data.get("target_kana", "")),
        lambda r: (
            r.name.replace("\u3000", "").replace(" ", "")
            == str(data.get("target_name", "")).replace("\u3000", "").replace(" ", "")
        ),
        lambda r: r.lost_on is None or r.lost_on > today,
    )
    for keep in narrowing:
        if len(candidates) <= 1:
            break
        candidates = [r for r in candidates if keep(r)] or candidates
    if len(candidates) != 1:
        found = "見つかりません" if not candidates else "一人に絞れません"
        raise ReissueTargetError(
            f"申請書の家族（被扶養者）に当たる資格が{found}。"
            "氏名・フリガナ・生年月日を資格情報と照らして確かめてください。"
        )
    return candidates[0].pk


def reissue_for_application(application_id: int) -> MailingBatch | None:
    """One item for the member of a completed 交付申請書 (資格確認書 / お知らせ): the filer,
    or the 被扶養者 the form names. Once per application (a unique link on the batch), so a
    redelivered task issues nothing more. When the named dependent cannot be found, nothing
    is issued; the refusal is logged and audit-recorded on the application."""
    from applications.models import Application

    application = Application.objects.select_related("record").filter(pk=application_id).first()
    if application is None or application.form_code not in REISSUE_FORMS:
        return None
    if application.record_id is None:
        return None
    try:
        record_id = reissue_record_id(application)
    except ReissueTargetError as exc:
        logger.warning("reissue for application %s not issued: %s", application_id, exc.code)
        record_event(
            actor=None,
            action=Action.STATUS,
            obj=application,
            changes={"reissue": "not_issued", "reason": exc.message},
        )
        return None
    existing = MailingBatch.objects.filter(application=application).first()
    if existing is not None:  # a redelivered task: the item was issued already
        return existing
    try:
        with transaction.atomic():
            batch = define_batch(
                actor=None,
                kind=REISSUE_FORMS[application.form_code],
                record_id=record_id,
                branch_id=application.branch_id,
            )
            MailingBatch.objects.filter(pk=batch.pk).update(application=application)
            launch(batch.pk, actor=None)
    except IntegrityError:  # another delivery of the same task won the race
        return MailingBatch.objects.filter(application=application).first()
    batch.refresh_from_db()
    return batch


def sweep_reissues(*, now: Any = None) -> int:
    """Issue what a lost ``reissue`` message left undone: the 交付申請書 that reached 審査完了
    between ``NOTICE_REISSUE_SWEEP_DAYS`` ago and one lease ago (the normal path had its
    chance), still completed, with no batch linked, not refused (audit), and with no reissue
    batch of the household made since (batches from before the link existed). Returns how
    many it issued."""
    from applications.models import Application, ApplicationStatus, StatusChange

    now = now or timezone.now()
    since = now - timedelta(days=settings.NOTICE_REISSUE_SWEEP_DAYS)
    until = now - timedelta(seconds=settings.NOTICE_CHUNK_LEASE)
    completed = dict(
        StatusChange.objects.filter(
            to_status=ApplicationStatus.COMPLETED,
            at__gte=since,
            at__lt=until,
            application__form_code__in=list(REISSUE_FORMS),
            application__status=ApplicationStatus.COMPLETED,
        )
        .exclude(
            application_id__in=MailingBatch.objects.filter(application__isnull=False).values(
                "application_id"
            )
        )
        .values_list("application_id", "at")
    )
    if not completed:
        return 0
    refused = set(
        AuditEvent.objects.filter(
            object_type=Application._meta.label_lower,
            object_id__in=[str(pk) for pk in completed],
            changes__reissue="not_issued",
        ).values_list("object_id", flat=True)
    )
    issued = 0
    for application in Application.objects.select_related("record").filter(pk__in=completed):
        if str(application.pk) in refused or application.record_id is None:
            continue
        record = application.record
        household = record.insured_record_id or record.pk
        legacy = MailingBatch.objects.filter(
            Q(record_id=household) | Q(record__insured_record_id=household),
            kind=REISSUE_FORMS[application.form_code],
            application=None,
            created_at__gte=completed[application.pk],
        )
        if legacy.exists():
            continue
        if reissue_for_application(application.pk) is not None:
            issued += 1
    return issued


__all__ = [
    "BatchInputError",
    "Document",
    "cancel",
    "define_batch",
    "finish_batch",
    "launch",
    "pause",
    "preview",
    "render_chunk",
    "resume",
    "retry_failures",
    "run_standing",
    "sweep",
]
