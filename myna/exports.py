"""A dashboard table as a CSV (UTF-8 with BOM, Excel opens it) or an Excel workbook."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

Cell = str | int | Decimal | None


@dataclass(slots=True)
class Table:
    """A titled table: what a chart shows, with the exact figures, and what is downloaded."""

    key: str
    title: str
    headers: Sequence[str]
    rows: list[Sequence[Cell]] = field(default_factory=list)
    #: Per row: a CSS class for the page (top / bottom five), not exported.
    marks: list[str] = field(default_factory=list)
    note: str = ""


def to_csv(table: Table) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(table.headers)
    for row in table.rows:
        writer.writerow(["" if c is None else c for c in row])
    return buffer.getvalue().encode("utf-8-sig")


def to_xlsx(table: Table) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    sheet.title = table.key[:31]
    sheet.append([table.title])
    sheet["A1"].font = Font(bold=True)
    sheet.append(list(table.headers))
    for cell in sheet[2]:
        cell.font = Font(bold=True)
    for row in table.rows:
        # Numbers stay numbers (Decimal as float) so Excel can sort and chart them.
        sheet.append([float(c) if isinstance(c, Decimal) else c for c in row])
    if table.note:
        sheet.append([])
        sheet.append([table.note])
    for column in sheet.columns:
        letter = column[0].column_letter
        sheet.column_dimensions[letter].width = 16
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
