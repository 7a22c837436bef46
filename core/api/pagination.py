"""Pagination that stays fast on millions of rows: a cursor on the primary key, no COUNT."""

from rest_framework.pagination import CursorPagination


class IdCursorPagination(CursorPagination):
    """Newest first by id; the cursor is opaque and each page is an index range scan."""

    ordering = "-id"
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200
