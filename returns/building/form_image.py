"""The form as entered, as PNG images (Pillow): labels and values laid out like a filled paper
form on A4 pages at 150 dpi, as many pages as the values need.

:func:`render_form_pages` takes a plain :class:`FormSheet` and returns one PNG per page.
Glyphs come from Noto Sans CJK JP; a character it lacks (外字 such as 𠮷) is drawn with IPAmj
Mincho instead, so it prints rather than showing a blank box. Fonts are loaded once per
process.
"""

from __future__ import annotations

import functools
import io
from collections.abc import Iterator
from dataclasses import dataclass, field

from PIL import Image, ImageDraw, ImageFont

DPI = 150
PAGE_W, PAGE_H = 1240, 1754  # A4 at 150 dpi
MARGIN = 80
LABEL_W = 360
PAD = 12
BODY_PT, TITLE_PT, SMALL_PT = 11, 17, 9

#: Characters that may not start a line (行頭禁則).
NO_LINE_START = frozenset(
    "、。，．,.)）」』】〕〉》’”ー・：；:;!?！？ぁぃぅぇぉっゃゅょァィゥェォッャュョ々"
)

NOTO = ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", 0)  # index 0: JP
NOTO_BOLD = ("/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc", 0)
IPAMJ = ("/usr/share/fonts/truetype/ipamj/ipamjm.ttf", 0)


@dataclass(frozen=True, slots=True)
class SheetRow:
    label: str
    value: str


@dataclass(frozen=True, slots=True)
class FormSheet:
    """What the image shows, already formatted as text."""

    title: str
    receipt_number: str
    received_on: str
    header_rows: tuple[SheetRow, ...]
    rows: tuple[SheetRow, ...]
    footer: str = field(default="")


def _px(points: float) -> int:
    return round(points * DPI / 72)


