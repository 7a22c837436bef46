"""Mailing batches from the command line (発送担当 on the server):

    manage.py mailing_batch define notice_all --as-of 2026-12-01 [--branch 13]
    manage.py mailing_batch preview ID
    manage.py mailing_batch launch ID [--watch]
    manage.py mailing_batch watch ID        # a progress bar until the batch ends
    manage.py mailing_batch pause|resume|cancel|retry ID
    manage.py mailing_batch run-here ID     # render the pending chunks in this process

``--user NAME`` acts as that staff account (scope and audit); without it, the system.
"""

from __future__ import annotations

import time
from datetime import date
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from core.errors import ServiceError
from core.models import Branch
from notices.batches import finishing, selectors, services
from notices.batches.models import Kind, MailingBatch

ENDED = {MailingBatch.Status.DONE, MailingBatch.Status.CANCELLED}


class Command(BaseCommand):
    help = "発送バッチの定義・見込み・開始・進捗・一時停止・再開・取消・失敗分の再実行"

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "operation",
            choices=[
                "define", "preview", "launch", "watch", "pause", "resume", "cancel", "retry",
                "run-here",
            ],
        )  # fmt: skip
        parser.add_argument("target", help="define: the kind; otherwise the batch id")
        parser.add_argument("--as-of", type=date.fromisoformat)
        parser.add_argument("--from", dest="date_from", type=date.fromisoformat)
        parser.add_argument("--to", dest="date_to", type=date.fromisoformat)
        parser.add_argument("--without-requested", action="store_true")
        parser.add_argument("--branch", type=int, help="都道府県コード")
        parser.add_argument("--tracked", nargs=2, type=int, metavar=("FIRST", "LAST"))
        parser.add_argument("--user")
        parser.add_argument("--watch", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        actor = None
        if options["user"]:
            actor = get_user_model().objects.filter(username=options["user"]).first()
            if actor is None:
                raise CommandError("そのユーザーはいません。")
        try:
            self.run(options, actor)
        except ServiceError as exc:
            raise CommandError(exc.message) from exc

    def run(self, options: dict[str, Any], actor: Any) -> None:
        operation, target = options["operation"], options["target"]
        if operation == "define":
            if target not in Kind.values:
                raise CommandError(f"種類は {', '.join(Kind.values)} のいずれかです。")
            branch = Branch.objects.filter(code=options["branch"]).first()
            tracked = options["tracked"] or (None, None)
            batch = services.define_batch(
                actor=actor,
                kind=target,
                as_of=options["as_of"],
                date_from=options["date_from"],
                date_to=options["date_to"],
                include_requested=not options["without_requested"],
                branch_id=branch.pk if branch else None,
                tracked_first=tracked[0],
                tracked_last=tracked[1],
            )
            self.stdout.write(
                f"発送バッチ {batch.pk} を定義しました（{batch.get_kind_display()}）。"
            )
            return
        batch_id = int(target)
        if operation == "preview":
            rows = services.preview(batch_id, actor=actor)
            for row in rows:
                self.stdout.write(f"{row.branch_id}\t{row.route}\t{row.count:,}")
            self.stdout.write(f"合計\t{sum(r.count for r in rows):,}")
        elif operation == "launch":
            batch = services.launch(batch_id, actor=actor)
            self.stdout.write(
                f"計画 {batch.planned:,}件、{batch.chunks.count():,}チャンクを投入しました。"
            )
            if options["watch"]:
                self.watch(batch_id)
        elif operation == "watch":
            self.watch(batch_id)
        elif operation == "run-here":
            for chunk_id in MailingBatch.objects.get(pk=batch_id).chunks.values_list(
                "pk", flat=True
            ):
                services.render_chunk(chunk_id)
            finishing.run_here(batch_id)
            self.watch(batch_id)
        else:
            action = {
                "pause": services.pause,
                "resume": services.resume,
                "cancel": services.cancel,
                "retry": services.retry_failures,
            }[operation]
            action(batch_id, actor=actor)
            self.stdout.write("受け付けました。")

    def watch(self, batch_id: int, interval: float = 1.0) -> None:
        batch = MailingBatch.objects.get(pk=batch_id)
        with tqdm(total=batch.planned, unit="通", file=self.stdout) as bar:
            while True:
                batch.refresh_from_db()
                counts = selectors.progress(batch).total
                bar.n = counts.finished
                lists = finishing.list_progress(batch)
                bar.set_postfix(
                    作成=counts.rendered,
                    失敗=counts.failed,
                    一覧表=f"{lists.done}/{lists.employers}",
                    状態=batch.status,
                )
                bar.refresh()
                if batch.status in ENDED:
                    break
                time.sleep(interval)
        self.stdout.write(f"状態: {batch.get_status_display()}")
