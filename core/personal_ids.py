"""Keyed hashing of personal identifiers (My Number), and masking of any My-Number-like
value in a text (messages, reports, log lines). The full number is never stored."""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from core.jp.checkdigits import SEPARATOR_CHARS, validate_my_number
from core.jp.kana import normalize_digits


@dataclass(frozen=True)
class ProtectedMyNumber:
    last4: str
    digest: str


def keyed_hash(value: str) -> str:
    key = settings.PERSONAL_ID_HMAC_KEY
    if not key:
        raise ImproperlyConfigured("PERSONAL_ID_HMAC_KEY is not set.")
    # hmac.digest: the one-shot C path (about 4x cheaper than hmac.new(); imports hash a
    # number per row).
    return hmac.digest(key.encode(), value.encode(), hashlib.sha256).hex()


def protect_my_number(raw: str) -> ProtectedMyNumber:
    """Validate (check digit) and reduce a My Number to its last four digits and keyed hash."""
    number = validate_my_number(raw)
    return ProtectedMyNumber(last4=number[-4:], digest=keyed_hash(number))


def masked(last4: str) -> str:
    """How the number may be shown: only its last four digits."""
    return f"********{last4}" if last4 else ""


_DIGIT = "[0-9\uff10-\uff19]"
#: A run of numbers: digits (ASCII or full-width), with spaces or hyphens between groups.
_RUN = re.compile(f"{_DIGIT}(?:[{SEPARATOR_CHARS}]*{_DIGIT})*")
_GROUP = re.compile(f"{_DIGIT}+")
#: A run with at least 12 digits: the cheap test (in C) before the exact one.
_LONG_RUN = re.compile(f"{_DIGIT}(?:[{SEPARATOR_CHARS}]*{_DIGIT}){{11}}")
_ASCII_LETTER = re.compile("[A-Za-z]")
MY_NUMBER_LENGTH = 12


def mask_my_numbers(text: str) -> str:
    """``text`` with every My-Number-like value replaced by ``********`` + its last four
    digits (see :func:`masked`).

    The rule follows what the import accepts as a My Number (without the check digit, so a
    mistyped number is masked too): 12 digits, ASCII or full-width, in one group or in
    consecutive groups separated by spaces (half- or full-width) or hyphen look-alikes:
    "123456789012", "1234-5678-9012", "１２３４ ５６７８ ９０１２". Consecutive groups are
    tried from every group on, so "3 123456789012" (a line number before it) is masked too.

    Not masked: 12 digits inside one longer group (法人番号 13, bank accounts 14 written
    together); fewer than 12 digits (保険者番号 8, 記号 7–8, 番号 1–8, 郵便番号 7, 電話番号
    10–11, 特定記録 11, dates); digits separated by anything else (the commas of a count
    "1,234", "/", ":", "."); digits glued to an ASCII letter (a hex digest or a uuid in a
    file name or a log line). Groups that add up to 12 digits are masked even when they are
    something else ("13000001-1234", 記号 and 番号 together): masking too much in a message
    costs less than one number shown.
    """
    if len(text) < MY_NUMBER_LENGTH or not _LONG_RUN.search(text):
        return text
    return _RUN.sub(_mask_run, text)


def _mask_run(match: re.Match[str]) -> str:
    run = match[0]
    groups = [(g.start(), g.end()) for g in _GROUP.finditer(run)]
    sizes = [end - start for start, end in groups]
    if sum(sizes) < MY_NUMBER_LENGTH:
        return run
    glued_before = match.start() > 0 and _ASCII_LETTER.match(match.string[match.start() - 1])
    glued_after = _ASCII_LETTER.match(match.string[match.end() : match.end() + 1])
    spans: list[list[int]] = []  # [first group, last group], merged when they overlap
    for first in range(len(groups)):
        total, last = 0, first
        while last < len(groups) and total < MY_NUMBER_LENGTH:
            total += sizes[last]
            last += 1
        last -= 1
        if total != MY_NUMBER_LENGTH:
            continue
        if (first == 0 and glued_before) or (last == len(groups) - 1 and glued_after):
            continue
        if spans and first <= spans[-1][1]:
            spans[-1][1] = last
        else:
            spans.append([first, last])
    if not spans:
        return run
    out, position = [], 0
    for first, last in spans:
        start, end = groups[first][0], groups[last][1]
        digits = normalize_digits(_only_digits(run[start:end]))
        out += [run[position:start], masked(digits[-4:])]
        position = end
    out.append(run[position:])
    return "".join(out)


def _only_digits(text: str) -> str:
    return "".join(c for c in text if c.isdigit())
