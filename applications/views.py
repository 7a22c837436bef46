"""Web pages of the applications app.

* The member's own applications (``/applications/mine/``) as cards: newest first, keyset
  pages (no COUNT), status and status comment as the applicant sees them, with what an
  attorney filed for the member marked as such and the drafts to take up again; someone
  else's id is a 404.
* Attachment files for reviewers: staff only, branch-scoped, every opening audit-logged.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from applications import presentation
from applications.models import Application, ApplicationAttachment, ApplicationStatus
from applications.selectors import (
    application_visible_to_member,
    applications_visible_to_member,
    drafts_for_applicant,
)
from core.audit import record_event
from core.member_site import applicant_required
from core.models import AuditEvent
from core.scoping import branch_scope
from returns.selectors import message_ids_for as return_message_ids

#: Applications per page on the member's list.
MEMBER_PAGE_SIZE = 20


@require_GET
@never_cache
@applicant_required
def member_list(request: HttpRequest) -> HttpResponse:
    """The signed-in member's (or attorney's) filed applications, newest first.

    Keyset pagination on the id (``?before=<id>``): each page is one index range scan on
    (applicant, -id), however many applications there are; no COUNT.
    """
    qs = applications_visible_to_member(user=request.user).exclude(status=ApplicationStatus.DRAFT)
    before = request.GET.get("before", "")
    if before.isdigit():
        qs = qs.filter(pk__lt=int(before))
    rows = list(qs[: MEMBER_PAGE_SIZE + 1])
    more = len(rows) > MEMBER_PAGE_SIZE
    rows = rows[:MEMBER_PAGE_SIZE]
    message_ids = return_message_ids(
        user=request.user,
        application_ids=[a.pk for a in rows if a.status == ApplicationStatus.RETURNED],
    )
    items = [
        {
            "obj": a,
            "form_name": presentation.form_name(a.form_code, a.form_version),
            "by_attorney": a.applicant_id != request.user.pk,
            "message_id": message_ids.get(a.pk),
        }
        for a in rows
    ]
    drafts = []
    if not before:
        drafts = [
            {"obj": d, "form_name": presentation.form_name(d.form_code, d.form_version)}
            for d in drafts_for_applicant(user=request.user)[:MEMBER_PAGE_SIZE]
        ]
    return render(
        request,
        "applications/member_list.html",
        {
            "items": items,
            "next_before": rows[-1].pk if more else None,
            "is_first_page": not before,
            "drafts": drafts,
        },
    )


@require_GET
@never_cache
@applicant_required
def member_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One of the member's applications with its status history; any other id is a 404."""
    application = application_visible_to_member(user=request.user, pk=pk)
    if application.status == ApplicationStatus.DRAFT:
        raise Http404
    rows, _extra = presentation.entered_rows(
        application.form_code, application.form_version, application.data
    )
    return render(
        request,
        "applications/member_detail.html",
        {
            "application": application,
            "form_name": presentation.form_name(application.form_code, application.form_version),
            "entered_rows": rows,
            "history": application.status_changes.all(),
            "by_attorney": application.applicant_id != request.user.pk,
        },
    )


@require_GET
@never_cache
def attachment_file(request: HttpRequest, pk: int) -> FileResponse:
    """An attachment for a reviewer: staff with the view permission, own branch only."""
    user = request.user
    if not getattr(user, "is_authenticated", False) or not user.is_staff:
        raise PermissionDenied
    if not (
        user.has_perm("applications.view_application")
        or user.has_perm("applications.change_application")
    ):
        raise PermissionDenied
    attachment = (
        ApplicationAttachment.objects.select_related("application")
        .filter(pk=pk, application__in=branch_scope(Application.objects.all(), user))
        .first()
    )
    if attachment is None:
        raise Http404(_("添付ファイルが見つかりません。"))
    try:
        handle = attachment.file.open("rb")
    except (FileNotFoundError, OSError):
        raise Http404(_("添付ファイルが見つかりません。")) from None
    record_event(
        actor=user,
        action=AuditEvent.Action.DOWNLOAD,
        obj=attachment,
        branch_id=attachment.application.branch_id,
        changes={"application_id": attachment.application_id, "kind": attachment.kind},
        request=request,
    )
    response = FileResponse(
        handle,
        content_type=attachment.content_type,
        as_attachment=request.GET.get("download") == "1",
        filename=attachment.original_filename,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
