"""The usage CSV import: encodings, per-row errors, idempotency, headquarters only."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import pytest

from core.errors import NotAllowed
from myna.imports import GOOD_ROWS, import_usage, parse_month
from myna.models import UsageFigure, UsageScope

HEADER = ["年月", "区分", "都道府県", "マイナ保険証利用件数", "オンライン資格確認利用件数"]


def write(tmp_path: Path, rows: list[list[str]], encoding: str = "utf-8") -> Path:
    path = tmp_path / "usage.csv"
    with open(path, "w", encoding=encoding, newline="") as f:
        csv.writer(f).writerows([HEADER, *rows])
    return path


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp932"])
def test_imports_and_reimport_changes_nothing(db, tmp_path, hq_admin, encoding):
    path = write(
        tmp_path,
        [
            ["令和7年9月", "国全体", "北海道", "3341", "10000"],
            ["2025-09", "協会", "東京", "1,200", "4,000"],
            ["R7.8", "協会", "13", "1000", "4000"],
        ],
        encoding,
    )
    first = import_usage(path=path, actor=hq_admin)
    assert (first.created, first.error_rows, first.report) == (3, 0, None)
    tokyo = UsageFigure.objects.get(month=date(2025, 9, 1), scope=UsageScope.ASSOCIATION)
    assert (tokyo.branch.code, tokyo.myna_uses, tokyo.online_checks) == (13, 1200, 4000)
    again = import_usage(path=path, actor=hq_admin)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)
    assert UsageFigure.objects.count() == 3


def test_a_later_file_replaces_the_figures_of_its_month(db, tmp_path, hq_admin):
    import_usage(path=write(tmp_path, [["2025-09", "協会", "東京都", "1", "4"]]), actor=hq_admin)
    result = import_usage(
        path=write(tmp_path, [["2025-09", "協会", "東京都", "2", "4"]]), actor=hq_admin
    )
    assert result.updated == 1
    assert UsageFigure.objects.get().myna_uses == 2


def test_errors_name_row_and_column_and_nothing_is_written(db, tmp_path, hq_admin):
    path = write(
        tmp_path,
        [
            ["2025-09", "協会", "東京都", "10", "100"],
            ["2025-13", "協会", "大阪府", "10", "100"],
            ["2025-09", "協会", "架空県", "10", "100"],
            ["2025-09", "不明", "京都府", "10", "100"],
            ["2025-09", "協会", "京都府", "200", "100"],
            ["2025-09", "協会", "東京", "10", "100"],
        ],
    )
    result = import_usage(path=path, actor=hq_admin)
    assert not result.written and UsageFigure.objects.count() == 0
    assert result.error_rows == 5
    with open(result.report, encoding="utf-8-sig") as f:
        report = list(csv.reader(f))
    result.report.unlink()
    assert report[0] == ["行", "列", "値", "エラー内容"]
    by_line = {row[0]: row for row in report[1:]}
    assert by_line["3"][1] == "年月" and "存在しない年月" in by_line["3"][3]
    assert by_line["4"][1] == "都道府県"
    assert by_line["5"][1] == "区分"
    assert "超えています" in by_line["6"][3]
    assert "2行目にもあります" in by_line["7"][3]


def test_good_rows_mode_loads_the_good_rows(db, tmp_path, hq_admin):
    path = write(
        tmp_path,
        [["2025-09", "協会", "東京都", "10", "100"], ["2025-09", "協会", "架空県", "1", "2"]],
    )
    result = import_usage(path=path, actor=hq_admin, mode=GOOD_ROWS)
    result.report.unlink()
    assert (result.created, result.error_rows) == (1, 1)


def test_a_file_in_another_encoding_is_refused_with_a_message(db, tmp_path, hq_admin):
    path = tmp_path / "bad.csv"
    path.write_bytes("年月,区分\n".encode("utf-16"))
    result = import_usage(path=path, actor=hq_admin)
    result.report.unlink()
    assert not result.written
    assert "文字コード" in result.messages[0] or "見出し" in result.messages[0]


def test_branch_staff_cannot_import(db, tmp_path, reviewer):
    with pytest.raises(NotAllowed):
        import_usage(path=write(tmp_path, []), actor=reviewer)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2025-09", date(2025, 9, 1)),
        ("2025/9", date(2025, 9, 1)),
        ("2025年9月", date(2025, 9, 1)),
        ("２０２５年９月", date(2025, 9, 1)),
        ("令和7年9月", date(2025, 9, 1)),
        ("令和元年5月", date(2019, 5, 1)),
        ("R7.9", date(2025, 9, 1)),
        ("2025-09-01", date(2025, 9, 1)),
    ],
)
def test_parse_month(text, expected):
    assert parse_month(text) == expected


def test_import_usage_command_writes_the_report(db, tmp_path):
    import io

    from django.core.management import CommandError, call_command

    path = write(tmp_path, [["2025-09", "協会", "架空県", "1", "2"]])
    report = tmp_path / "errors.csv"
    with pytest.raises(CommandError):
        call_command("import_usage", str(path), "--report", str(report), stdout=io.StringIO())
    assert "都道府県" in report.read_text(encoding="utf-8-sig")


def test_upload_in_the_admin(client, db, tmp_path, hq_admin, reviewer):
    path = write(tmp_path, [["2025-09", "協会", "東京都", "1", "2"]])
    client.force_login(reviewer)
    assert client.get("/admin/myna/dashboard/usage-import/").status_code == 403
    client.force_login(hq_admin)
    with open(path, "rb") as f:
        response = client.post(
            "/admin/myna/dashboard/usage-import/", {"file": f, "mode": "all_or_nothing"}
        )
    assert response.status_code == 302
    assert UsageFigure.objects.count() == 1
    bad = write(tmp_path, [["2025-09", "協会", "架空県", "1", "2"]])
    with open(bad, "rb") as f:
        response = client.post(
            "/admin/myna/dashboard/usage-import/", {"file": f, "mode": "all_or_nothing"}
        )
    assert response.status_code == 200
    assert "何も取り込んでいません" in response.content.decode()
    assert "架空県" in response.content.decode()
