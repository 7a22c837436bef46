"""Review of filed applications by branch staff: status changes, assignment, bulk intake.

Every change goes through :func:`application_change_status` or :func:`application_assign`:
the row is locked, the actor's branch scope and permission are checked, the optimistic
``version`` read by the reviewer must still be current, the change is written with its history
row and audit event, and follow-up work is announced on commit.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from applications.models import Application, ApplicationStatus, StatusChange
from applications.signals import application_completed, application_returned
from core.audit import record_event
from core.errors import Conflict, NotAllowed, ServiceError
from core.models import AuditEvent

logger = logging.getLogger(__name__)

S = ApplicationStatus

#: Allowed status changes (seed 000: 受付 → 審査中 → 審査完了, or 審査中 → 返戻). 受付 → 返戻
#: is one step too, recorded as one history row: a reviewer who sees at once that an
#: attachment is missing returns it without taking it into review first.
TRANSITIONS: dict[str, frozenset[str]] = {
    S.RECEIVED: frozenset({S.REVIEWING, S.RETURNED}),
    S.REVIEWING: frozenset({S.COMPLETED, S.RETURNED}),
}
#: Statuses that need a status comment (the applicant must learn why it was returned).
COMMENT_REQUIRED: frozenset[str] = frozenset({S.RETURNED})
#: Longest status comment (characters).
COMMENT_MAX_LENGTH = 1000
#: Most applications one bulk action may take into review.
BULK_LIMIT = 500
#: The permission a reviewer needs (core.roles.REVIEWER has it).
REVIEW_PERMISSION = "applications.change_application"


class ReviewError(ServiceError):
    """A review action refused; ``message`` is Japanese, for the reviewer."""

    code = "review_error"


class NotAllowedError(ReviewError, NotAllowed):
    """The actor may not act on this application (other branch, no permission)."""

    code = "not_allowed"


class TransitionError(ReviewError, Conflict):
    """The status change is not allowed from the current status."""

    code = "transition"


class CommentRequiredError(ReviewError):
    code = "comment_required"


class ConflictError(ReviewError, Conflict):
    """Another reviewer changed the application after this one was shown (stale version)."""

    code = "conflict"


class InvalidReviewerError(ReviewError):
    code = "invalid_reviewer"


def allowed_next_statuses(status: str) -> tuple[str, ...]:
    """The statuses an application may move to from ``status``, in workflow order."""
    allowed = TRANSITIONS.get(status, frozenset())
    return tuple(s for s in S.values if s in allowed)


def can_review(actor: Any, application: Application) -> bool:
    """Staff with the review permission, of the application's branch (or headquarters)."""
    if not getattr(actor, "is_authenticated", False) or not actor.is_staff:
        return False
    if not actor.has_perm(REVIEW_PERMISSION):
        return False
    return bool(actor.is_headquarters or actor.branch_id == application.branch_id)


def _lock(application_id: int, actor: Any) -> Application:
    application = Application.objects.select_for_update().filter(pk=application_id).first()
    if application is None or not can_review(actor, application):
        # Another branch's application is treated as not there at all.
        raise NotAllowedError(_("この申請は存在しないか、操作する権限がありません。"))
    return application


def _check_version(application: Application, expected_version: int) -> None:
    if application.version != expected_version:
        raise ConflictError(
            _(
                "この申請は、表示した後に他の審査担当者によって変更されています。"
                "最新の内容を確認してから、もう一度操作してください。"
            )
        )


def _send_returned(
    application_id: int, actor_id: int | None, signal: Any = application_returned
) -> None:
    results = signal.send_robust(
        sender=Application, application_id=application_id, actor_id=actor_id
    )
    for receiver, result in results:
        if isinstance(result, Exception):
            logger.error(
                "application_returned receiver %r failed for application %s",
                receiver,
                application_id,
                exc_info=result,
            )


