"""Generate synthetic demo data in bulk and the demo accounts.

python manage.py demo_data --members 2000 --if-empty
python manage.py demo_data --members 1000000 --chunk-size 10000
"""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandParser
from tqdm import tqdm

from applications.models import Application
from demo import applications as applications_demo
from demo import eligibility as demo
from demo.accounts import ensure_demo_accounts
from eligibility.models import EligibilityRecord, Person


class Command(BaseCommand):
    help = "デモ用の合成データ（事業所・加入者・被扶養者・任意継続）とデモアカウントを作成します。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--members", type=int, default=2000, help="作成する加入者数")
        parser.add_argument(
            "--applications",
            type=int,
            default=None,
            help="作成する電子申請の件数（既定: 加入者数の半分）",
        )
        parser.add_argument("--seed", type=int, default=2026)
        parser.add_argument("--chunk-size", type=int, default=5000)
        parser.add_argument(
            "--if-empty", action="store_true", help="加入者が既にいる場合は作成しない（冪等）"
        )
        parser.add_argument("--no-progress", action="store_true")
        parser.add_argument(
            "--return-packages",
            type=int,
            default=0,
            help="デモ加入者以外の返戻された申請にも返戻書類を作成する件数",
        )

    def handle(self, *args, **options) -> None:
        members = options["members"]
        if options["if_empty"] and Person.objects.exists():
            self.stdout.write("加入者データは既にあります。作成を省略します。")
        else:
            started = time.monotonic()
            with tqdm(
                total=members, unit="人", disable=options["no_progress"], desc="加入者"
            ) as bar:
                summary = demo.generate(
                    members=members,
                    seed=options["seed"],
                    chunk_size=options["chunk_size"],
                    progress=bar.update,
                )
            elapsed = time.monotonic() - started
            rate = summary.persons / elapsed if elapsed else 0
            self.stdout.write(
                f"事業所 {summary.employers:,} 件、加入者 {summary.persons:,} 人、"
                f"資格情報 {summary.records:,} 件を作成しました（{elapsed:.1f} 秒、"
                f"{rate:,.0f} 人/秒）。"
            )
        tokyo_households = (
            EligibilityRecord.objects.filter(
                branch__code=13, kind="insured", dependents__isnull=False
            )
            .order_by("pk")
            .values_list("person_id", flat=True)
            .distinct()[:3]
        )
        logins = ensure_demo_accounts(list(tokyo_households))
        self._applications(options)
        made = applications_demo.file_for_demo_members()
        if made:
            self.stdout.write(f"デモ加入者の電子申請 {made} 件を作成しました。")
        from demo.returns import build_demo_packages

        packages = build_demo_packages(bulk=options["return_packages"])
        if packages:
            self.stdout.write(f"返戻書類（電子ポスト）{packages} 件を作成しました。")
        self._myna(options)
        from demo.notices import launch_demo_batch

        batch = launch_demo_batch()
        if batch is not None:
            self.stdout.write(
                f"発送バッチ「{batch.get_kind_display()}」（東京支部、{batch.planned} 件）を"
                "開始しました。ワーカーが作成します。"
            )
        self.stdout.write("デモアカウント:")
        for login in logins:
            self.stdout.write(
                f"  {login.role:<16} {login.username:<15} {login.password:<16} {login.where}"
            )

    def _myna(self, options) -> None:
        from django.utils import timezone

        from demo import myna as myna_demo
        from myna.models import RegistrationSummary

        if options["if_empty"] and RegistrationSummary.objects.exists():
            return

        today = timezone.localdate()
        rows = myna_demo.summaries(today=today)
        usage = myna_demo.usage(today=today)
        myna_demo.targets()
        self.stdout.write(
            f"マイナ保険証の集計 {rows:,} 行（2023年1月以降の月末と本日）、利用実績 {usage:,} 件を"
            "作成しました。"
        )

    def _applications(self, options) -> None:
        count = options["applications"]
        if count is None:
            count = options["members"] // 2
        if count <= 0 or (options["if_empty"] and Application.objects.exists()):
            return
        with tqdm(total=count, unit="件", disable=options["no_progress"], desc="電子申請") as bar:
            made = applications_demo.generate(
                count=count, seed=options["seed"], progress=bar.update
            )
        self.stdout.write(f"電子申請 {made:,} 件を作成しました。")
