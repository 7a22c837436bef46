"""資格確認書: the 有効期限 rule (examples and hypothesis), and the certificate rendered from
eligibility records with every field in the era, the dependent's 認定年月日 and insured
person, the 70–74 ratio, the flyer, fonts embedded and every value inside its box."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.jp.era import format_wareki
from core.jp.errors import JapaneseValueError
from eligibility.rules.burden import late_elderly_date
from notices.documents.certificate import (
    certificate_common,
    certificate_expiry,
    certificate_item,
    certificate_renderer,
    coverage_end,
    record_expiry,
)
from tests.notices.pdf import font_report, page_texts, pages_chars, squeeze, text_in_box

ISSUED = date(2025, 7, 1)


@pytest.mark.parametrize(
    ("birth", "end", "expected"),
    [
        (date(1980, 4, 2), None, date(2030, 6, 30)),  # five years, to the day before
        (date(1952, 10, 1), None, date(2027, 9, 30)),  # the day before the 75th birthday
        (date(1952, 2, 29), None, date(2027, 2, 28)),  # 75th birthday 1 March (common year)
        (date(1980, 4, 2), date(2027, 3, 31), date(2027, 3, 31)),  # 任意継続 ends first
    ],
)
def test_expiry_examples(birth, end, expected):
    assert certificate_expiry(issued=ISSUED, birth=birth, years=5, coverage_end=end) == expected


def test_no_certificate_for_someone_not_covered_on_the_day_of_issue():
    with pytest.raises(JapaneseValueError) as caught:
        certificate_expiry(issued=ISSUED, birth=date(1950, 1, 1), years=5)
    assert caught.value.code == "not_covered"


@given(
    issued=st.dates(min_value=date(2024, 12, 2), max_value=date(2035, 12, 31)),
    birth=st.dates(min_value=date(1945, 1, 1), max_value=date(2035, 12, 31)),
    years=st.integers(min_value=1, max_value=5),
    end_in=st.none() | st.integers(min_value=0, max_value=3000),
)
def test_expiry_is_the_earliest_cap_and_never_past_any(issued, birth, years, end_in):
    end = issued + timedelta(days=end_in) if end_in is not None else None
    try:
        anniversary = issued.replace(year=issued.year + years)
    except ValueError:  # 29 February
        anniversary = date(issued.year + years, 3, 1)
    caps = [anniversary - timedelta(days=1), late_elderly_date(birth) - timedelta(days=1)]
    if end is not None:
        caps.append(end)
    if min(caps) < issued:
        with pytest.raises(JapaneseValueError):
            certificate_expiry(issued=issued, birth=birth, years=years, coverage_end=end)
        return
    expiry = certificate_expiry(issued=issued, birth=birth, years=years, coverage_end=end)
    assert expiry == min(caps)
    assert issued <= expiry < late_elderly_date(birth)
    assert expiry < anniversary
    if end is not None:
        assert expiry <= end


def test_coverage_end_of_a_voluntary_member_and_of_a_dependent(records):
    voluntary = records[4]  # 任意継続 from 2025-04-01
    assert coverage_end(voluntary) == date(2027, 3, 31)
    assert record_expiry(voluntary, issued=ISSUED) == date(2027, 3, 31)
    dependent = records[3]  # insured person born 1954-08-20: 75 on 2029-08-20
    assert coverage_end(dependent) == date(2029, 8, 19)


@pytest.fixture
def certificates(records):
    items = [certificate_item(r, issued=ISSUED, inquiry=f"C-{r.pk}") for r in records]
    render = certificate_renderer()
    return records, items, render.render(items, common=certificate_common())


def test_every_field_is_printed_in_the_era(certificates):
    records, items, pdf = certificates
    reference = certificate_renderer().render(items, common=certificate_common(), reference=True)
    texts = page_texts(reference)
    assert len(texts) == 2 * len(records) == len(page_texts(pdf))
    for n, record in enumerate(records):
        sheet, flyer = texts[2 * n], texts[2 * n + 1]
        assert "健康保険資格確認書" in sheet and "マイナ保険証" in flyer
        for value in (
            squeeze(record.name),
            format_wareki(record.birth_date),
            record.get_sex_display(),
            record.symbol_number,
            format_wareki(record.acquired_on),
            record.branch.insurer_number,
            squeeze(record.branch.insurer_name),
            "令和7年7月1日",  # 交付年月日
            format_wareki(record_expiry(record, issued=ISSUED)),
        ):
            assert value in sheet, (n, value)
        assert items[n]["expires"] == format_wareki(record_expiry(record, issued=ISSUED))
    assert items[0]["acquired_label"] == "資格取得年月日" and items[0]["insured_name"] == ""
    dependent = items[3]
    assert dependent["acquired_label"] == "認定年月日" and "認定年月日" in texts[6]
    assert dependent["insured_name"] == "協会　太郎" and dependent["sex"] == "女"
    # Born 1955-01-05: 70–74 on the day of issue: the ratio and its effective date.
    assert (dependent["ratio"], dependent["ratio_from"]) == ("3割", "令和7年2月1日")
    assert "令和7年2月1日" in texts[6]
    assert (items[0]["ratio"], items[0]["ratio_from"]) == ("", "")
    assert items[4]["employer"] == "任意継続" and items[4]["expires"] == "令和9年3月31日"
    assert items[2]["employer"].startswith("株式会社全国健康保険協会")


def test_fonts_embedded_and_every_value_in_its_box(certificates):
    _records, items, pdf = certificates
    fonts = font_report(pdf)
    assert fonts and all(fonts.values())
    render = certificate_renderer()
    boxes = render.field_boxes(render.fitted(items, {}), common={})
    chars = pages_chars(pdf)
    assert len(boxes) >= 20 * len(items)
    for box in boxes:
        assert text_in_box(chars[box.page - 1], box) == squeeze(box.value), box
