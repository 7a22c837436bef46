"""API authentication: DRF's session and token classes with the project's Japanese messages.

DRF's ``SessionAuthentication`` answers a missing CSRF token with Django's English reason
("CSRF Failed: CSRF token missing."); here the 403 says, in the request's language, what to do.
The schema extension keeps the session scheme documented as ``cookieAuth``.
"""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions
from rest_framework.request import Request

CSRF_FAILED_MESSAGE = _(
    "CSRF トークンがないか正しくありません。画面を開き直してから、もう一度送信してください。"
    "API クライアントは Authorization: Token ヘッダーで認証してください。"
)


class SessionAuthentication(authentication.SessionAuthentication):
    """Session authentication whose CSRF failure is a Japanese (or English) 403."""

    def enforce_csrf(self, request: Request) -> None:
        try:
            super().enforce_csrf(request)
        except exceptions.PermissionDenied:
            raise exceptions.PermissionDenied(CSRF_FAILED_MESSAGE) from None


class SessionScheme(OpenApiAuthenticationExtension):
    target_class = "core.api.authentication.SessionAuthentication"
    name = "cookieAuth"

    def get_security_definition(self, auto_schema: object) -> dict[str, str]:
        return {
            "type": "apiKey",
            "in": "cookie",
            "name": settings.SESSION_COOKIE_NAME,
            "description": str(_("職員・加入者のブラウザのセッション（ログイン画面で取得）。")),
        }


class TokenScheme(OpenApiAuthenticationExtension):
    target_class = "rest_framework.authentication.TokenAuthentication"
    name = "tokenAuth"
    match_subclasses = True
    priority = 1

    def get_security_definition(self, auto_schema: object) -> dict[str, str]:
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": str(
                _(
                    "トークン認証。/api/v1/auth/token/ で取得したトークンを "
                    "「Authorization: Token <トークン>」の形で送ってください。"
                )
            ),
        }
