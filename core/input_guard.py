"""The edge check of untrusted input: what every string of a request must be, and JSON of
bounded size and depth. Used by the API's JSON parser, the JSON-in-a-form-field serializer
field and :class:`core.middleware.RequestTextGuardMiddleware` (query strings, form fields,
file names, the path), so no code behind them ever sees such text.

Refused in any string (keys included):

* lone surrogates (U+D800–U+DFFF): not Unicode scalar values, they cannot be encoded as
  UTF-8, so saving or rendering them fails (a JSON ``"\\ud800"`` escape produces one);
* NUL and the other C0 control characters except tab, line feed and carriage return (free
  text fields keep their line breaks), DEL and the C1 controls U+0080–U+009F: PostgreSQL
  refuses NUL in text, and none of them belongs in a name, an address or a comment.

JSON: at most ``settings.API_MAX_JSON_BYTES`` bytes of strict UTF-8, nested at most
``settings.API_MAX_JSON_DEPTH`` levels (objects and arrays), no ``NaN``/``Infinity`` and no
number too large for a float (PostgreSQL's ``jsonb`` refuses them). Failures raise
:class:`core.jp.errors.JapaneseValueError` with a code and a Japanese message.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from django.conf import settings

from core.jp.errors import JapaneseValueError

_UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")

#: Defaults when the settings are absent.
DEFAULT_MAX_JSON_BYTES = 1024 * 1024
DEFAULT_MAX_JSON_DEPTH = 20


def max_json_bytes() -> int:
    return int(getattr(settings, "API_MAX_JSON_BYTES", DEFAULT_MAX_JSON_BYTES))


def max_json_depth() -> int:
    return int(getattr(settings, "API_MAX_JSON_DEPTH", DEFAULT_MAX_JSON_DEPTH))


def unsafe_character(value: str) -> str | None:
    """The first refused character of ``value``, or None."""
    found = _UNSAFE.search(value)
    return found.group() if found else None


def invalid_text_error(where: str = "") -> JapaneseValueError:
    place = f"「{where}」に" if where else ""
    return JapaneseValueError(
        "invalid_text",
        f"{place}使用できない文字（制御文字、または文字コードの壊れた文字）が含まれています。"
        "該当の文字を削除して、入力し直してください。",
    )


def check_text(value: str, *, where: str = "") -> None:
    """Raise ``invalid_text`` if ``value`` holds a refused character (see the module)."""
    if _UNSAFE.search(value):
        raise invalid_text_error(where)


#: Largest id of a 64-bit primary key (PostgreSQL bigint; SQLite's INTEGER).
MAX_ID = 2**63 - 1


def parse_id(value: str | None) -> int | None:
    """A primary key from a query parameter: ASCII digits within 1…:data:`MAX_ID`, else None
    (``"²"``, ``"１２"``, ``"-1"``, ``"99999999999999999999999"``), so a filter given an
    id that cannot exist matches nothing instead of failing in the database."""
    if not value or len(value) > 19 or not (value.isascii() and value.isdigit()):
        return None
    number = int(value)
    return number if 1 <= number <= MAX_ID else None


def _too_deep(limit: int) -> JapaneseValueError:
    return JapaneseValueError(
        "too_deep",
        f"JSONの入れ子が深すぎます（{limit}階層まで）。送信内容を確認してください。",
    )


def check_json_value(value: Any, *, max_depth: int | None = None, where: str = "") -> None:
    """Check every key and string of a decoded JSON value, and its depth; iterative, so any
    depth the decoder produced is walked without recursion."""
    limit = max_json_depth() if max_depth is None else max_depth
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, str):
            check_text(item, where=where)
        elif isinstance(item, dict | list):
            if depth >= limit:
                raise _too_deep(limit)
            if isinstance(item, dict):
                for key, sub in item.items():
                    check_text(str(key), where=where)
                    stack.append((sub, depth + 1))
            else:
                stack.extend((sub, depth + 1) for sub in item)
        elif isinstance(item, float) and not math.isfinite(item):
            raise _not_json()


def _not_json() -> JapaneseValueError:
    return JapaneseValueError(
        "invalid_json", "JSONの形式が正しくありません。送信内容を確認してください。"
    )


def _refuse_constant(name: str) -> Any:
    raise ValueError(name)


def _finite_float(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise ValueError(text)
    return number


def too_large_error(limit: int) -> JapaneseValueError:
    return JapaneseValueError(
        "too_large",
        f"送信内容が大きすぎます（{limit // 1024:,}KBまで）。"
        "ファイルは添付ファイルとして送信してください。",
    )


def loads_json(raw: bytes | str, *, where: str = "") -> Any:
    """Decode untrusted JSON within the limits of the module docstring, or raise
    :class:`JapaneseValueError` (``too_large``, ``invalid_json``, ``too_deep``,
    ``invalid_text``)."""
    limit = max_json_bytes()
    if isinstance(raw, bytes):
        if len(raw) > limit:
            raise too_large_error(limit)
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise invalid_text_error(where) from None
    else:
        if len(raw) > limit:  # characters: at least as many bytes
            raise too_large_error(limit)
        text = raw
    check_text(text, where=where)  # raw control characters; escapes are checked below
    try:
        value = json.loads(text, parse_constant=_refuse_constant, parse_float=_finite_float)
    except RecursionError:
        raise _too_deep(max_json_depth()) from None
    except ValueError:  # JSONDecodeError, NaN, 1e999, an integer of more than 4,300 digits
        raise _not_json() from None
    check_json_value(value, where=where)
    return value
