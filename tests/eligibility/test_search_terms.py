"""The one search-box parser (eligibility.selectors.parse_search_term): what it accepts, and
that both search boxes (records, the application queue) build on it."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from applications.selectors import application_search
from eligibility.selectors import parse_search_term, record_search_q

FULLWIDTH = str.maketrans("0123456789", "０１２３４５６７８９")
SEPARATORS = ["-", "・", "/", " ", "\u3000", "－", "‐", " - "]
KINDS = {"", "receipt", "symbol_number", "digits", "kana", "name"}


def _digits(low: int, high: int) -> st.SearchStrategy[str]:
    return st.text(alphabet="0123456789", min_size=low, max_size=high)


@given(
    _digits(1, 8),
    _digits(1, 8),
    st.one_of(st.just(""), _digits(1, 2)),
    st.sampled_from(SEPARATORS),
    st.booleans(),
)
def test_symbol_number_branch_in_every_written_form(symbol, number, branch, sep, fullwidth):
    text = sep.join(p for p in (symbol, number, branch) if p)
    if fullwidth:
        text = text.translate(FULLWIDTH)
    parsed = parse_search_term(f" {text} ")
    if len(symbol) == 8 and len(number) == 8 and not branch:
        assert parsed.kind == "receipt"  # 20261122-00000001 is a 受付番号
        assert parsed.digits == symbol + number
    else:
        assert parsed.kind == "symbol_number"
        assert parsed.branch_number == (branch.zfill(2) if branch else "")
    assert (parsed.symbol, parsed.number) == (symbol, number)


@given(_digits(1, 30))
def test_digits_alone(digits):
    parsed = parse_search_term(digits.translate(FULLWIDTH))
    assert parsed.kind == ("receipt" if len(digits) == 16 else "digits")
    assert parsed.digits == digits


KANA_PIECES = [*"アイウエオカキクケコガギャッーヴあいうえおがゃｱｲｳ　", "ｶﾞ", "ﾊﾟ", "ｰ"]


@given(st.lists(st.sampled_from(KANA_PIECES), min_size=1).map("".join))
def test_kana_is_a_reading(text):
    parsed = parse_search_term(text)
    if not text.strip(" \u3000"):
        assert parsed.kind == ""
    else:
        assert parsed.kind == "kana"
        assert all("\u30a1" <= c <= "\u30fc" or c == "\u3000" for c in parsed.kana)


@given(st.text(max_size=30))
def test_any_text_has_one_kind_and_both_boxes_use_it(text):
    parsed = parse_search_term(text)
    assert parsed.kind in KINDS
    kind, q = application_search(text)
    assert kind == parsed.kind
    assert (q is None) == (parsed.kind == "")
    record_search_q(text)  # never raises


@pytest.mark.parametrize(
    ("term", "kind"),
    [
        ("2026112200000001", "receipt"),
        ("20261122-00000001", "receipt"),
        ("13000001・12・0", "symbol_number"),
        ("13000001/12", "symbol_number"),
        ("123456789-1", "name"),
        ("きょうかい　たろう", "kana"),
        ("協会", "name"),
        ("　", ""),
    ],
)
def test_examples(term, kind):
    assert parse_search_term(term).kind == kind
