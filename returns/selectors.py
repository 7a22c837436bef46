"""Reads of the return mailbox: the applicant's messages, one message, its current files.

Scope is the recipient: a message, a package or a file of anyone else is
:class:`core.errors.NotFound`, the same as one that does not exist.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import Exists, OuterRef, Prefetch, QuerySet

from core.errors import NotFound
from returns.models import PackageState, ReturnFile, ReturnMessage, ReturnPackage

NOT_FOUND = "メッセージが見つかりません。"


def _is_applicant(user: Any) -> bool:
    return bool(
        getattr(user, "is_authenticated", False)
        and (getattr(user, "is_member", False) or getattr(user, "is_attorney", False))
    )


def mailbox_for(*, user: Any) -> QuerySet[ReturnMessage]:
    """The user's messages, newest first, with ``has_files`` (a version is ready)."""
    if not _is_applicant(user):
        return ReturnMessage.objects.none()
    ready = ReturnPackage.objects.filter(message=OuterRef("pk"), state=PackageState.READY)
    return (
        ReturnMessage.objects.filter(recipient_id=user.pk)
        .select_related("application")
        .annotate(has_files=Exists(ready))
        .order_by("-id")
    )


def message_ids_for(*, user: Any, application_ids: Iterable[int]) -> dict[int, int]:
    """The user's message id per returned application (application id -> message id), for a
    list page: one query whatever the number of applications. Messages addressed to someone
    else (an attorney who filed for the member) are left out."""
    ids = list(application_ids)
    if not ids or not _is_applicant(user):
        return {}
    rows = ReturnMessage.objects.filter(recipient_id=user.pk, application_id__in=ids)
    return dict(rows.values_list("application_id", "pk"))


def message_for(*, user: Any, pk: int) -> ReturnMessage:
    """One of the user's messages with its reasons; NotFound otherwise."""
    message = mailbox_for(user=user).prefetch_related("reasons__reason").filter(pk=pk).first()
    if message is None:
        raise NotFound(NOT_FOUND)
    return message


def current_package(message: ReturnMessage) -> ReturnPackage | None:
    """The newest version that is ready, with its files; None while none is."""
    return (
        message.packages.filter(state=PackageState.READY)
        .prefetch_related(Prefetch("files", queryset=ReturnFile.objects.order_by("position")))
        .order_by("-version")
        .first()
    )


def file_for_recipient(*, user: Any, pk: int) -> ReturnFile:
    """A file of the current package of one of the user's messages; NotFound otherwise."""
    file = (
        ReturnFile.objects.select_related("package__message")
        .filter(pk=pk, package__message__recipient_id=getattr(user, "pk", None))
        .filter(package__state=PackageState.READY)
        .first()
    )
    if file is None or not _is_applicant(user):
        raise NotFound("ファイルが見つかりません。")
    current = current_package(file.package.message)
    if current is None or current.pk != file.package_id:
        raise NotFound("このファイルは新しい版に置き換えられました。画面を再読み込みしてください。")
    return file
