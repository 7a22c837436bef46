"""The member import's two row parsers agree, and rows are read by field name.

``MemberImporter._parse_clean`` (the fast path, straight-line code that stops at the first
doubt) and ``_parse_checked`` (every cell checked, every error named) must give the same
row for every row the fast one accepts. The parsed row is a plain tuple in the order of
``ROW_FIELDS`` (MemberRow's fields) and the stored values follow ``RECORD_FIELDS``: the tests
below fail if a field is added to one and not the other.
"""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from eligibility.imports.columns import MEMBER_COLUMNS
from eligibility.imports.errors import FieldError
from eligibility.imports.members import (
    RECORD_FIELDS,
    ROW_FIELDS,
    MemberImporter,
    MemberRow,
    _NotClean,
)
from eligibility.imports.reader import RawRow
from tests.factories.eligibility import valid_my_number
from tests.factories.imports import TOKYO_INSURER, member_row

DATES = [
    *("1980-04-02", "1980/4/2", "１９８０－０４－０２", "昭和55年4月2日", "S55.4.2"),
    *("2010-04-01", "2010/04/01", "R2.4.1", "2099-01-01", "2025-02-30", "平成32年1月1日"),
    *("", " ", "x", "2010年4月1日", "2010.4.1"),
]
CELLS = {
    "保険者番号": [TOKYO_INSURER, f" {TOKYO_INSURER} ", "01130012", "x", ""],
    "記号": ["13000001", "１３０００００１", "1300001", "123", "13000001a", ""],
    "番号": ["1", "0012", "１２", "123456789", "", "a"],
    "枝番": ["00", "0", "01", "1", "99", "100", "x"],
    "資格区分": ["被保険者", "1", "被扶養者", "2", "任意継続", "3", "１", "x", ""],
    "氏名": ["協会　太郎", "", "協会〓太郎", "a" * 61, "髙橋　一郎", "x\x01"],
    "フリガナ": ["キョウカイ　タロウ", "きょうかい　たろう", "ｷｮｳｶｲ ﾀﾛｳ", "協会", "", "ア" * 81],
    "生年月日": DATES,
    "性別": ["1", "2", "男", "女性", "１", "3", ""],
    "郵便番号": ["100-0001", "1000001", "", "abc", "１００－０００１"],
    "住所": ["東京都千代田区千代田1-1", "", "a\x01", "x" * 201],
    "資格取得年月日": DATES,
    "資格喪失年月日": DATES,
    "標準報酬月額": ["300000", "", "-1", "３００，０００", "abc", "300,000円"],
    "個人番号": ["", valid_my_number(5), valid_my_number(6)[:11] + "x", "12345678901"],
    "マイナ保険証利用登録日": DATES,
    "資格確認書交付希望": ["0", "1", "", "はい", "いいえ", "x"],
}


@st.composite
def rows(draw: st.DrawFn) -> dict[str, str]:
    """A good row with a few cells changed to another form, valid or not: most rows stay
    near the fast path's edge (a row with many bad cells never reaches it)."""
    row = member_row("13000001", "1")
    for header in draw(st.lists(st.sampled_from(list(CELLS)), max_size=5, unique=True)):
        row[header] = draw(st.sampled_from(CELLS[header]))
    return row


ROWS = rows()


def _cells(row: dict[str, str]) -> tuple[str, ...]:
    return tuple(row[column.header] for column in MEMBER_COLUMNS)


@pytest.mark.django_db
def test_the_fast_and_the_checked_parser_agree(tokyo):
    importer = MemberImporter(actor=None, job_id=None, today=date(2026, 4, 1))
    accepted = []

    @settings(max_examples=400, deadline=None, suppress_health_check=list(HealthCheck))
    @given(ROWS)
    def check(row: dict[str, str]) -> None:
        cells = _cells(row)
        try:
            fast = importer._parse_clean(7, cells)
        except (FieldError, KeyError, _NotClean):
            return
        accepted.append(fast)
        parsed, key, errors = importer._parse_checked(RawRow(7, cells, []))
        assert errors == []
        assert parsed == fast
        assert key == fast[ROW_FIELDS.index("key")]

    check()
    assert accepted, "no row took the fast path: the strategy no longer matches the columns"


@pytest.mark.django_db
def test_a_parsed_row_is_read_by_field_name(tokyo):
    importer = MemberImporter(actor=None, job_id=None, today=date(2026, 4, 1))
    cells = _cells(member_row("13000001", "12", 生年月日="S55.4.2", 個人番号=valid_my_number(5)))
    parsed, key, errors = importer.parse(RawRow(3, cells, []))
    assert errors == [] and parsed is not None
    assert len(parsed) == len(ROW_FIELDS) - 1  # copy_text is added by prepare()
    row = MemberRow(*parsed, b"")
    named = dict(zip(ROW_FIELDS, (*parsed, b""), strict=True))
    assert named["line"] == 3 and named["key"] == key == row.key
    assert (row.birth_date, row.acquired_on, row.lost_on) == ("1980-04-02", "2010-04-01", None)
    assert (row.name, row.remuneration, row.certificate_requested) == ("協会　太郎", 300000, False)
    assert row.my_number_last4 == valid_my_number(5)[-4:]
    # MemberRow.values() follows RECORD_FIELDS (the stored values compared with it).
    attribute = {"standard_monthly_remuneration": "remuneration"}
    row.employer_id, row.insured_record_id = 5, None
    assert row.values() == tuple(getattr(row, attribute.get(n, n)) for n in RECORD_FIELDS)
