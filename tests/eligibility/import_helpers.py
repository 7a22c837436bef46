"""Running an import in a test and reading its error report."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from eligibility.imports import service
from eligibility.models import ImportJob
from tests.factories.imports import ImportJobFactory, write_csv


def run(
    tmp_path: Path,
    rows: list[dict[str, str]] | None = None,
    *,
    data: bytes | None = None,
    kind: str = ImportJob.Kind.MEMBERS,
    mode: str = ImportJob.Mode.ALL_OR_NOTHING,
    encoding: str = "utf-8",
    user=None,
    name: str = "import.csv",
) -> ImportJob:
    path = tmp_path / name
    if data is not None:
        path.write_bytes(data)
    else:
        write_csv(path, rows or [], encoding=encoding)
    job = ImportJobFactory(kind=kind, mode=mode, started_by=user, original_name=name)
    return service.run_job(job, path=path)


def report(job: ImportJob) -> list[dict[str, str]]:
    """The error report's rows (行, 列, 値, エラー内容)."""
    if not job.error_report:
        return []
    with job.error_report.open("rb") as stream:
        raw = stream.read()
    assert raw.startswith(b"\xef\xbb\xbf"), "the report is UTF-8 with BOM (for Excel)"
    return list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))


def errors_at(job: ImportJob) -> set[tuple[str, str]]:
    """(行, 列) of every error in the report."""
    return {(row["行"], row["列"]) for row in report(job)}
