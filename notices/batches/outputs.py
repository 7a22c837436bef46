"""A finished batch's outputs, through the batch storage: the print-ready PDFs (already
written, one per employer box and per run of individual mail, in postal-code order), the
manifest as CSV in UTF-8 and in CP932, and each employer's 対象者一覧表."""

from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import Iterator
from itertools import groupby
from pathlib import Path
from typing import Any

from django.core.files import File
from django.utils import timezone

from notices.batches.models import Document, MailingBatch, MailingItem, Route
from notices.batches.storage import batch_storage
from notices.documents.common import home
from notices.documents.employer_list import (
    employer_list_common,
    employer_list_renderer,
    employer_list_rows,
)

MANIFEST_HEADER = [
    "発送物",
    "状態",
    "理由",
    "文書",
    "宛名",
    "送付先",
    "郵便番号",
    "住所",
    "経路",
    "封筒番号",
    "箱番号",
    "重量(g)",
    "特定記録番号",
    "ファイル",
]
GETA = "〓"  # what a character without a CP932 code becomes (the printers' convention)


def manifest_rows(batch: MailingBatch) -> Iterator[list[str]]:
    items = (
        batch.items.select_related("record__insured_record", "record__employer")
        .order_by("seq")
        .iterator(chunk_size=2000)
    )
    document = Document(batch.document).label
    for item in items:
        record = item.record
        if item.route == Route.EMPLOYER and record.employer_id:
            insured = record.insured_record or record
            employer = insured.employer or record.employer
            to, postal, address = employer.name, employer.postal_code, employer.address
        else:
            to = record.insured_record.name if record.insured_record_id else record.name
            postal, address = home(record)
            postal = postal.replace("〒", "").replace("-", "")
        yield [
            f"{batch.pk}-{item.seq}",
            item.get_state_display(),
            item.reason,
            document,
            record.name,
            to,
            postal,
            address,
            item.get_route_display(),
            str(item.envelope),
            "" if item.box is None else str(item.box),
            str(item.weight_g),
            item.tracked_text,
            item.file.rsplit("/", 1)[-1],
        ]


def to_cp932(text: str) -> bytes:
    try:
        return text.encode("cp932")
    except UnicodeEncodeError:
        return "".join(_cp932_char(ch) for ch in text).encode("cp932")


def _cp932_char(ch: str) -> str:
    try:
        ch.encode("cp932")
    except UnicodeEncodeError:
        return GETA
    return ch


def write_manifests(batch: MailingBatch) -> list[dict[str, str]]:
    storage = batch_storage()
    base = f"mailings/{batch.pk}/manifest"
    with (
        tempfile.TemporaryFile() as utf8,
        tempfile.TemporaryFile() as sjis,
    ):
        line = io.StringIO()
        writer = csv.writer(line, lineterminator="\r\n")
        utf8.write("\ufeff".encode())
        for row in [MANIFEST_HEADER, *manifest_rows(batch)]:
            writer.writerow(row)
            text = line.getvalue()
            utf8.write(text.encode("utf-8"))
            sjis.write(to_cp932(text))
            line.seek(0)
            line.truncate()
        out = []
        for fh, suffix, label in ((utf8, "utf8", "UTF-8"), (sjis, "cp932", "CP932")):
            fh.seek(0)
            name = f"{base}-{suffix}.csv"
            if storage.exists(name):
                storage.delete(name)
            storage.save(name, File(fh))
            out.append({"name": name, "label": f"発送明細（CSV {label}）"})
    return out


def list_title(batch: MailingBatch) -> str:
    if batch.document == Document.CERTIFICATE:
        return "資格確認書 送付対象者一覧表"
    return "資格情報のお知らせ 送付対象者一覧表"


def employer_groups(
    batch: MailingBatch, *, first: int | None = None, last: int | None = None
) -> Iterator[tuple[int, list[MailingItem]]]:
    """(employer id, its items in order) for each employer of the batch (in id order, within
    ``first``..``last`` when given): the members its 対象者一覧表 lists (not the skipped)."""
    items = (
        batch.items.exclude(employer=None)
        .exclude(state=MailingItem.State.SKIPPED)
        .select_related("record", "employer__branch")
        .order_by("employer_id", "seq")
    )
    if first is not None:
        items = items.filter(employer_id__gte=first)
    if last is not None:
        items = items.filter(employer_id__lte=last)
    for employer_id, group in groupby(items.iterator(chunk_size=2000), key=lambda i: i.employer_id):
        yield employer_id, list(group)


def write_employer_list(batch: MailingBatch, rows: list[MailingItem]) -> dict[str, str]:
    """Write one employer's 対象者一覧表 (the same name each time: a rerun overwrites it)."""
    storage = batch_storage()
    employer = rows[0].employer
    common = employer_list_common(
        employer, title=list_title(batch), created=timezone.localdate(), count=len(rows)
    )
    lines = employer_list_rows([row.record for row in rows], destination=rows[0].route)
    name = f"mailings/{batch.pk}/list-{employer.symbol}.pdf"
    with tempfile.TemporaryDirectory(prefix="mailing-list-") as tmp:
        # render_files compiles in a forked child: the worker's memory stays flat.
        (path,) = employer_list_renderer().render_files(
            lines, Path(tmp), common=common, per_file=len(lines) + 1
        )
        if storage.exists(name):
            storage.delete(name)
        with path.open("rb") as fh:
            storage.save(name, File(fh))
    return {"name": name, "label": f"対象者一覧表 {employer.name}"}


def pdf_outputs(batch: MailingBatch) -> list[dict[str, Any]]:
    """The print-ready PDFs the chunks wrote, by name."""
    files = batch.items.exclude(file="").order_by("file").values_list("file", flat=True).distinct()
    return [{"name": name, "label": name.rsplit("/", 1)[-1]} for name in files]
