"""One error body for the whole API: {"detail": "...", "errors": {field: [messages]}}."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import (
    PermissionDenied,
    RequestDataTooBig,
    SuspiciousOperation,
    TooManyFieldsSent,
    TooManyFilesSent,
)
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from core.api.drf_messages import framework_message
from core.api.parsers import PayloadTooLarge
from core.errors import INVALID_INPUT_MESSAGE as VALIDATION_DETAIL
from core.errors import ServiceError


def _flatten(detail: Any) -> list[str]:
    if isinstance(detail, dict):
        return [m for v in detail.values() for m in _flatten(v)]
    if isinstance(detail, list | tuple):
        return [m for v in detail for m in _flatten(v)]
    return [str(detail)]


def _field_errors(detail: Any) -> dict[str, list[str]]:
    if isinstance(detail, dict):
        out: dict[str, list[str]] = {}
        for key, value in detail.items():
            if isinstance(value, dict):
                for sub, msgs in _field_errors(value).items():
                    out[f"{key}.{sub}"] = msgs
            else:
                out[str(key)] = _flatten(value)
        return out
    return {"non_field_errors": _flatten(detail)}


def exception_handler(exc: Exception, context: dict) -> Response | None:
    if isinstance(exc, ServiceError):
        return Response(exc.as_body(), status=exc.status, headers=exc.headers())
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(
            exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        )
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound("見つかりません。")
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, RequestDataTooBig):
        # DATA_UPLOAD_MAX_MEMORY_SIZE: DRF reads a JSON or urlencoded body through
        # request.body (and Django's multipart parser counts the fields), outside our parsers.
        exc = PayloadTooLarge("送信内容（添付ファイル以外の項目）が大きすぎます。")
    elif isinstance(exc, TooManyFieldsSent | TooManyFilesSent):
        exc = exceptions.ParseError("送信された項目またはファイルの数が多すぎます。")
    elif isinstance(exc, SuspiciousOperation):
        exc = exceptions.ParseError("送信内容を処理できません。送信内容を確認してください。")
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        response.data = {"detail": VALIDATION_DETAIL, "errors": _field_errors(exc.detail)}
        response.status_code = status.HTTP_400_BAD_REQUEST
    else:
        detail = response.data.get("detail") if isinstance(response.data, dict) else None
        detail = framework_message(exc, context) or detail
        response.data = {"detail": str(detail or exc), "errors": {}}
    return response
