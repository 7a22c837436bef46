"""CSV material for the import tests: valid rows to start from, and files in any encoding."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import factory

from eligibility.imports.columns import EMPLOYER_COLUMNS, MEMBER_COLUMNS
from eligibility.models import ImportJob

MEMBER_HEADER = [c.header for c in MEMBER_COLUMNS]
EMPLOYER_HEADER = [c.header for c in EMPLOYER_COLUMNS]
TOKYO_INSURER = "01130012"


def member_row(symbol: str, number: str = "1", **overrides: str) -> dict[str, str]:
    """A valid insured person (枝番 00) of the employer with ``symbol`` in Tokyo."""
    row = {
        "保険者番号": TOKYO_INSURER,
        "記号": symbol,
        "番号": number,
        "枝番": "00",
        "資格区分": "被保険者",
        "氏名": "協会　太郎",
        "フリガナ": "キョウカイ　タロウ",
        "生年月日": "1980-04-02",
        "性別": "1",
        "郵便番号": "100-0001",
        "住所": "東京都千代田区千代田1-1",
        "資格取得年月日": "2010-04-01",
        "資格喪失年月日": "",
        "標準報酬月額": "300000",
        "個人番号": "",
        "マイナ保険証利用登録日": "",
        "資格確認書交付希望": "0",
    }
    row.update(overrides)
    return row


def dependent_row(symbol: str, number: str = "1", branch_number: str = "01", **overrides: str):
    row = member_row(
        symbol,
        number,
        枝番=branch_number,
        資格区分="被扶養者",
        氏名="協会　花子",
        フリガナ="キョウカイ　ハナコ",
        生年月日="2015-06-10",
        性別="2",
        資格取得年月日="2015-06-10",
        標準報酬月額="",
    )
    row.update(overrides)
    return row


def employer_row(symbol: str, **overrides: str) -> dict[str, str]:
    row = {
        "支部": TOKYO_INSURER,
        "記号": symbol,
        "事業所名称": "株式会社テスト商事",
        "カナ": "カブシキガイシャテストショウジ",
        "郵便番号": "1000001",
        "所在地": "東京都千代田区千代田1-1",
        "電話番号": "03-1234-5678",
    }
    row.update(overrides)
    return row


def csv_text(rows: list[dict[str, str]], header: list[str] | None = None) -> str:
    header = header or list(rows[0]) if rows else (header or MEMBER_HEADER)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([row.get(name, "") for name in header])
    return out.getvalue()


def write_csv(
    path: Path, rows: list[dict[str, str]], *, encoding: str = "utf-8", bom: bool = False
) -> Path:
    data = csv_text(rows).encode(encoding)
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + data)
    return path


class ImportJobFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ImportJob

    kind = ImportJob.Kind.MEMBERS
    mode = ImportJob.Mode.ALL_OR_NOTHING
    original_name = "members.csv"
