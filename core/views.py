"""Home page, sign-in (the chooser page, identity-provider callback, development member
sign-in, 社会保険労務士 ID and password) and the rate limit in front of every sign-in form
(admin login included)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import wraps

from django.conf import settings
from django.contrib import admin
from django.contrib.auth import authenticate, get_user_model, login, logout
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from core.audit import record_event
from core.auth.backends import sign_member_assertion
from core.auth.ratelimit import sign_in_wait, too_many_attempts_message
from core.forms import DevMemberSignInForm, signable_members
from core.jp.calendar import JST
from core.member_site import applicant_required
from core.models import AuditEvent


def too_many_attempts(request: HttpRequest, wait_seconds: int) -> HttpResponse:
    """429 with Retry-After; the same page whichever limit was reached."""
    response = render(
        request,
        "core/too_many_attempts.html",
        {"message": too_many_attempts_message(wait_seconds)},
        status=429,
    )
    response["Retry-After"] = str(wait_seconds)
    return response


def sign_in_rate_limited(account_field: str) -> Callable:
    """Count each POSTed sign-in against its address and the account named in
    `account_field`; answer 429 once either is over its limit."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if request.method == "POST":
                wait = sign_in_wait(request, account=request.POST.get(account_field))
                if wait is not None:
                    return too_many_attempts(request, wait)
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


@sign_in_rate_limited("username")
def admin_login(request: HttpRequest) -> HttpResponse:
    """The admin's own login view, behind the sign-in rate limit (config.urls routes it)."""
    return admin.site.login(request)


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """The 403 page, in Japanese: in the admin's own look under /admin/, else the site's."""
    from django.contrib import admin
    from django.urls import reverse

    if request.path.startswith(reverse("admin:index")):
        context = {**admin.site.each_context(request), "title": "表示する権限がありません"}
        return render(request, "admin/403.html", context, status=403)
    return render(request, "403.html", status=403)


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
@sign_in_rate_limited("user_id")
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


@applicant_required
def member_home(request: HttpRequest) -> HttpResponse:
    return render(request, "core/member_home.html")


@require_http_methods(["GET"])
def signin(request: HttpRequest) -> HttpResponse:
    """The sign-in page of the member site: members through the identity provider (the
    development sign-in locally), 社会保険労務士 with ID and password. ``?next=`` is kept."""
    next_url = safe_next_url(request, default=reverse("member-home"))
    query = "?" + urlencode({"next": next_url})
    return render(
        request,
        "core/signin.html",
        {
            "dev_signin": settings.DEV_MEMBER_SIGNIN,
            "idp_url": settings.MEMBER_IDP_START_URL,
            "query": query,
        },
    )


def lockout_message(locked_until: datetime) -> str:
    """Until when the lock lasts, in Japan time."""
    local = locked_until.astimezone(JST)
    return _(
        "このアカウントはログインに続けて失敗したためロックされています。"
        "%(until)s以降に、もう一度ログインしてください。"
    ) % {"until": f"{local:%Y-%m-%d %H:%M}"}


@require_http_methods(["GET", "POST"])
@sign_in_rate_limited("username")
def attorney_signin(request: HttpRequest) -> HttpResponse:
    """社会保険労務士: ID and password, with the lock-out of core.auth (until when it lasts)."""
    error = ""
    username = ""
    if request.method == "POST":
        username = request.POST.get("username", "").strip()[:150]
        password = request.POST.get("password", "")[:1024]
        user = authenticate(request, username=username, password=password)
        if user is not None and user.is_attorney:
            login(request, user)
            record_event(actor=user, action=AuditEvent.Action.LOGIN, obj=user, request=request)
            return redirect(safe_next_url(request, default=reverse("applications:member-list")))
        named = get_user_model()._default_manager.filter(username=username).first()
        if named is not None and named.is_attorney and named.locked_until and named.is_locked():
            error = lockout_message(named.locked_until)
        elif user is not None:
            error = _(
                "このページは社会保険労務士の方のログイン画面です。"
                "職員の方は職員用の管理画面からログインしてください。"
            )
        else:
            error = _(
                "IDまたはパスワードが正しくありません。"
                "続けて5回間違えると、アカウントが30分間ロックされます。"
            )
    return render(
        request,
        "core/attorney_signin.html",
        {"error": error, "username": username},
        status=400 if error else 200,
    )