def application_change_status(
    *,
    application_id: int,
    to_status: str,
    comment: str,
    actor: Any,
    expected_version: int,
    request: Any = None,
) -> Application:
    """Move an application to ``to_status`` with a status comment the applicant sees.

    Taking an unassigned application into review (審査中) assigns it to the actor when the
    actor may be its reviewer (staff of its branch); an assigned one keeps its reviewer.

    Raises :class:`NotAllowedError`, :class:`ConflictError`, :class:`TransitionError` or
    :class:`CommentRequiredError` (checked in that order); nothing is written then.
    """
    comment = (comment or "").strip()
    with transaction.atomic():
        application = _lock(application_id, actor)
        _check_version(application, expected_version)
        from_status = application.status
        if to_status not in TRANSITIONS.get(from_status, frozenset()):
            raise TransitionError(
                _("「%(from)s」から「%(to)s」には変更できません。")
                % {"from": S(from_status).label, "to": _status_label(to_status)}
            )
        if to_status in COMMENT_REQUIRED and not comment:
            raise CommentRequiredError(
                _("「%(to)s」にするときは、申請者に伝える状況コメント（理由）を入力してください。")
                % {"to": S(to_status).label}
            )
        if len(comment) > COMMENT_MAX_LENGTH:
            raise ReviewError(
                _("状況コメントは%(max)d文字以内で入力してください。") % {"max": COMMENT_MAX_LENGTH}
            )
        old_version = application.version
        old_reviewer_id = application.assigned_reviewer_id
        application.status = to_status
        application.status_comment = comment
        application.version = old_version + 1
        fields = ["status", "status_comment", "version", "updated_at"]
        if (
            to_status == S.REVIEWING
            and old_reviewer_id is None
            and is_valid_reviewer(actor, application)
        ):
            application.assigned_reviewer = actor
            fields.append("assigned_reviewer")
        application.save(update_fields=fields)
        StatusChange.objects.create(
            application=application,
            from_status=from_status,
            to_status=to_status,
            comment=comment,
            actor=actor,
        )
        record_event(
            actor=actor,
            action=AuditEvent.Action.STATUS,
            obj=application,
            changes={
                "status": [from_status, to_status],
                "status_comment": comment,
                "version": [old_version, application.version],
                **(
                    {"assigned_reviewer": [None, actor.pk]} if "assigned_reviewer" in fields else {}
                ),
            },
            request=request,
        )
        if to_status == S.RETURNED:
            app_id, actor_id = application.pk, getattr(actor, "pk", None)
            transaction.on_commit(lambda: _send_returned(app_id, actor_id))
        if to_status == S.COMPLETED:
            app_id, actor_id = application.pk, getattr(actor, "pk", None)
            transaction.on_commit(
                lambda: _send_returned(app_id, actor_id, signal=application_completed)
            )
    return application


def _status_label(value: str) -> str:
    try:
        return str(S(value).label)
    except ValueError:
        return value


def is_valid_reviewer(reviewer: Any, application: Application) -> bool:
    """Active staff of the application's branch who may review."""
    return bool(
        reviewer.is_active
        and reviewer.is_staff
        and reviewer.branch_id == application.branch_id
        and reviewer.has_perm(REVIEW_PERMISSION)
    )


def application_assign(
    *,
    application_id: int,
    reviewer: Any | None,
    actor: Any,
    expected_version: int,
    request: Any = None,
) -> Application:
    """Assign the application to ``reviewer`` (None: unassign). The reviewer must be staff
    of the application's branch with the review permission."""
    with transaction.atomic():
        application = _lock(application_id, actor)
        _check_version(application, expected_version)
        if reviewer is not None and not is_valid_reviewer(reviewer, application):
            raise InvalidReviewerError(
                _("担当者には、この申請の支部に所属する審査担当の職員を指定してください。")
            )
        old_id = application.assigned_reviewer_id
        new_id = reviewer.pk if reviewer is not None else None
        if old_id == new_id:
            return application
        old_version = application.version
        application.assigned_reviewer = reviewer
        application.version = old_version + 1
        application.save(update_fields=["assigned_reviewer", "version", "updated_at"])
        record_event(
            actor=actor,
            action=AuditEvent.Action.UPDATE,
            obj=application,
            changes={
                "assigned_reviewer": [old_id, new_id],
                "version": [old_version, application.version],
            },
            request=request,
        )
    return application


@dataclass
class BulkResult:
    """Outcome of a bulk action: ids changed, and (id, Japanese reason) of those skipped."""

    succeeded: list[int] = field(default_factory=list)
    skipped: list[tuple[int, str]] = field(default_factory=list)


def _bulk(ids: Iterable[int]) -> list[int]:
    unique = list(dict.fromkeys(int(i) for i in ids))
    if len(unique) > BULK_LIMIT:
        raise ReviewError(
            _("一度に処理できるのは%(max)d件までです。絞り込んでから実行してください。")
            % {"max": BULK_LIMIT}
        )
    return unique


def applications_take_into_review(
    *, ids: Iterable[int], actor: Any, comment: str = "", request: Any = None
) -> BulkResult:
    """Take several applications into review (受付 → 審査中), each through the service in its
    own transaction; the others are skipped with the reason."""

    def take(pk: int, version: int) -> None:
        application_change_status(
            application_id=pk,
            to_status=S.REVIEWING,
            comment=comment,
            actor=actor,
            expected_version=version,
            request=request,
        )

    return _for_each(ids, take)


def applications_assign_to(
    *, ids: Iterable[int], reviewer: Any, actor: Any, request: Any = None
) -> BulkResult:
    """Assign several applications to ``reviewer`` (the "assign to me" action)."""

    def assign(pk: int, version: int) -> None:
        application_assign(
            application_id=pk,
            reviewer=reviewer,
            actor=actor,
            expected_version=version,
            request=request,
        )

    return _for_each(ids, assign)


def _for_each(ids: Iterable[int], change: Callable[[int, int], None]) -> BulkResult:
    """Apply ``change(pk, version)`` to each application, one transaction each; what a
    service refuses is skipped with its reason."""
    wanted = _bulk(ids)
    versions = dict(Application.objects.filter(pk__in=wanted).values_list("pk", "version"))
    result = BulkResult()
    for pk in wanted:
        if pk not in versions:
            result.skipped.append((pk, _("この申請は存在しないか、操作する権限がありません。")))
            continue
        try:
            change(pk, versions[pk])
        except ReviewError as exc:
            result.skipped.append((pk, exc.message))
        else:
            result.succeeded.append(pk)
    return result
