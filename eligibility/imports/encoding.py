"""Which encoding a CSV file is in: UTF-8 (with or without BOM), else CP932 (Shift_JIS).

The whole file is checked in one streaming pass (the cost of a decode, not of a parse), so a
file that is UTF-8 at the top and something else further down is caught before any row is
read. The same pass counts the lines, which gives the progress total.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from eligibility.imports.errors import ImportFileError

CHUNK_SIZE = 1 << 20
UTF8_BOM = codecs.BOM_UTF8

#: Encodings as recorded on the job.
UTF8 = "utf-8"
UTF8_SIG = "utf-8-sig"
CP932 = "cp932"

_LABELS = {UTF8: "UTF-8", UTF8_SIG: "UTF-8（BOM付き）", CP932: "Shift_JIS（CP932）"}


def encoding_label(encoding: str) -> str:
    return _LABELS.get(encoding, encoding)


@dataclass(frozen=True)
class Detected:
    encoding: str
    lines: int  # newline-terminated lines, plus a last line without a newline


@dataclass(frozen=True)
class _Failure:
    line: int
    at_end: bool


def _check(stream: BinaryIO, encoding: str) -> tuple[int, _Failure | None]:
    """Decode the whole stream; the line count, and where decoding failed (if it did)."""
    stream.seek(0)
    decoder = codecs.getincrementaldecoder(encoding)("strict")
    newlines = 0
    last_byte = b""
    while True:
        chunk = stream.read(CHUNK_SIZE)
        final = not chunk
        pending = decoder.getstate()[0]
        try:
            if b"\x00" in chunk:
                raise UnicodeDecodeError(encoding, chunk, chunk.index(b"\x00"), 0, "NUL")
            decoder.decode(chunk, final=final)
        except UnicodeDecodeError as exc:
            data = pending + chunk
            offset = exc.start
            line = newlines + data[:offset].count(b"\n") - pending.count(b"\n") + 1
            return 0, _Failure(line=line, at_end=final)
        if final:
            break
        newlines += chunk.count(b"\n")
        last_byte = chunk[-1:]
    lines = newlines + (1 if last_byte and last_byte != b"\n" else 0)
    return lines, None


def detect_encoding(path: str | Path) -> Detected:
    """UTF-8 with BOM, UTF-8, or CP932; raises :class:`ImportFileError` for anything else."""
    with open(path, "rb") as stream:
        head = stream.read(len(UTF8_BOM))
        if not head:
            raise ImportFileError("ファイルが空です（見出し行がありません）", line=1)
        lines, utf8_failure = _check(stream, UTF8)
        if utf8_failure is None:
            return Detected(UTF8_SIG if head == UTF8_BOM else UTF8, lines)
        if utf8_failure.at_end:
            raise ImportFileError(
                f"{utf8_failure.line}行目: ファイルの末尾で文字が途中で切れています"
                "（ファイルが途中で切れている可能性があります）",
                line=utf8_failure.line,
            )
        lines, cp932_failure = _check(stream, CP932)
        if cp932_failure is None:
            return Detected(CP932, lines)
        if cp932_failure.at_end:
            raise ImportFileError(
                f"{cp932_failure.line}行目: ファイルの末尾で文字が途中で切れています"
                "（ファイルが途中で切れている可能性があります）",
                line=cp932_failure.line,
            )
        raise ImportFileError(
            "ファイルの文字コードが UTF-8 でも Shift_JIS（CP932）でもありません"
            f"（UTF-8 としては{utf8_failure.line}行目、Shift_JIS としては"
            f"{cp932_failure.line}行目に読めない文字があります）。"
            "UTF-8 または Shift_JIS の CSV で保存し直してください",
            line=min(utf8_failure.line, cp932_failure.line),
        )
