"""Pagination that stays fast on millions of rows: a cursor on the primary key, no COUNT.

A cursor comes from the client, so it is checked before it reaches the database: one that
does not decode, or whose position does not fit the ordering field (``p=\\0`` on an id, a
number beyond 64 bits, a control character in a フリガナ position), answers 400 with
``errors.cursor`` rather than a 500 from the query.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.pagination import Cursor, CursorPagination

from core.input_guard import unsafe_character

#: Range of the database's 64-bit integers (ids, counters).
_INT64 = (-(2**63), 2**63 - 1)

INVALID_CURSOR_MESSAGE = (
    "ページの指定（cursor）が正しくありません。一覧の最初のページから開き直してください。"
)


class IdCursorPagination(CursorPagination):
    """Newest first by id; the cursor is opaque and each page is an index range scan."""

    ordering = "-id"
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200
    invalid_cursor_message = INVALID_CURSOR_MESSAGE
    # Lazy, as DRF's own (translated when the schema is built); the stubs say str.
    cursor_query_description = _(  # type: ignore[assignment]
        "次・前のページの位置。前の応答の next / previous の URL をそのまま使ってください。"
    )
    page_size_query_description = _("1ページの件数（最大200件、省略時50件）。")  # type: ignore[assignment]

    def paginate_queryset(self, queryset: Any, request: Any, view: Any = None) -> Any:
        self._model = queryset.model
        return super().paginate_queryset(queryset, request, view)

    def decode_cursor(self, request: Any) -> Cursor | None:
        try:
            cursor = super().decode_cursor(request)
        except exceptions.NotFound:
            raise _invalid() from None
        position = cursor.position if cursor is not None else None
        if position is not None and not self._fits_ordering(position):
            raise _invalid()
        return cursor

    def _fits_ordering(self, position: str | int) -> bool:
        if unsafe_character(str(position)):
            return False
        model = getattr(self, "_model", None)
        ordering = self.ordering if isinstance(self.ordering, list | tuple) else [self.ordering]
        if model is None or not ordering:
            return True
        try:
            field = model._meta.get_field(str(ordering[0]).lstrip("-"))
        except FieldDoesNotExist:
            return True
        try:
            value = field.to_python(position)
        except ValidationError:
            return False
        if isinstance(field, models.IntegerField | models.AutoField) and value is not None:
            return _INT64[0] <= value <= _INT64[1]
        return True


def _invalid() -> exceptions.ValidationError:
    return exceptions.ValidationError({"cursor": [INVALID_CURSOR_MESSAGE]})
