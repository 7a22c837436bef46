"""Web mailbox (電子ポスト) for members and attorneys: the list, one message with its files.

Server-rendered, Japanese and English, mobile-friendly. From a message (or an uploaded
resubmission file) the applicant starts a resubmission draft and continues on the member
site's entry page (:mod:`applications.web.views`), the returned application's attachments
carried over as the entry page's pending files (replaceable there). Files are downloaded
through the same signed, short-lived, audit-logged links as the API
(:mod:`returns.api.views`). Another person's message is a 404.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from applications import presentation
from applications.models import Application
from applications.web import pending
from core.errors import NotFound, ServiceError
from core.member_site import applicant_required
from core.uploads import UploadError, validate_upload
from returns import selectors, services
from returns.api.serializers import file_url, zip_url

#: Messages per page.
PAGE_SIZE = 20


def _is_applicant(user: object) -> bool:
    return bool(
        getattr(user, "is_authenticated", False)
        and (getattr(user, "is_member", False) or getattr(user, "is_attorney", False))
    )


@require_GET
@never_cache
def mailbox(request: HttpRequest) -> HttpResponse:
    """The signed-in applicant's messages, newest first, unread ones marked."""
    if not _is_applicant(request.user):
        return redirect("home")
    qs = selectors.mailbox_for(user=request.user)
    before = request.GET.get("before", "")
    if before.isdigit():
        qs = qs.filter(pk__lt=int(before))
    rows = list(qs[: PAGE_SIZE + 1])
    more = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    items = [
        {
            "obj": m,
            "form_name": presentation.form_name(
                m.application.form_code, m.application.form_version
            ),
        }
        for m in rows
    ]
    return render(
        request,
        "returns/mailbox.html",
        {"items": items, "next_before": rows[-1].pk if more else None},
    )


@require_GET
@never_cache
def message_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One message: the reasons and the files; opening it is recorded."""
    if not _is_applicant(request.user):
        return redirect("home")
    try:
        message = selectors.message_for(user=request.user, pk=pk)
    except NotFound:
        raise Http404 from None
    services.message_mark_opened(message=message, user=request.user, request=request)
    package = selectors.current_package(message)
    files = (
        [{"obj": f, "url": file_url(request, f)} for f in package.files.all()] if package else []
    )
    application = message.application
    return render(
        request,
        "returns/message.html",
        {
            "message": message,
            "application": application,
            "form_name": presentation.form_name(application.form_code, application.form_version),
            "files": files,
            "zip_url": zip_url(request, message) if package else None,
            "package": package,
        },
    )


# --- resubmission ----------------------------------------------------------------------------


def _carry_attachments(request: HttpRequest, draft: Application) -> None:
    """The returned application's attachments become the entry page's pending files (checked
    again like any upload), unless this draft already has pending files (started again)."""
    if pending.pending_for(request, draft.pk) or draft.resubmission_of is None:
        return
    ids = list(draft.resubmission_of.attachments.values_list("pk", flat=True))
    for kind, name, content in services.resubmission_attachments(
        actor=request.user, draft=draft, reuse=ids
    ):
        try:
            clean = validate_upload(content, filename=name)
        except UploadError:
            continue  # no longer accepted: the member attaches it again
        pending.add(request, draft.pk, kind, clean)


@require_POST
@applicant_required
def resubmit(request: HttpRequest, pk: int) -> HttpResponse:
    """「この申請を修正して再申請する」: a draft prefilled from the message's returned
    application, then the member site's entry page."""
    try:
        message = selectors.message_for(user=request.user, pk=pk)
    except NotFound:
        raise Http404 from None
    try:
        draft = services.resubmission_start(
            actor=request.user, application_id=message.application_id, request=request
        )
    except ServiceError as exc:
        messages.error(request, exc.message)
        return redirect("returns:message", pk=pk)
    _carry_attachments(request, draft)
    return redirect("applications:file-entry", pk=draft.pk)


@never_cache
@require_http_methods(["GET", "POST"])
@applicant_required
def resubmit_file(request: HttpRequest) -> HttpResponse:
    """Upload the resubmission file (JSON): the same service as the API; a refused file's
    message goes beside the field and nothing is created."""
    errors: list[str] = []
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None:
            errors = [_("再申請用ファイル（JSON）を選択してください。")]
        else:
            content = upload.read(settings.RETURNS_RESUBMISSION_MAX_BYTES + 1)
            try:
                draft = services.resubmission_start(
                    actor=request.user, file_content=content, request=request
                )
            except ServiceError as exc:
                errors = [exc.message]
                errors += [m for ms in exc.field_errors.values() for m in ms]
            else:
                _carry_attachments(request, draft)
                return redirect("applications:file-entry", pk=draft.pk)
    return render(
        request, "returns/resubmit.html", {"errors": errors}, status=400 if errors else 200
    )