@functools.cache
def _font(path: str, index: int, points: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(path, _px(points), index=index)


@functools.cache
def _noto_cmap() -> frozenset[int]:
    from fontTools.ttLib import TTCollection

    collection = TTCollection(NOTO[0], lazy=True)
    try:
        return frozenset(collection.fonts[NOTO[1]].getBestCmap())
    finally:
        collection.close()


def _runs(text: str) -> Iterator[tuple[str, bool]]:
    """(run, needs the fallback font) pieces of ``text``."""
    cmap = _noto_cmap()
    run, fallback = "", False
    for ch in text:
        missing = ord(ch) not in cmap and not ch.isspace()
        if run and missing != fallback:
            yield run, fallback
            run = ""
        run += ch
        fallback = missing
    if run:
        yield run, fallback


class _Writer:
    def __init__(self, points: int, *, bold: bool = False) -> None:
        main = NOTO_BOLD if bold else NOTO
        self.font = _font(main[0], main[1], points)
        self.fallback = _font(IPAMJ[0], IPAMJ[1], points)
        self.line_h = round(_px(points) * 1.45)
        self.ascent = self.font.getmetrics()[0]

    def width(self, text: str) -> float:
        return sum((self.fallback if fb else self.font).getlength(run) for run, fb in _runs(text))

    def draw(self, draw: ImageDraw.ImageDraw, xy: tuple[float, float], text: str) -> None:
        """Draw on one baseline, so a fallback glyph (other metrics) sits in line."""
        x, y = xy
        baseline = y + self.ascent
        for run, fb in _runs(text):
            font = self.fallback if fb else self.font
            draw.text((x, baseline), run, font=font, fill=0, anchor="ls")
            x += font.getlength(run)

    def wrap(self, text: str, width: float) -> list[str]:
        """Lines of at most ``width`` pixels (Japanese breaks between any two characters)."""
        lines: list[str] = []
        for paragraph in (text or "").split("\n"):
            line, used = "", 0.0
            for ch in paragraph:
                w = self.width(ch)
                # 禁則: a closing bracket or punctuation never starts a line; it hangs.
                if line and used + w > width and ch not in NO_LINE_START:
                    lines.append(line)
                    line, used = "", 0.0
                line += ch
                used += w
            lines.append(line)
        return lines or [""]


class _Pages:
    def __init__(self, sheet: FormSheet) -> None:
        self.sheet = sheet
        self.body = _Writer(BODY_PT)
        self.bold = _Writer(BODY_PT, bold=True)
        self.title = _Writer(TITLE_PT, bold=True)
        self.small = _Writer(SMALL_PT)
        self.pages: list[Image.Image] = []
        self._new_page()

    def _new_page(self) -> None:
        self.image = Image.new("L", (PAGE_W, PAGE_H), 255)
        self.draw = ImageDraw.Draw(self.image)
        self.pages.append(self.image)
        self.y = MARGIN
        s = self.sheet
        if len(self.pages) == 1:
            w = self.title.width(s.title)
            self.title.draw(self.draw, ((PAGE_W - w) / 2, self.y), s.title)
            self.y += self.title.line_h + PAD
        else:
            self.bold.draw(self.draw, (MARGIN, self.y), f"{s.title}（続き）")
            self.y += self.bold.line_h + PAD
        info = f"受付番号 {s.receipt_number}　受付日 {s.received_on}"
        self.small.draw(self.draw, (PAGE_W - MARGIN - self.small.width(info), self.y), info)
        self.y += self.small.line_h + PAD

    def heading(self, text: str) -> None:
        if self.y + self.bold.line_h * 3 > PAGE_H - MARGIN:
            self._new_page()
        self.y += PAD
        self.bold.draw(self.draw, (MARGIN, self.y), f"■ {text}")
        self.y += self.bold.line_h + PAD // 2

    def row(self, row: SheetRow) -> None:
        value_w = PAGE_W - 2 * MARGIN - LABEL_W - 2 * PAD
        labels = self.bold.wrap(row.label, LABEL_W - 2 * PAD)
        values = self.body.wrap(row.value, value_w)
        lines = max(len(labels), len(values))
        h = lines * self.body.line_h + 2 * PAD
        bottom = PAGE_H - MARGIN - self.small.line_h
        if self.y + h > bottom and self.y > MARGIN * 3:
            if h > bottom - MARGIN * 3:  # a very long value: split it over pages
                fit = max(1, (bottom - self.y - 2 * PAD) // self.body.line_h)
                self.row(SheetRow(row.label, "\n".join(values[:fit])))
                self.row(SheetRow(f"{row.label}（続き）", "\n".join(values[fit:])))
                return
            self._new_page()
        x0, x1, x2 = MARGIN, MARGIN + LABEL_W, PAGE_W - MARGIN
        self.draw.rectangle((x0, self.y, x1, self.y + h), fill=235, outline=0, width=2)
        self.draw.rectangle((x1, self.y, x2, self.y + h), outline=0, width=2)
        for i, text in enumerate(labels):
            self.bold.draw(self.draw, (x0 + PAD, self.y + PAD + i * self.body.line_h), text)
        for i, text in enumerate(values):
            self.body.draw(self.draw, (x1 + PAD, self.y + PAD + i * self.body.line_h), text)
        self.y += h

    def finish(self) -> list[bytes]:
        out = []
        total = len(self.pages)
        for number, image in enumerate(self.pages, start=1):
            draw = ImageDraw.Draw(image)
            text = f"{self.sheet.footer}　{number} / {total}".strip("　")
            w = self.small.width(text)
            self.small.draw(draw, ((PAGE_W - w) / 2, PAGE_H - MARGIN), text)
            buffer = io.BytesIO()
            image.save(buffer, "PNG", dpi=(DPI, DPI), compress_level=6)
            out.append(buffer.getvalue())
        return out


def render_form_pages(sheet: FormSheet) -> list[bytes]:
    """The sheet as PNG pages (A4, 150 dpi, greyscale)."""
    pages = _Pages(sheet)
    pages.heading("申請者（資格情報）")
    for row in sheet.header_rows:
        pages.row(row)
    pages.heading("申請内容")
    for row in sheet.rows:
        pages.row(row)
    return pages.finish()
