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


def test_the_ratio_is_the_one_as_of_the_extraction_date(records, pdf):
    texts = page_texts(pdf)
    ordinary, dependent70 = texts[0], texts[6]
    assert "時点）3割" in ordinary
    # Born 1955-01-05: 70 from 2025-02-01; on 2024-06-07 still 3割; the insured person born
    # 1954-08-20 is 69 as well.
    assert "時点）3割" in dependent70
    later = render_notices(records[3:4], as_of=date(2025, 9, 1), inquiries=inquiries(records))
    # 70+ dependent of an insured person aged 70+ with 300,000 yen: 3割 (現役並み).
    assert "時点）3割" in page_texts(later)[0]


def test_the_my_number_shows_only_its_last_four_digits(records, pdf):
    texts = page_texts(pdf)
    ordinary = records[0]
    last4 = ordinary.person.my_number_last4
    assert f"********{last4}" in texts[0]
    assert "登録されていません" not in texts[0]
    # Nothing longer than the last four digits of any number could be there: the full
    # number is not stored; the texts show no 12-digit run at all.
    for text in texts:
        digits = "".join(ch if ch.isdigit() else " " for ch in text).split()
        assert all(len(run) < 12 for run in digits)


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


def test_each_field_is_inside_its_box_alone_and_in_a_file_of_many(records):
    render = notice_renderer()
    common = notice_common(as_of=AS_OF)
    items = [notice_item(r, as_of=AS_OF, inquiry=f"X-{r.pk}") for r in records]
    together = render.render(items, common=common)
    alone = [render.render([item], common=common) for item in items]

    # The same text, page by page.
    together_texts = page_texts(together)
    assert together_texts == [text for pdf in alone for text in page_texts(pdf)]

    # Every variable value lies inside its box, at the size the fitting chose.
    boxes = render.field_boxes(render.fitted(items, common), common=common)
    assert len(boxes) >= 23 * len(items)
    chars = pages_chars(together)
    for box in boxes:
        assert box.size <= box.max
        assert text_in_box(chars[box.page - 1], box) == squeeze(box.value), box
    longest = next(b for b in boxes if b.id == "address" and "気付" in b.value)
    assert longest.size < longest.max  # shrunk or wrapped to fit
