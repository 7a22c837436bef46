"""The project's messages for DRF's own errors (401, 403, 405, 406, 415, 429, parse errors).

DRF answers these in English, or in its Japanese catalogue's terse wording, and some of them
(a JSON parse error, a CSRF reason) are never translated at all. :func:`framework_message`
gives the project's actionable message in the request's language (gettext, English
catalogue in ``locale/en``) for an exception DRF raised with its default text; a message the
project wrote itself is kept.
"""

from __future__ import annotations

from typing import Any

from django.utils.encoding import force_str
from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.request import Request

#: Raised only by DRF in this project: their text is always DRF's, so always replaced.
_ALWAYS = (
    exceptions.NotAuthenticated,
    exceptions.AuthenticationFailed,
    exceptions.MethodNotAllowed,
    exceptions.NotAcceptable,
    exceptions.UnsupportedMediaType,
    exceptions.Throttled,
)
#: Also raised by the project with its own message: replaced only when DRF's default.
_WHEN_DEFAULT = (exceptions.PermissionDenied, exceptions.NotFound, exceptions.ParseError)


def _message(exc: exceptions.APIException, request: Request | None) -> str:
    if isinstance(exc, exceptions.NotAuthenticated):
        return _(
            "ログインしていません。ログインしてから開くか、API クライアントは "
            "Authorization: Token ヘッダーでトークンを送ってください。"
        )
    if isinstance(exc, exceptions.AuthenticationFailed):
        return _(
            "認証できません。トークンが正しいか確認し、必要なら /api/v1/auth/token/ で"
            "取得し直してください。"
        )
    if isinstance(exc, exceptions.MethodNotAllowed):
        method = request.method if request is not None else ""
        return _(
            "この URL では {method} を使えません。API の説明書で操作を確認してください。"
        ).format(method=method)
    if isinstance(exc, exceptions.NotAcceptable):
        return _("Accept ヘッダーの形式では応答できません。application/json を指定してください。")
    if isinstance(exc, exceptions.UnsupportedMediaType):
        media_type = (request.content_type if request is not None else "") or "-"
        return _(
            "送信形式 {media_type} には対応していません。application/json または "
            "multipart/form-data で送ってください。"
        ).format(media_type=media_type)
    if isinstance(exc, exceptions.Throttled):
        wait = getattr(exc, "wait", None)  # set by Throttled.__init__ (not in the stubs)
        if wait is not None:
            return _("リクエストが多すぎます。{wait} 秒後にもう一度お試しください。").format(
                wait=wait
            )
        return _("リクエストが多すぎます。しばらくしてからもう一度お試しください。")
    if isinstance(exc, exceptions.PermissionDenied):
        return _("この操作を行う権限がありません。")
    if isinstance(exc, exceptions.NotFound):
        return _("見つかりません。")
    return _("送信内容を解釈できません。JSON などの形式が正しいか確認してください。")


#: DRF's parsers raise these untranslated, with the parser's own English reason after them.
_DRF_PARSE_ERRORS = ("JSON parse error - ", "Multipart form parse error - ")


def _is_default(exc: exceptions.APIException) -> bool:
    detail = force_str(exc.detail) if not isinstance(exc.detail, list | dict) else ""
    if isinstance(exc, exceptions.ParseError) and detail.startswith(_DRF_PARSE_ERRORS):
        return True
    return detail == force_str(exc.default_detail)


def framework_message(exc: Exception, context: dict[str, Any]) -> str | None:
    """The project's message for DRF's own error ``exc``, or None to keep its detail."""
    if isinstance(exc, _ALWAYS) or (isinstance(exc, _WHEN_DEFAULT) and _is_default(exc)):
        return _message(exc, context.get("request"))
    return None
