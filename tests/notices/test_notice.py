"""資格情報のお知らせ rendered from eligibility records: every field, in the era, on the
notice and again on the card part; the My Number only as its last four digits; fonts
embedded; 外字 in IPAmj Mincho; each field inside its box; the same text and boxes whether
a member is rendered alone or in a file of many."""

from __future__ import annotations

from datetime import date

import pytest

from core.jp.era import format_wareki
from notices.documents.notice import notice_common, notice_item, notice_renderer, render_notices
from tests.notices.pdf import font_report, page_texts, pages_chars, squeeze, text_in_box

AS_OF = date(2024, 6, 7)


def inquiries(records):
    return {r.pk: f"13-{r.pk:09d}-1" for r in records}


@pytest.fixture
def pdf(records):
    return render_notices(records, as_of=AS_OF, inquiries=inquiries(records))


def test_every_field_is_printed_in_the_era_and_repeated_on_the_card_part(records, pdf):
    texts = page_texts(pdf)
    assert len(texts) == 2 * len(records)
    for n, record in enumerate(records):
        front = texts[2 * n]
        assert "資格情報のお知らせ" in front
        assert "令和6年6月7日" in front
        assert f"13-{record.pk:09d}-1" in front  # お問い合わせ番号
        assert record.branch.insurer_number in front
        # On the notice and on the card part (記号・番号・枝番, 氏名, フリガナ, 生年月日,
        # 資格取得年月日, 保険者名称).
        for value in (
            record.symbol_number,
            squeeze(record.name),
            squeeze(record.name_kana),
            format_wareki(record.birth_date),
            format_wareki(record.acquired_on),
            squeeze(record.branch.insurer_name),
        ):
            assert front.count(value) >= 2, value
        assert "取扱いにあたって" in texts[2 * n + 1]


def reference_texts(records, as_of):
    """Page texts of the reference rendering (every page laid out in full: reading order)."""
    items = [notice_item(r, as_of=as_of, inquiry=f"X-{r.pk}") for r in records]
    return page_texts(
        notice_renderer().render(items, common=notice_common(as_of=as_of), reference=True)
    )


def test_the_ratio_is_the_one_as_of_the_extraction_date(records):
    texts = reference_texts([records[0], records[3]], AS_OF)
    assert "時点）3割" in texts[0]
    # Born 1955-01-05: 70 from 2025-02-01; on 2024-06-07 still 3割 (under 70).
    assert "時点）3割" in texts[2]
    # From 2025-02-01 the 70–74 ratio: 3割 as the insured person (born 1954-08-20, 70+ since
    # 2024-09-01) earns 300,000 yen (現役並み); 2割 once 基準収入額適用 is applied.
    assert "時点）3割" in reference_texts([records[3]], date(2025, 9, 1))[0]
    insured = records[6]
    insured.income_reduction_applied = True
    records[3].insured_record = insured
    assert "時点）2割" in reference_texts([records[3]], date(2025, 9, 1))[0]


def test_the_my_number_shows_only_its_last_four_digits(records):
    from eligibility.models import EligibilityRecord
    from tests.factories.eligibility import InsuredRecordFactory, PersonFactory, valid_my_number

    number = valid_my_number(4242)
    record = InsuredRecordFactory(person=PersonFactory(my_number=number))
    record = EligibilityRecord.objects.select_related("branch", "person").get(pk=record.pk)
    front = reference_texts([record], AS_OF)[0]
    assert f"********{number[-4:]}" in front
    assert "登録されていません" not in front
    for start in range(0, 8):  # no five digits of the number but the last four's
        assert number[start : start + 5] not in front


def test_without_a_registered_my_number_no_digits_and_a_request_to_register(records, pdf):
    front = page_texts(pdf)[10]
    assert "****" not in front
    assert "登録されていません" in front
    assert "ご提出ください" in front


