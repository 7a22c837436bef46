"""The API's JSON renderer: DRF's, except that a response holding a string that cannot be
encoded as UTF-8 (a lone surrogate saved before the edge refused them, see
:mod:`core.input_guard`) is written with ``\\u`` escapes instead of failing with a 500 on
every request for that row."""

from __future__ import annotations

from typing import Any

from rest_framework import renderers


class JSONRenderer(renderers.JSONRenderer):
    def render(
        self, data: Any, accepted_media_type: str | None = None, renderer_context: Any = None
    ) -> bytes:
        try:
            return super().render(data, accepted_media_type, renderer_context)
        except UnicodeEncodeError:
            ascii_only = renderers.JSONRenderer()
            ascii_only.ensure_ascii = True  # type: ignore[misc]  # this instance only
            return ascii_only.render(data, accepted_media_type, renderer_context)
