"""HTTP headers every response of personal data needs: ``Cache-Control: no-store``.

Records, applications, lookups and downloads must not stay in a browser's or a proxy's cache
(a shared PC at a branch counter, a company proxy). The rule is kept simple so that no new
page can slip through: every response under the API, the admin, the sign-in and the member
pages, and every response to a signed-in user, is ``no-store``. Static files (served before
Django in production, and never personal) stay cacheable.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponseBase
from django.utils.cache import patch_cache_control

#: Paths whose every response may carry personal data, signed in or not.
PERSONAL_PREFIXES = ("/api/", "/admin/", "/accounts/", "/applications/")


def carries_personal_data(request: HttpRequest) -> bool:
    path = request.path_info
    static_url = "/" + settings.STATIC_URL.lstrip("/")
    if path.startswith(static_url):
        return False
    if path.startswith(PERSONAL_PREFIXES):
        return True
    user = getattr(request, "user", None)
    return bool(user is not None and user.is_authenticated)


class NoStoreMiddleware:
    """``Cache-Control: no-store, private`` on every response that may carry personal data."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        if carries_personal_data(request):
            # Added to what a view set (never_cache's max-age=0, no-cache …); "private"
            # replaces a view's "public", and no-store overrides any max-age.
            patch_cache_control(response, no_store=True, private=True)
        return response
