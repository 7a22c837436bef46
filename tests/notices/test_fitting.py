"""Fitting values to their boxes: hypothesis over names, addresses and dates, checked against
the layout (each field's characters inside its box at the size it got); and the check
itself fails when a value is out of its box."""

from __future__ import annotations

import dataclasses
import math
from datetime import date

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.jp.era import format_wareki
from notices.documents.notice import notice_common, notice_renderer
from notices.rendering import qr_code
from notices.rendering.fitting import SLACK, Box, FontWidths, fit_size, widths_for
from tests.notices.pdf import pages_chars, squeeze, text_in_box

KANJI = "髙﨑𠮷山田佐藤鈴木高橋渡辺伊藤中村小林加藤吉田山本斎藤松本井上木村林清水森池長"
KANA = "アイウエオカキクケコサシスセソタチツテトナニヌネノハヒフヘホマミムメモヤユヨラリルレロワン"
ADDRESS = KANJI + "都道府県市区町村丁目番地号ー－・0123456789ABCマンション　"

names = st.text(alphabet=KANJI + "　", min_size=1, max_size=30).filter(str.strip)
kanas = st.text(alphabet=KANA + "　ー", min_size=1, max_size=40).filter(str.strip)
addresses = st.text(alphabet=ADDRESS, min_size=1, max_size=60).filter(str.strip)
dates = st.dates(min_value=date(1900, 1, 1), max_value=date(2030, 12, 31))


def item(name: str, kana: str, address: str, birth: date) -> dict[str, str]:
    return {
        "postal": "〒100-0001",
        "address": address,
        "recipient": name,
        "symbol": "13000001",
        "number": "1234567",
        "inquiry": "13-000000001-1",
        "qr": qr_code("KKN1-13-000000001-1"),
        "insurer_name": "全国健康保険協会 東京支部",
        "insurer_number": "01130012",
        "contact": "全国健康保険協会 東京支部\nTEL 03-1234-5678",
        "symbol_number": "13000001・1234567・00",
        "name": name,
        "kana": kana,
        "birth": format_wareki(birth),
        "ratio": "3割",
        "acquired": format_wareki(birth),
        "my_number": "**** **** 1234",
    }


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=names, kana=kanas, address=addresses, birth=dates)
def test_nothing_overflows_its_box(name, kana, address, birth):
    render = notice_renderer()
    common = notice_common(as_of=date(2024, 6, 7))
    items = render.fitted([item(name, kana, address, birth)], common)
    pdf = render.render([item(name, kana, address, birth)], common=common)
    chars = pages_chars(pdf)
    for box in render.field_boxes(items, common=common):
        assert box.min <= box.size <= box.max or len(box.value) > 20, box
        assert text_in_box(chars[box.page - 1], box) == squeeze(box.value), box


def test_the_check_fails_for_a_value_outside_its_box():
    render = notice_renderer()
    common = notice_common(as_of=date(2024, 6, 7))
    value = item("山田　太郎", "ヤマダ　タロウ", "東京都千代田区", date(1980, 4, 2))
    pdf = render.render([value], common=common)
    chars = pages_chars(pdf)
    box = next(
        b
        for b in render.field_boxes(render.fitted([value], common), common=common)
        if b.id == "name"
    )
    assert text_in_box(chars[0], box) == "山田太郎"
    assert text_in_box(chars[0], dataclasses.replace(box, w=30.0)) != "山田太郎"
    assert text_in_box(chars[0], dataclasses.replace(box, y=box.y + box.h)) != "山田太郎"


@settings(deadline=None)
@given(text=st.text(alphabet=ADDRESS + KANA, min_size=1, max_size=200))
def test_the_fitted_size_fits_by_the_glyph_widths(text):
    box = Box("address", "address", 243.0, 34.0, 10.0, 7.0, ("Noto Sans CJK JP",), "regular")
    widths = widths_for(box.fonts, box.weight, ("/usr/share/fonts/opentype/noto",))
    size = fit_size(box, text, widths)
    assert size <= box.max
    if widths.text(text) * box.max <= box.w * SLACK:
        assert size == box.max  # no shrinking of what fits
    lines = widths.lines(text, size, box.w)
    assert size * (lines + (lines - 1) * 0.15) <= box.h + 0.01 or size == 2.0


NOTO = ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", 0)
IPAMJ = ("/usr/share/fonts/truetype/ipamj/ipamjm.ttf", 0)


def _width_by_fonttools(files: list[tuple[str, int]], ch: str) -> float:
    from fontTools.ttLib import TTFont

    for path, index in files:
        font = TTFont(path, fontNumber=index, lazy=True)
        glyph = font.getBestCmap().get(ord(ch))
        if glyph is not None:
            return font["hmtx"].metrics[glyph][0] / font["head"].unitsPerEm
    return 1.0


def test_a_characters_width_comes_from_the_first_font_that_has_it():
    """The compact width tables (read in a forked child) give what fontTools reads: Noto's
    width for a space (IPAmj's differs), IPAmj's for Ą (not in Noto CJK), 1 em for a
    character in neither font, past the end of both tables."""
    widths = FontWidths([NOTO, IPAMJ])
    for ch in (" ", "Ą", "髙", "𠮷", "ｱ", "\U000f0000"):
        assert math.isclose(widths.char(ch), _width_by_fonttools([NOTO, IPAMJ], ch), rel_tol=1e-6)
    assert widths.char(" ") != FontWidths([IPAMJ]).char(" ")
    assert widths.char("\U000f0000") == 1.0
    assert math.isclose(widths.text("Ą Ą"), 2 * widths.char("Ą") + widths.char(" "))
