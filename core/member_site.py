"""The gate in front of every page of the member site (電子申請サイト): who may open it, and
where a visitor who has not signed in is sent (the sign-in page, then back again)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _


def is_applicant(user: Any) -> bool:
    """A signed-in member or 社会保険労務士 (the people who file on the site)."""
    return bool(
        getattr(user, "is_authenticated", False)
        and (getattr(user, "is_member", False) or getattr(user, "is_attorney", False))
    )


def sign_in_url(next_path: str) -> str:
    return f"{reverse('signin')}?{urlencode({'next': next_path})}"


def applicant_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Members and attorneys only. A visitor not signed in goes to the sign-in page with a
    message and comes back to this page afterwards; staff are sent to the home page."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        user = request.user
        if not getattr(user, "is_authenticated", False):
            messages.info(request, _("このページを表示するには、ログインしてください。"))
            return redirect(sign_in_url(request.get_full_path()))
        if not is_applicant(user):
            messages.error(request, _("このページは加入者と社会保険労務士の方のためのページです。"))
            return redirect("home")
        return view(request, *args, **kwargs)

    return wrapped
