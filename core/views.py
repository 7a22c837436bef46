"""Home page and member sign-in (identity-provider callback, development sign-in)."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import authenticate, get_user_model, login, logout
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from core.audit import record_event
from core.auth.backends import sign_member_assertion
from core.models import AuditEvent


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "core/home.html", {"dev_signin": settings.DEV_MEMBER_SIGNIN})


def _sign_in_member(request: HttpRequest, assertion: str) -> HttpResponse:
    user = authenticate(request, member_assertion=assertion)
    if user is None:
        return HttpResponseBadRequest(
            "本人確認に失敗しました。もう一度マイナンバーカードでログインしてください。"
        )
    login(request, user)
    record_event(actor=user, action=AuditEvent.Action.LOGIN, obj=user, request=request)
    return redirect(request.GET.get("next") or "member-home")


def member_idp_callback(request: HttpRequest) -> HttpResponse:
    """Where the identity provider sends the member back with its signed assertion."""
    return _sign_in_member(request, request.GET.get("assertion", ""))


@require_http_methods(["GET", "POST"])
def dev_member_signin(request: HttpRequest) -> HttpResponse:
    """Development only: sign in as a demo member without the card. 404 elsewhere."""
    if not settings.DEV_MEMBER_SIGNIN:
        raise Http404
    members = get_user_model().objects.filter(kind="member", is_active=True).order_by("id")
    if request.method == "POST":
        user_id = request.POST.get("user_id", "")
        user = members.filter(pk=int(user_id)).first() if user_id.isdigit() else None
        if user is None:
            raise Http404
        return _sign_in_member(request, sign_member_assertion(user.pk))
    return render(request, "core/dev_member_signin.html", {"members": members[:50]})


@require_POST
def sign_out(request: HttpRequest) -> HttpResponse:
    logout(request)
    return redirect("home")


def member_home(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated or not request.user.is_member:
        return redirect("home")
    return render(request, "core/member_home.html")
