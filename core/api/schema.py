"""OpenAPI schema generation: every operation documents the errors it can answer, once.

drf-spectacular documents what a view says it returns. Errors come from the framework and
from :mod:`core.api.errors` (one body, ``{"detail": …, "errors": {…}}``) whatever the view
is, so they are added here for every operation, from what the view is made of:

* 401 and 403: every view authenticates (a wrong token is 401 anywhere; a missing
  permission or CSRF token is 403);
* 400: every operation (a malformed body, query parameter or path, or a request that Django
  or a middleware refuses before any view, see core.api.fallbacks);
* 404: a path parameter, or a cursor (an unknown cursor is "not found");
* 429: a view with throttles;
* any code a view lists in ``schema_error_codes`` (e.g. ``["429"]`` for a rate limit that is
  not a DRF throttle).

Responses a view documents itself (409, a 403 with its own description …) are kept; any 4xx
response without a body gets the common error body.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import inline_serializer
from rest_framework import serializers

ERROR_DESCRIPTIONS: dict[str, str] = {
    "400": "入力の誤り（本文・クエリ・URL）。errors に項目ごとのメッセージ",
    "401": "未ログイン、またはトークンが無効",
    "403": "この操作の権限がない",
    "404": "見つからない（他の方のデータ、無効なカーソルを含む）",
    "409": "現在の状態ではこの操作はできない（すでに提出済みなど）",
    "429": "リクエストが多すぎる。Retry-After の秒数の後に再試行",
}


#: The API's one error body (core.api.errors) as the component ``Error``. Built with
#: ``inline_serializer`` because a Serializer class cannot declare a field named ``errors``
#: without shadowing ``Serializer.errors`` for the type checker. One instance, one component.
ERROR_SERIALIZER = inline_serializer(
    name="Error",
    fields={
        "detail": serializers.CharField(help_text="利用者向けのメッセージ"),
        "errors": serializers.DictField(
            child=serializers.ListField(child=serializers.CharField()),
            help_text="項目名 → メッセージ。項目に依らない誤りは non_field_errors。"
            "入力の誤り（400）以外は空",
        ),
    },
)
type(ERROR_SERIALIZER).__doc__ = "API 共通のエラー本文（core.api.errors）。"


class ProjectAutoSchema(AutoSchema):
    """AutoSchema that adds the errors every operation can answer (see the module doc)."""

    def _error_codes(self) -> list[str]:
        codes: list[str] = []
        if self.view.get_authenticators():
            codes += ["401", "403"]
        elif self.view.get_permissions():
            codes.append("403")
        codes.append("400")
        if "{" in self.path or (self._is_list_view() and self._get_paginator() is not None):
            codes.append("404")
        if self.view.get_throttles():
            codes.append("429")
        codes += getattr(self.view, "schema_error_codes", [])
        return codes

    def _get_response_bodies(self, direction: Any = "response") -> dict[str, Any]:
        responses: dict[str, Any] = super()._get_response_bodies(direction)
        for code in self._error_codes():
            responses.setdefault(code, {"description": ERROR_DESCRIPTIONS.get(code, "エラー")})
        error_ref = None
        for code, response in responses.items():
            if code.startswith("4") and "content" not in response:
                if str(response.get("description", "")) in ("", "No response body"):
                    response["description"] = ERROR_DESCRIPTIONS.get(code, "エラー")
                if error_ref is None:
                    error_ref = self.resolve_serializer(ERROR_SERIALIZER, "response").ref
                response["content"] = {"application/json": {"schema": error_ref}}
        return dict(sorted(responses.items()))
