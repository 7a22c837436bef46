"""Fitting a value into its box from the fonts' glyph widths, without laying it out.

The template declares each box (``field`` in ``templates/notices/lib.typ``: width, height,
largest and smallest size, fonts); the renderer reads the boxes from one layout and fits
every member's values here: one line at the largest size that fits down to the smallest,
then wrapped over as many lines as the box holds. Measuring in Typst costs more than the
rest of a page; summing advance widths costs microseconds.

Lines are 1 em high (``top-edge: 0.88em``, ``bottom-edge: -0.12em``: the em box of CJK
glyphs) plus ``LEADING`` em between lines, as ``lib.typ`` sets them.
"""

from __future__ import annotations

import array
import functools
import gc
import math
from collections.abc import Sequence
from dataclasses import dataclass

from fontTools.ttLib import TTFont

from notices.rendering import forking

LEADING = 0.15
# Kept free on each side of a fit: rounding, kerning and kinsoku (a character that may not
# start a line pulls the previous one down with it) are not modelled exactly.
SLACK = 0.97
SMALLEST = 2.0  # pt: below this a value is not readable; nothing realistic gets there
MISSING = math.nan  # no glyph for the code point in this font


@dataclass(frozen=True, slots=True)
class Box:
    """One field's box as the template laid it out (points)."""

    id: str
    key: str
    w: float
    h: float
    max: float
    min: float
    fonts: tuple[str, ...]
    weight: str


class FontWidths:
    """Advance widths (in em) of characters, in the first of a list of fonts that has them."""

    def __init__(self, files: Sequence[tuple[str, int]]):
        self._fonts = [_advances(path, index) for path, index in files]
        self._cache: dict[str, float] = {}

    def char(self, ch: str) -> float:
        width = self._cache.get(ch)
        if width is None:
            width = 1.0  # a character none of the fonts has: Typst falls back; 1 em is wide
            code = ord(ch)
            for advances in self._fonts:
                found = advances[code] if code < len(advances) else MISSING
                if found == found:  # not NaN: the font has the character
                    width = found
                    break
            self._cache[ch] = width
        return width

    def text(self, text: str) -> float:
        cache = self._cache
        total = 0.0
        for ch in text:
            width = cache.get(ch)
            total += width if width is not None else self.char(ch)
        return total

    def lines(self, text: str, size: float, width: float) -> int:
        """Lines the text takes at ``size`` in ``width`` (first fit, character by character)."""
        limit = width * SLACK / size
        count, used = 1, 0.0
        for ch in text:
            advance = self.char(ch)
            if used + advance > limit and used > 0:
                count += 1
                used = 0.0
            used += advance
        return count


@functools.cache
def _advances(path: str, index: int) -> array.array[float]:
    """Advance width (em) of one font, indexed by code point (NaN where the font has no
    glyph): about 0.8 MB for a CJK font. Read in a forked child while this process may fork:
    fontTools takes tens of megabytes for a CJK font's tables and pymalloc keeps most of
    them after they are freed, in this process and in every renderer child forked from it
    (a Celery worker stayed 37 MB larger)."""
    table = array.array("f")
    table.frombytes(forking.isolated(functools.partial(advance_table, path, index)))
    return table


def advance_table(path: str, index: int) -> bytes:
    """The font's advance widths as :func:`_advances` keeps them, as bytes."""
    font = TTFont(path, fontNumber=index, lazy=True)
    try:
        units = font["head"].unitsPerEm
        metrics = font["hmtx"].metrics
        cmap = font.getBestCmap()
        table = array.array("f", [MISSING]) * (max(cmap, default=-1) + 1)
        for code, glyph in cmap.items():
            table[code] = metrics[glyph][0] / units
        return table.tobytes()
    finally:
        font.close()
        del font
        gc.collect()


def fit_size(box: Box, value: str, widths: FontWidths) -> float:
    """The font size (pt) at which ``value`` fits ``box``: one line if it can, else wrapped."""
    paragraphs = value.split("\n")
    if len(paragraphs) == 1:
        natural = widths.text(value)
        if natural * box.max <= box.w * SLACK and box.max <= box.h:
            return box.max
        size = min(box.max, box.h, box.w * SLACK / natural if natural else box.max)
        if size >= box.min:
            return round(size - 0.005, 2)
    size = box.max
    while size > SMALLEST:
        n = sum(widths.lines(p, size, box.w) for p in paragraphs)
        if size * (n + (n - 1) * LEADING) <= box.h * SLACK:
            return round(size - 0.005, 2)
        size *= 0.95
    return SMALLEST


@functools.cache
def font_files(families: tuple[str, ...], weight: str, font_paths: tuple[str, ...]):
    """The (file, index) of each family at the weight, as Typst will pick them."""
    import typst

    wanted = 700 if weight == "bold" else 400
    fonts = typst.Fonts(
        include_system_fonts=False, include_embedded_fonts=False, font_paths=list(font_paths)
    ).fonts()
    files = []
    for family in families:
        candidates = [f for f in fonts if f.family == family and f.style == "normal"]
        if candidates:
            best = min(candidates, key=lambda f: abs(f.weight - wanted))
            files.append((best.path, best.index))
    return tuple(files)


@functools.cache
def widths_for(families: tuple[str, ...], weight: str, font_paths: tuple[str, ...]) -> FontWidths:
    return FontWidths(font_files(families, weight, font_paths))
