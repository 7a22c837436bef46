"""Reading rendered PDFs in the notices' tests: text per page, characters with their boxes,
embedded fonts, and whether each field's text lies inside its box."""

from __future__ import annotations

import io
from dataclasses import dataclass

from pdfminer.high_level import extract_pages
from pdfminer.layout import LTChar, LTComponent, LTContainer, LTPage
from pypdf import PdfReader

from notices.rendering import FieldBox

A4_HEIGHT = 841.89


@dataclass(frozen=True, slots=True)
class Char:
    text: str
    x0: float
    y0: float
    x1: float
    y1: float
    font: str
    page_height: float = A4_HEIGHT


def _walk(node: LTComponent):
    if isinstance(node, LTChar):
        yield node
    elif isinstance(node, LTContainer):
        for child in node:
            yield from _walk(child)


def pages_chars(pdf: bytes) -> list[list[Char]]:
    pages = []
    for page in extract_pages(io.BytesIO(pdf)):
        assert isinstance(page, LTPage)
        pages.append(
            [
                Char(c.get_text(), c.x0, c.y0, c.x1, c.y1, c.fontname, page.height)
                for c in _walk(page)
            ]
        )
    return pages


def page_texts(pdf: bytes) -> list[str]:
    """Each page's text without whitespace (what a search in the PDF finds)."""
    return ["".join(c.text for c in chars if not c.text.isspace()) for chars in pages_chars(pdf)]


def font_report(pdf: bytes) -> dict[str, bool]:
    """Each font used on any page, and whether its program is embedded."""
    found: dict[str, bool] = {}
    for page in PdfReader(io.BytesIO(pdf)).pages:
        fonts = page["/Resources"].get_object().get("/Font", {})
        for ref in fonts.values():
            font = ref.get_object()
            descendants = font.get("/DescendantFonts")
            target = descendants[0].get_object() if descendants else font
            descriptor = target["/FontDescriptor"].get_object()
            found[str(font["/BaseFont"])] = any(
                key in descriptor for key in ("/FontFile", "/FontFile2", "/FontFile3")
            )
    return found


def squeeze(text: str) -> str:
    return "".join(text.split())


def text_in_box(chars: list[Char], box: FieldBox, tolerance: float = 0.5) -> str:
    """The characters whose whole box lies inside the field's box (from the top left)."""
    inside = []
    for c in chars:
        top, bottom = c.page_height - c.y1, c.page_height - c.y0  # from the top, as Typst
        if (
            c.x0 >= box.x - tolerance
            and c.x1 <= box.x + box.w + tolerance
            and top >= box.y - tolerance - 0.12 * box.size  # pdfminer's glyph box is ascent-high
            and bottom <= box.y + box.h + tolerance + 0.12 * box.size
        ):
            inside.append(c.text)
    return squeeze("".join(inside))
