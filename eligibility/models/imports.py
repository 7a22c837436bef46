"""CSV imports of members and employers (取込ジョブ): one row per uploaded or command-line file."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ImportJob(models.Model):
    """One import of a CSV file. The counts are updated while the job runs (progress)."""

    class Kind(models.TextChoices):
        MEMBERS = "members", _("加入者")
        EMPLOYERS = "employers", _("事業所")

    class Mode(models.TextChoices):
        ALL_OR_NOTHING = "all_or_nothing", _("エラーが1件でもあれば全件取り込まない")
        GOOD_ROWS = "good_rows", _("エラーのない行だけ取り込む")

    class Status(models.TextChoices):
        QUEUED = "queued", _("待機中")
        RUNNING = "running", _("実行中")
        SUCCEEDED = "succeeded", _("完了")
        FAILED = "failed", _("異常終了")
        REJECTED = "rejected", _("取込不可（エラーあり）")

    class ParsePath(models.TextChoices):
        """Where the rows were parsed (chosen once per job, see imports.service)."""

        PROCESS = "process", _("子プロセス")
        THREAD = "thread", _("スレッド")

    FINISHED = (Status.SUCCEEDED, Status.FAILED, Status.REJECTED)

    kind = models.CharField(_("取込対象"), max_length=10, choices=Kind.choices)
    mode = models.CharField(
        _("取込方法"), max_length=16, choices=Mode.choices, default=Mode.ALL_OR_NOTHING
    )
    status = models.CharField(
        _("状況"), max_length=10, choices=Status.choices, default=Status.QUEUED, db_index=True
    )
    file = models.FileField(_("CSVファイル"), upload_to="imports/source/%Y/%m/", blank=True)
    original_name = models.CharField(_("ファイル名"), max_length=255, blank=True)
    encoding = models.CharField(_("文字コード"), max_length=16, blank=True)
    parse_path = models.CharField(
        _("解析の方式"), max_length=8, choices=ParsePath.choices, blank=True, editable=False
    )
    total_rows = models.PositiveIntegerField(_("総行数"), default=0)
    processed_rows = models.PositiveIntegerField(_("処理済み行数"), default=0)
    created_count = models.PositiveIntegerField(_("新規"), default=0)
    updated_count = models.PositiveIntegerField(_("更新"), default=0)
    unchanged_count = models.PositiveIntegerField(_("変更なし"), default=0)
    error_count = models.PositiveIntegerField(_("エラー件数"), default=0)
    error_rows = models.PositiveIntegerField(_("エラー行数"), default=0)
    error_report = models.FileField(
        _("エラーレポート"), upload_to="imports/reports/%Y/%m/", blank=True
    )
    message = models.TextField(_("メッセージ"), blank=True)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("実行者"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("登録日時"), auto_now_add=True)
    started_at = models.DateTimeField(_("開始日時"), null=True, blank=True)
    # The worker's claim on a running job, and its sign of life (updated with its progress):
    # a running job whose heartbeat is older than IMPORT_LEASE lost its worker, and the
    # sweep runs it again or fails it (imports.service.sweep_jobs).
    claim = models.CharField(max_length=32, blank=True, editable=False)
    heartbeat = models.DateTimeField(_("最終応答日時"), null=True, blank=True, editable=False)
    attempts = models.PositiveSmallIntegerField(_("実行回数"), default=0, editable=False)
    finished_at = models.DateTimeField(_("終了日時"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("CSV取込")
        verbose_name_plural = _("CSV取込")

    def __str__(self) -> str:
        return f"{self.get_kind_display()}取込 {self.pk}（{self.get_status_display()}）"

    @property
    def is_finished(self) -> bool:
        return self.status in self.FINISHED

    @property
    def progress_percent(self) -> int:
        if self.status == self.Status.SUCCEEDED:
            return 100
        if not self.total_rows:
            return 0
        return min(100, self.processed_rows * 100 // self.total_rows)