def test_fonts_are_embedded_and_gaiji_print_in_ipamj_mincho(records, pdf):
    fonts = font_report(pdf)
    assert fonts and all(fonts.values()), fonts
    assert any("IPAmj" in name for name in fonts)
    chars = pages_chars(pdf)[2]  # the 外字 member's front page
    for ch in "髙﨑𠮷":
        used = {c.font for c in chars if c.text == ch}
        assert used and all("IPAmj" in f for f in used), (ch, used)


def test_a4_geometry(records, pdf):
    import io

    from pypdf import PdfReader

    for page in PdfReader(io.BytesIO(pdf)).pages:
        width, height = float(page.mediabox.width), float(page.mediabox.height)
        assert (round(width / 72 * 25.4, 1), round(height / 72 * 25.4, 1)) == (210.0, 297.0)


def test_the_fast_path_matches_the_plain_reference_rendering_of_the_template(records):
    """The fast path (static layer compiled once, fields over it, a file of many members)
    against the reference (every page laid out in full, one member per file)."""
    render = notice_renderer()
    common = notice_common(as_of=AS_OF)
    items = [notice_item(r, as_of=AS_OF, inquiry=f"X-{r.pk}") for r in records]
    fast = render.render(items, common=common)
    reference = [render.render([item], common=common, reference=True) for item in items]

    # The same text on every page (the static layer's text comes first in the content
    # order of the fast path: compared as the multiset of characters).
    fast_pages = page_texts(fast)
    reference_pages = [text for pdf in reference for text in page_texts(pdf)]
    assert len(fast_pages) == len(reference_pages) == 2 * len(items)
    assert [sorted(t) for t in fast_pages] == [sorted(t) for t in reference_pages]

    # Every variable value lies inside its box, at the size the fitting chose, in both.
    boxes = render.field_boxes(render.fitted(items, common), common=common)
    assert len(boxes) >= 23 * len(items)
    fast_chars = pages_chars(fast)
    reference_chars = [page for pdf in reference for page in pages_chars(pdf)]
    for box in boxes:
        assert box.size <= box.max
        assert text_in_box(fast_chars[box.page - 1], box) == squeeze(box.value), box
        assert text_in_box(reference_chars[box.page - 1], box) == squeeze(box.value), box
    longest = next(b for b in boxes if b.id == "address" and "気付" in b.value)
    assert longest.size < longest.max  # shrunk or wrapped to fit


def test_both_qr_codes_print_sharp_and_decode_to_their_payloads(records, pdf, tmp_path):
    """The management code names the mailing item, the portal code マイナポータル: both read
    back from the printed page (rasterized at 150 dpi, as a scanner at the post office
    would see it)."""
    import shutil
    import subprocess

    import zxingcpp
    from django.conf import settings
    from PIL import Image

    from notices.documents.common import management_payload

    if shutil.which("pdftoppm") is None:
        pytest.skip("pdftoppm (poppler-utils) is not installed: scripts/setup.sh installs it")
    source = tmp_path / "notices.pdf"
    source.write_bytes(pdf)
    subprocess.run(
        ["pdftoppm", "-r", "150", "-f", "1", "-l", "1", "-png", source, tmp_path / "page"],
        check=True,
    )
    (page,) = tmp_path.glob("page*.png")
    found = {b.text for b in zxingcpp.read_barcodes(Image.open(page))}
    assert management_payload("notice", inquiries(records)[records[0].pk]) in found
    assert settings.NOTICE_MYNAPORTAL_URL in found


def test_a_qr_code_is_a_png_of_one_pixel_per_module_with_its_quiet_zone():
    import io

    import zxingcpp
    from PIL import Image

    from notices.rendering import qr_code, qr_png

    png = qr_png("KKN1-13-000000001-1")
    image = Image.open(io.BytesIO(png))
    assert image.mode == "L" and image.size[0] == image.size[1] == 21 + 8  # version 1
    assert image.getpixel((0, 0)) == 255 and image.getpixel((4, 4)) == 0  # quiet zone, finder
    big = image.resize((image.size[0] * 8,) * 2, Image.NEAREST)
    assert [b.text for b in zxingcpp.read_barcodes(big)] == ["KKN1-13-000000001-1"]
    assert qr_code("KKN1-13-000000001-1") == list(png)
