"""The document engine: a Typst template and a list of items in, PDF bytes (or files) out.

It knows templates, items (plain JSON-able mappings) and PDF bytes, and nothing of Django
models, mailing batches or Celery. Templates live under ``templates/notices/`` and are
plain-text Typst markup a designer edits; each variable value sits in a ``field`` box
(``templates/notices/lib.typ``) that shrinks or wraps it to fit.

Why Typst and not WeasyPrint: one WeasyPrint ``write_pdf`` per member costs about 100 ms a
page here; Typst lays out a whole file of members in one pass, with each font embedded once
per file and subset to the glyphs used (``bench/notices.py`` prints both side by side).
Three things keep it fast: the static layer of a template is compiled once and drawn under
every page as one shared object; values are fitted to their boxes in Python from the fonts'
glyph widths, not measured in Typst; QR codes are small PNGs from zxing-cpp (``qr.py``).
Each file is compiled in a forked child, which takes Typst's caches with it when it exits.

Interface: ``renderer(template).render(items, common=...) -> bytes`` for a file;
``render_files(items, directory)`` for any number of items, in files of ``ITEMS_PER_FILE``;
``render(..., reference=True)`` lays every page out in full (the plain reference);
``field_boxes(...)`` tells where each value went and at what size (for tests).
"""

from notices.rendering.engine import (
    DEFAULT_FONT_PATHS,
    ITEMS_PER_FILE,
    FieldBox,
    Renderer,
    RenderError,
    renderer,
)
from notices.rendering.qr import qr_code, qr_png

__all__ = [
    "DEFAULT_FONT_PATHS",
    "ITEMS_PER_FILE",
    "FieldBox",
    "RenderError",
    "Renderer",
    "qr_code",
    "qr_png",
    "renderer",
]
