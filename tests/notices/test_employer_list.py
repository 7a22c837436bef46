"""対象者一覧表: A4 landscape, many pages, the header and page number on each, every member
listed in the era, long values inside their cells."""

from __future__ import annotations

import io
from datetime import date

from pypdf import PdfReader

from eligibility.models import EligibilityRecord
from notices.documents.employer_list import (
    employer_list_common,
    employer_list_renderer,
    employer_list_rows,
    render_employer_list,
)
from tests.factories.eligibility import EmployerFactory, InsuredRecordFactory
from tests.notices.conftest import LONG_EMPLOYER, LONG_NAME
from tests.notices.pdf import font_report, page_texts, pages_chars, squeeze, text_in_box


def test_the_list_of_an_employer(db, tokyo):
    employer = EmployerFactory(branch=tokyo, name=LONG_EMPLOYER[:120])
    for n in range(45):
        InsuredRecordFactory(
            employer=employer,
            name=LONG_NAME[:30] if n == 7 else f"協会　太郎{n}",
            birth_date=date(1960 + n % 40, 1 + n % 12, 1 + n % 28),
        )
    records = list(
        EligibilityRecord.objects.filter(employer=employer).select_related("branch").order_by("pk")
    )
    pdf = render_employer_list(employer, records, created=date(2025, 6, 2))

    reader = PdfReader(io.BytesIO(pdf))
    pages = len(reader.pages)
    assert pages >= 2
    for page in reader.pages:
        width, height = float(page.mediabox.width), float(page.mediabox.height)
        assert (round(width / 72 * 25.4), round(height / 72 * 25.4)) == (297, 210)
    texts = page_texts(pdf)
    for n, text in enumerate(texts, start=1):
        assert "資格確認書送付対象者一覧表" in text
        assert f"{n}/{pages}ページ" in text
        assert "記号・番号・枝番" in text and "対象者45名" in text
        assert "株式会社全国健康保険協会" in text
    everything = "".join(texts)
    for record in records:
        assert record.symbol_number in everything
        assert squeeze(record.name) in everything
    assert "昭和35年1月1日" in everything
    assert all(font_report(pdf).values())

    render = employer_list_renderer()
    rows = employer_list_rows(records)
    common = employer_list_common(employer, title="一覧", created=date(2025, 6, 2), count=45)
    pdf = render.render(rows, common=common)
    chars = pages_chars(pdf)
    boxes = [b for b in render.field_boxes(render.fitted(rows, common), common=common)]
    assert len(boxes) >= 8 * 45
    for box in boxes:
        assert text_in_box(chars[box.page - 1], box) == squeeze(box.value), box
