"""Home page and member sign-in (identity-provider callback, development sign-in)."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import authenticate, login, logout
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST

from core.audit import record_event
from core.auth.backends import sign_member_assertion
from core.forms import DevMemberSignInForm, signable_members
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
    return redirect(safe_next_url(request, default=reverse("member-home")))


def safe_next_url(request: HttpRequest, *, default: str) -> str:
    """`?next=` if it stays on this site (a path here, or this host), else `default`.

    Refuses other hosts, scheme-relative `//evil.example`, `javascript:` and the like, and
    plain http when the request came over https.
    """
    target = request.GET.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


def member_idp_callback(request: HttpRequest) -> HttpResponse:
    """Where the identity provider sends the member back with its signed assertion."""
    return _sign_in_member(request, request.GET.get("assertion", ""))


@require_http_methods(["GET", "POST"])
def dev_member_signin(request: HttpRequest) -> HttpResponse:
    """Development only: sign in as a demo member without the card. 404 elsewhere."""
    if not settings.DEV_MEMBER_SIGNIN:
        raise Http404
    form = DevMemberSignInForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        return _sign_in_member(request, sign_member_assertion(form.cleaned_data["user_id"].pk))
    return render(
        request,
        "core/dev_member_signin.html",
        {"members": signable_members()[:50], "form": form},
        status=400 if form.is_bound else 200,
    )


@require_POST
def sign_out(request: HttpRequest) -> HttpResponse:
    logout(request)
    return redirect("home")


def member_home(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated or not request.user.is_member:
        return redirect("home")
    return render(request, "core/member_home.html")
