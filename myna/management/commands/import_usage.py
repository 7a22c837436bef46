"""Import monthly マイナ保険証 usage figures from CSV (columns: myna/imports.py).

python manage.py import_usage usage.csv --mode good_rows --report errors.csv
"""

from __future__ import annotations

import shutil

from django.core.management.base import BaseCommand, CommandError, CommandParser

from myna.imports import ALL_OR_NOTHING, GOOD_ROWS, import_usage


class Command(BaseCommand):
    help = "マイナ保険証の利用実績（月別・支部別／都道府県別）をCSVから取り込みます。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path")
        parser.add_argument("--mode", choices=[ALL_OR_NOTHING, GOOD_ROWS], default=ALL_OR_NOTHING)
        parser.add_argument("--report", help="エラーレポート（CSV）の保存先")

    def handle(self, *args, **options) -> None:
        result = import_usage(path=options["path"], actor=None, mode=options["mode"])
        if result.report is not None:
            if options["report"]:
                shutil.move(result.report, options["report"])
            else:
                result.report.unlink()
        self.stdout.write(
            f"{result.rows} 行: 新規 {result.created} 件、更新 {result.updated} 件、"
            f"変更なし {result.unchanged} 件、エラーのある行 {result.error_rows} 行。"
        )
        for message in result.messages:
            self.stdout.write(f"  {message}")
        if result.error_rows and not result.written:
            raise CommandError("誤りがあるため、何も取り込んでいません。")
