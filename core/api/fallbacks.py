"""The API's error body for requests under /api/ that no API view answers.

A URL that matches no route (``/api/v1/applications/abc/`` where an id is expected), or a
request Django refuses before any view (400), would otherwise get Django's HTML page; an API
client gets the same ``{"detail": …, "errors": {}}`` JSON as from every API view.
Other paths keep Django's pages.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views import defaults

API_PREFIX = "/api/"


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith(API_PREFIX)


def not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    if _is_api(request):
        return JsonResponse({"detail": "見つかりません。", "errors": {}}, status=404)
    return defaults.page_not_found(request, exception)


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    if _is_api(request):
        return JsonResponse(
            {"detail": "リクエストの形式が正しくありません。", "errors": {}}, status=400
        )
    return defaults.bad_request(request, exception)
