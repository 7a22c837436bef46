"""The management commands import_members and import_employers: arguments, progress bar
and exit status (the work itself is in eligibility.imports.service)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from core.personal_ids import mask_my_numbers
from eligibility.imports import service
from eligibility.models import ImportJob


class ImportCommand(BaseCommand):
    kind: str = ""
    unit: str = "行"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", help="CSVファイル（UTF-8 または Shift_JIS、見出し行あり）")
        parser.add_argument(
            "--mode",
            choices=[m.value for m in ImportJob.Mode],
            default=ImportJob.Mode.ALL_OR_NOTHING.value,
            help="all_or_nothing: エラーが1件でもあれば全件取り込まない（既定） / "
            "good_rows: エラーのない行だけ取り込む",
        )
        parser.add_argument("--report", help="エラーレポート（CSV）の保存先")
        parser.add_argument("--user", help="実行者のユーザー名（監査ログに記録）")
        parser.add_argument("--no-progress", action="store_true", help="進捗バーを表示しない")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["path"])
        if not path.is_file():
            raise CommandError(f"ファイルがありません: {path}")
        user = None
        if options["user"]:
            user = get_user_model().objects.filter(username=options["user"]).first()
            if user is None:
                raise CommandError(f"ユーザーがありません: {options['user']}")
        job = ImportJob.objects.create(
            kind=self.kind,
            mode=options["mode"],
            started_by=user,
            original_name=mask_my_numbers(path.name)[:255],
        )
        # No tqdm monitor thread: the bar is updated here, and the parser child process is
        # only forked from a single-threaded process (eligibility.imports.pipeline).
        tqdm.monitor_interval = 0
        with tqdm(
            total=0, unit=self.unit, disable=options["no_progress"], desc="取込", leave=True
        ) as bar:

            def progress(current: ImportJob) -> None:
                if bar.total != current.total_rows:
                    bar.total = current.total_rows
                    bar.refresh()
                bar.update(current.processed_rows - bar.n)

            service.run_job(job, path=path, on_progress=progress)
        self._write_report(job, options["report"])
        self.stdout.write(job.message)
        if job.status != ImportJob.Status.SUCCEEDED:
            raise CommandError(
                f"取込できませんでした（{job.get_status_display()}、エラー {job.error_count:,} 件）"
            )

    def _write_report(self, job: ImportJob, destination: str | None) -> None:
        if not job.error_report:
            return
        if destination:
            with job.error_report.open("rb") as source, open(destination, "wb") as target:
                shutil.copyfileobj(source, target)
            self.stdout.write(f"エラーレポート: {destination}（{job.error_count:,} 件）")
        else:
            self.stdout.write(
                f"エラー {job.error_count:,} 件（--report でエラーレポートを保存できます）"
            )
