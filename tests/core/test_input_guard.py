"""core.input_guard: which text is refused, and JSON of bounded size and depth, over many
cases (Hypothesis)."""

from __future__ import annotations

import json
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.input_guard import (
    MAX_ID,
    check_json_value,
    check_text,
    loads_json,
    parse_id,
    unsafe_character,
)
from core.jp.errors import JapaneseValueError


def refused(ch: str) -> bool:
    """The rule, written independently of the module's regular expression."""
    code = ord(ch)
    if ch in "\t\n\r":
        return False
    return code < 0x20 or 0x7F <= code <= 0x9F or 0xD800 <= code <= 0xDFFF


@given(st.characters(max_codepoint=0x10FFFF))
def test_each_character_is_refused_exactly_when_the_rule_says(ch: str) -> None:
    assert (unsafe_character(f"ab{ch}cd") is not None) == refused(ch)


@given(st.text(alphabet=st.characters(codec="utf-8")))
def test_encodable_text_without_controls_passes(text: str) -> None:
    if any(refused(c) for c in text):
        with pytest.raises(JapaneseValueError) as caught:
            check_text(text, where="氏名")
        assert caught.value.code == "invalid_text"
        assert "「氏名」に使用できない文字" in caught.value.message
    else:
        check_text(text)
        text.encode("utf-8")  # what PostgreSQL and the renderer need


@pytest.mark.parametrize("text", ["山田\u3000太郎", "髙﨑", "一行目\r\n二行目\t", "𠮷野家", ""])
def test_real_names_and_line_breaks_pass(text: str) -> None:
    check_text(text)


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


def strings_of(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in [k, *strings_of(v)]]
    if isinstance(value, list):
        return [s for v in value for s in strings_of(v)]
    return []


def depth_of(value: object) -> int:
    if isinstance(value, dict):
        return 1 + max((depth_of(v) for v in value.values()), default=0)
    if isinstance(value, list):
        return 1 + max((depth_of(v) for v in value), default=0)
    return 0


@settings(max_examples=300)
@given(json_values)
def test_loads_json_returns_the_value_or_refuses_for_the_right_reason(value: object) -> None:
    raw = json.dumps(value).encode()  # ASCII: a lone surrogate becomes a \\udxxx escape
    bad_text = any(refused(c) for s in strings_of(value) for c in s)
    try:
        loaded = loads_json(raw)
    except JapaneseValueError as error:
        assert error.code in ("invalid_text", "too_deep")
        assert (error.code == "invalid_text") == bad_text or depth_of(value) > 20
    else:
        assert not bad_text
        assert loaded == value


@settings(max_examples=200)
@given(st.binary(max_size=200))
def test_arbitrary_bytes_never_raise_anything_else(raw: bytes) -> None:
    try:
        loads_json(raw)
    except JapaneseValueError as error:
        assert error.code in ("invalid_text", "invalid_json", "too_deep", "too_large")
        assert error.message


@pytest.mark.parametrize("depth", [21, 1000, sys.getrecursionlimit() * 3, 100_000])
def test_deep_nesting_is_refused_without_recursion(depth: int) -> None:
    assert loads_json("[" * 20 + "]" * 20) is not None  # the default limit, 20 levels
    raw = "[" * depth + "]" * depth
    with pytest.raises(JapaneseValueError) as caught:
        loads_json(raw)
    assert caught.value.code == "too_deep"
    assert "20階層まで" in caught.value.message


def test_depth_limit_is_exact(settings) -> None:
    settings.API_MAX_JSON_DEPTH = 3
    loads_json("[[[]]]")
    with pytest.raises(JapaneseValueError):
        loads_json("[[[[]]]]")
    with pytest.raises(JapaneseValueError):
        check_json_value({"a": {"b": {"c": {}}}})


def test_size_limit(settings) -> None:
    settings.API_MAX_JSON_BYTES = 10
    assert loads_json(b'{"a": 1}') == {"a": 1}
    with pytest.raises(JapaneseValueError) as caught:
        loads_json(b'{"a": "12345"}')
    assert caught.value.code == "too_large"


@pytest.mark.parametrize("raw", ["NaN", "[Infinity]", '{"a": -Infinity}', "1e999", "[-1e400]"])
def test_numbers_outside_json_are_refused(raw: str) -> None:
    with pytest.raises(JapaneseValueError) as caught:
        loads_json(raw)
    assert caught.value.code == "invalid_json"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1", 1),
        (str(MAX_ID), MAX_ID),
        (str(MAX_ID + 1), None),
        ("99999999999999999999999", None),
        ("0", None),
        ("-1", None),
        ("²", None),
        ("１２", None),
        ("١", None),
        ("", None),
        (None, None),
        (" 1", None),
    ],
)
def test_parse_id(value: str | None, expected: int | None) -> None:
    assert parse_id(value) == expected
