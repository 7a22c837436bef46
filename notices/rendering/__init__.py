"""The document engine: a Typst template and a list of items in, PDF bytes (or files) out.

It knows templates, items (plain JSON-able mappings) and PDF bytes, and nothing of Django
models, mailing batches or Celery. Templates live under ``templates/notices/`` and are
plain-text Typst markup a designer edits; each variable value sits in a ``field`` box
(``templates/notices/lib.typ``) that shrinks or wraps it to fit.

Why Typst and not WeasyPrint: one WeasyPrint ``write_pdf`` per member costs about 210 ms a
page here; Typst lays out a whole file of members in one pass, with each font embedded once
per file and subset to the glyphs used (``bench/notices.py`` prints both side by side).
"""

from notices.rendering.engine import (
    DEFAULT_FONT_PATHS,
    ITEMS_PER_FILE,
    FieldBox,
    Renderer,
    RenderError,
    qr_svg,
    renderer,
)

__all__ = [
    "DEFAULT_FONT_PATHS",
    "ITEMS_PER_FILE",
    "FieldBox",
    "RenderError",
    "Renderer",
    "qr_svg",
    "renderer",
]
