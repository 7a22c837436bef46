"""Request middleware of the whole site.

:class:`RequestTextGuardMiddleware` refuses, before any view, a request whose path, query
string or (outside the API) form fields hold text that is not valid Unicode or holds control
characters (the rule is :func:`core.input_guard.check_text`). One place for every page,
admin changelist filter and search box, API query parameter (cursors, filters, ``?q=``):
PostgreSQL refuses NUL in text and a lone surrogate cannot be encoded, so without it each
such parameter would be a 500 somewhere deeper. API request BODIES are checked by the API's
parsers (:mod:`core.api.parsers`), which parse them anyway; this middleware does not read
them, so it never parses a JSON or multipart body twice.

The answer is 400: the API's error body (``{"detail", "errors": {name: [message]}}``) under
``/api/``, a short Japanese page elsewhere.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.utils.html import escape

from core.input_guard import check_text
from core.jp.errors import JapaneseValueError

API_PREFIX = "/api/"


def _pairs(data: Any) -> Iterable[tuple[str, Any]]:
    for key, values in data.lists():
        for value in values:
            yield key, value


def _refusal(request: HttpRequest) -> tuple[str, JapaneseValueError] | None:
    """(parameter name, error) of the first refused text of the request, or None."""
    try:
        check_text(request.path_info, where="URL")
    except JapaneseValueError as error:
        return "path", error
    sources: list[Any] = [request.GET]
    if not request.path_info.startswith(API_PREFIX) and request.method == "POST":
        sources += [request.POST, request.FILES]
    for source in sources:
        for key, value in _pairs(source):
            text = value if isinstance(value, str) else (getattr(value, "name", "") or "")
            try:
                check_text(key)  # a refused name is never echoed back
            except JapaneseValueError as error:
                return "non_field_errors", error
            try:
                check_text(text, where=key)
            except JapaneseValueError as error:
                return key, error
    return None


class RequestTextGuardMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        refused = _refusal(request)
        if refused is None:
            return self.get_response(request)
        name, error = refused
        if request.path_info.startswith(API_PREFIX):
            return JsonResponse(
                {"detail": error.message, "errors": {name: [error.message]}},
                status=400,
                json_dumps_params={"ensure_ascii": False},
            )
        return HttpResponseBadRequest(
            "<!doctype html><html lang='ja'><head><meta charset='utf-8'>"
            "<title>入力内容に誤りがあります</title></head><body>"
            f"<h1>入力内容に誤りがあります</h1><p>{escape(error.message)}</p>"
            "<p>ブラウザの「戻る」で前の画面に戻り、入力し直してください。</p></body></html>",
            content_type="text/html; charset=utf-8",
        )


class AdminServiceErrorMiddleware:
    """The admin's one mapping of :class:`core.errors.ServiceError`: a service's refusal that
    no admin view caught becomes an error message on the page the staff member came from
    (the same page for a GET), never a 500. Outside the admin it does nothing: the API maps
    the error in ``core.api.errors``."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> Any:
        from django.http import HttpResponseRedirect
        from django.urls import reverse
        from django.utils.http import url_has_allowed_host_and_scheme

        from core.errors import ServiceError, admin_message

        if not isinstance(exception, ServiceError):
            return None
        admin_root = reverse("admin:index")
        if not request.path.startswith(admin_root):
            return None
        admin_message(request, exception)
        back = request.META.get("HTTP_REFERER", "")
        if request.method != "GET" and url_has_allowed_host_and_scheme(
            back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            return HttpResponseRedirect(back)
        if request.method != "GET":
            return HttpResponseRedirect(request.get_full_path())
        return HttpResponseRedirect(admin_root)
