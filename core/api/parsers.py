"""The API's request parsers (``DEFAULT_PARSER_CLASSES``): DRF's, with the edge checks of
:mod:`core.input_guard` applied to every body.

* JSON: at most ``API_MAX_JSON_BYTES`` (413 above), strict UTF-8, bounded depth, no
  ``NaN``/``Infinity``, no control characters or lone surrogates in any key or string (400).
* Forms (urlencoded) and multipart: every field value, field name and file name is checked
  the same way; the non-file part is bounded by Django's ``DATA_UPLOAD_MAX_MEMORY_SIZE``
  (multipart) or read only up to it (urlencoded).

A refusal is a DRF :class:`~rest_framework.exceptions.ParseError` (400) or
:class:`PayloadTooLarge` (413) with a Japanese message, in the API's one error body.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.http import QueryDict
from rest_framework import exceptions, parsers, status

from core.input_guard import check_text, loads_json, max_json_bytes, too_large_error
from core.jp.errors import JapaneseValueError


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "送信内容が大きすぎます。"
    default_code = "too_large"


def _refuse(error: JapaneseValueError) -> exceptions.APIException:
    if error.code == "too_large":
        return PayloadTooLarge(error.message)
    return exceptions.ParseError(error.message)


def check_form_strings(pairs: Iterable[tuple[str, Any]]) -> None:
    """Check field names and string values (and file names) of a parsed form."""
    for key, value in pairs:
        check_text(key)  # a refused name is never echoed back in the message
        if isinstance(value, str):
            check_text(value, where=key)
        else:
            check_text(getattr(value, "name", "") or "", where=key)


class JSONParser(parsers.JSONParser):
    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        limit = max_json_bytes()
        raw = stream.read(limit + 1) if stream is not None else b""
        try:
            return loads_json(raw)
        except JapaneseValueError as error:
            raise _refuse(error) from None


class FormParser(parsers.FormParser):
    # The stubs' return type is _ImmutableQueryDict, a QueryDict they alone know.
    def parse(  # type: ignore[override]
        self, stream: Any, media_type: str | None = None, parser_context: Any = None
    ) -> QueryDict:
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE or max_json_bytes()
        raw = stream.read(limit + 1) if stream is not None else b""
        if len(raw) > limit:
            raise _refuse(too_large_error(limit))
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        data = QueryDict(raw, encoding=encoding)
        try:
            check_form_strings(_pairs(data))
        except JapaneseValueError as error:
            raise _refuse(error) from None
        return data


class MultiPartParser(parsers.MultiPartParser):
    def parse(
        self, stream: Any, media_type: str | None = None, parser_context: Any = None
    ) -> parsers.DataAndFiles:
        parsed = super().parse(stream, media_type, parser_context)
        try:
            check_form_strings(_pairs(parsed.data))
            check_form_strings(_pairs(parsed.files))
        except JapaneseValueError as error:
            raise _refuse(error) from None
        return parsed


def _pairs(data: Any) -> Iterable[tuple[str, Any]]:
    for key, values in data.lists():
        for value in values:
            yield key, value
