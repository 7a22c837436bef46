"""Streaming CSV rows with their line numbers; file-level problems raise ImportFileError."""

from __future__ import annotations

import csv
import operator
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from eligibility.imports.columns import Column, HeaderMap, map_header
from eligibility.imports.errors import ImportFileError, RowError

#: Longest cell accepted (the csv module's own default limit is 128 KiB).
FIELD_SIZE_LIMIT = 10_000


@dataclass(slots=True)
class RawRow:
    """One data row: its line number, its cells in the order of the importer's ``columns``
    (``""`` for a column the file does not have), and the errors of its shape."""

    line: int
    cells: tuple[str, ...]
    errors: list[RowError]


def read_rows(
    path: str | Path, encoding: str, columns: tuple[Column, ...]
) -> Iterator[RawRow | HeaderMap]:
    """Yield the :class:`HeaderMap` first, then one :class:`RawRow` per data row.

    Blank lines are skipped. A row with fewer cells than the header gets an error on the
    first missing column (a truncated last row is the usual cause); a row with more cells
    gets an error too. A broken quote raises :class:`ImportFileError` naming the line.
    """
    csv.field_size_limit(FIELD_SIZE_LIMIT)
    with open(path, encoding=encoding, newline="") as stream:
        reader = csv.reader(stream, strict=True)
        start = 1
        try:
            header = next(reader, None)
            if header is None:
                raise ImportFileError("ファイルが空です（見出し行がありません）", line=1)
            mapping = map_header(header, columns)
            yield mapping
            # The cells in column order, in C: an absent column reads the "" appended last.
            pick = operator.itemgetter(*(mapping.positions.get(c.key, -1) for c in columns))
            width = mapping.width
            start = reader.line_num + 1
            for cells in reader:
                line = start
                start = reader.line_num + 1
                if not cells or (len(cells) == 1 and not cells[0].strip()):
                    continue
                errors: list[RowError] = []
                if len(cells) != width:
                    errors.append(_width_error(line, cells, mapping))
                    cells = cells + [""] * (width - len(cells))
                cells.append("")
                yield RawRow(line, pick(cells), errors)
        except csv.Error as exc:
            raise ImportFileError(
                f'{start}行目: CSVの形式が正しくありません（引用符「"」の閉じ忘れ、'
                f"またはファイルが途中で切れている可能性があります。詳細: {exc}）",
                line=start,
            ) from None


def _width_error(line: int, cells: list[str], mapping: HeaderMap) -> RowError:
    if len(cells) < mapping.width:
        missing_index = len(cells)
        label = next(
            (
                mapping.label(key)
                for key, index in sorted(mapping.positions.items(), key=lambda kv: kv[1])
                if index >= missing_index
            ),
            f"{missing_index + 1}列目",
        )
        return RowError(
            line=line,
            column=label,
            value="",
            message=(
                f"列が不足しています（見出し{mapping.width}列に対して{len(cells)}列。"
                "ファイルが途中で切れている可能性があります）"
            ),
        )
    return RowError(
        line=line,
        column=f"{mapping.width + 1}列目",
        value="",
        message=f"列が多すぎます（見出し{mapping.width}列に対して{len(cells)}列）",
    )


def count_rows(path: str | Path, encoding: str, columns: tuple[Column, ...]) -> int:
    """Check the CSV structure of the whole file (header, quotes) and count its data rows,
    without validating any value. Raises :class:`ImportFileError` like :func:`read_rows`."""
    rows = read_rows(path, encoding, columns)
    next(rows)  # the header map
    csv.field_size_limit(FIELD_SIZE_LIMIT)
    count = 0
    with open(path, encoding=encoding, newline="") as stream:
        reader = csv.reader(stream, strict=True)
        start = 1
        try:
            next(reader)
            start = reader.line_num + 1
            for cells in reader:
                start = reader.line_num + 1
                if cells and (len(cells) > 1 or cells[0].strip()):
                    count += 1
        except csv.Error as exc:
            raise ImportFileError(
                f'{start}行目: CSVの形式が正しくありません（引用符「"」の閉じ忘れ、'
                f"またはファイルが途中で切れている可能性があります。詳細: {exc}）",
                line=start,
            ) from None
    rows.close()
    return count
