"""Web mailbox (電子ポスト) for members and attorneys: the list, one message with its files.

Server-rendered, Japanese, mobile-friendly. Files are downloaded through the same signed,
short-lived, audit-logged links as the API (:mod:`returns.api.views`). Another person's
message is a 404.
"""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from applications import presentation
from core.errors import NotFound
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
