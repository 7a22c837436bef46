"""A mailing batch is rows: the batch (kind, dates, state), one item per member with its own
state, route, envelope, box and tracked-mail number, and chunks (key ranges of the items'
``seq``) that the workers claim one at a time."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Now
from django.utils.translation import gettext_lazy as _


class Kind(models.TextChoices):
    NOTICE_ALL = "notice_all", _("お知らせ（抽出日時点の全加入者）")
    NOTICE_ACQUIRED = "notice_acquired", _("お知らせ（期間内の資格取得者）")
    CERTIFICATE_CUTOFF = "certificate_cutoff", _("資格確認書（基準日にマイナ保険証なし）")
    CERTIFICATE_STANDING = "certificate_standing", _("資格確認書（取得後30〜50日の定例交付）")
    REISSUE_NOTICE = "reissue_notice", _("お知らせ（交付申請による再交付）")
    REISSUE_CERTIFICATE = "reissue_certificate", _("資格確認書（交付申請による再交付）")
    RESEND = "resend", _("返戻分の再送")


class Document(models.TextChoices):
    NOTICE = "notice", _("資格情報のお知らせ")
    CERTIFICATE = "certificate", _("資格確認書")


class Route(models.TextChoices):
    EMPLOYER = "employer", _("事業所経由")
    HOME = "home", _("被保険者の住所")


DOCUMENT_OF_KIND = {
    Kind.NOTICE_ALL: Document.NOTICE,
    Kind.NOTICE_ACQUIRED: Document.NOTICE,
    Kind.REISSUE_NOTICE: Document.NOTICE,
    Kind.CERTIFICATE_CUTOFF: Document.CERTIFICATE,
    Kind.CERTIFICATE_STANDING: Document.CERTIFICATE,
    Kind.REISSUE_CERTIFICATE: Document.CERTIFICATE,
}


class MailingBatch(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("定義済み")
        RUNNING = "running", _("実行中")
        PAUSED = "paused", _("一時停止")
        FINISHING = "finishing", _("出力作成中")
        DONE = "done", _("完了")
        CANCELLED = "cancelled", _("取消")

    kind = models.CharField(_("種類"), max_length=24, choices=Kind.choices)
    document = models.CharField(_("文書"), max_length=12, choices=Document.choices)
    as_of = models.DateField(_("抽出日・基準日"))
    date_from = models.DateField(_("取得日（から）"), null=True, blank=True)
    date_to = models.DateField(_("取得日（まで）"), null=True, blank=True)
    include_requested = models.BooleanField(_("交付希望者を含む"), default=True)
    branch = models.ForeignKey(
        "core.Branch",
        verbose_name=_("支部"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        help_text=_("空欄は全支部（本部のみ）。"),
    )
    record = models.ForeignKey(
        "eligibility.EligibilityRecord",
        verbose_name=_("再交付の資格"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        db_constraint=False,
        related_name="+",
    )
    application = models.OneToOneField(
        "applications.Application",
        verbose_name=_("交付申請"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        db_constraint=False,
        related_name="+",
        help_text=_("再交付のもとになった交付申請書（一件の申請に一つの発送）。"),
    )
    parent = models.ForeignKey(
        "self",
        verbose_name=_("再送元の発送"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="resends",
    )
    tracked_first = models.BigIntegerField(_("特定記録番号（から）"), null=True, blank=True)
    tracked_last = models.BigIntegerField(_("特定記録番号（まで）"), null=True, blank=True)
    status = models.CharField(
        _("状態"), max_length=12, choices=Status.choices, default=Status.DRAFT
    )
    planned = models.PositiveIntegerField(_("計画件数"), default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("作成者"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("作成日時"), auto_now_add=True, db_default=Now())
    launched_at = models.DateTimeField(_("開始日時"), null=True, blank=True)
    finished_at = models.DateTimeField(_("完了日時"), null=True, blank=True)
    outputs = models.JSONField(_("出力ファイル"), default=list, blank=True)

    class Meta:
        verbose_name = _("発送バッチ")
        verbose_name_plural = _("発送バッチ")
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"#{self.pk} {self.get_kind_display()}"


class MailingItem(models.Model):
    """One document for one member in one batch; ``seq`` orders the batch (route, employer,
    postal code, household) and is the key the chunks are ranges of."""

    class State(models.TextChoices):
        PENDING = "pending", _("未作成")
        RENDERED = "rendered", _("作成済み")
        FAILED = "failed", _("失敗")
        SKIPPED = "skipped", _("対象外")
        RETURNED = "returned", _("返戻")

    # No database FK and no index of its own: planning inserts a batch's items in one
    # statement under the batch's row lock, and the FK's per-row check cost 3.5 s of CPU per
    # 1,000,000 items (docs/decisions/0002); the composite indexes below begin with it.
    # Django still cascades a batch's deletion.
    batch = models.ForeignKey(
        MailingBatch,
        on_delete=models.CASCADE,
        related_name="items",
        db_constraint=False,
        db_index=False,
    )
    record = models.ForeignKey(
        "eligibility.EligibilityRecord",
        verbose_name=_("資格"),
        on_delete=models.PROTECT,
        db_constraint=False,
        db_index=False,  # mailing_item_once (record, batch) serves look-ups by record
        related_name="+",
    )
    branch = models.ForeignKey(
        "core.Branch",
        verbose_name=_("支部"),
        on_delete=models.PROTECT,
        db_constraint=False,
        db_index=False,
        related_name="+",
    )
    employer = models.ForeignKey(
        "eligibility.Employer",
        verbose_name=_("事業所"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        db_constraint=False,
        db_index=False,
        related_name="+",
    )
    household = models.IntegerField(_("世帯（被保険者の資格）"))
    seq = models.IntegerField(_("順序"))
    part = models.IntegerField(_("ファイル番号"))
    route = models.CharField(_("経路"), max_length=10, choices=Route.choices)
    envelope = models.IntegerField(_("封筒番号"))
    box = models.IntegerField(_("箱番号"), null=True, blank=True)
    weight_g = models.IntegerField(_("重量(g)"))
    tracked_number = models.BigIntegerField(_("特定記録番号"), null=True, blank=True)
    standing = models.BooleanField(_("定例交付"), default=False)
    previous = models.ForeignKey(
        "self",
        verbose_name=_("前回の発送"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="resends",
        db_index=False,  # mailing_item_previous: only re-sends have one
    )
    state = models.CharField(_("状態"), max_length=10, choices=State.choices, default=State.PENDING)
    reason = models.CharField(_("理由"), max_length=200, blank=True)
    file = models.CharField(_("ファイル"), max_length=200, blank=True)
    render_count = models.IntegerField(_("作成回数"), default=0)

    class Meta:
        verbose_name = _("発送物")
        verbose_name_plural = _("発送物")
        constraints = [
            # Record first: it is also the index for a member's items across batches.
            models.UniqueConstraint(fields=["record", "batch"], name="mailing_item_once"),
            models.UniqueConstraint(fields=["batch", "seq"], name="mailing_item_seq"),
            models.UniqueConstraint(fields=["tracked_number"], name="mailing_item_tracked"),
            # The standing 30–50-day rule picks a member up exactly once, ever.
            models.UniqueConstraint(
                fields=["record"], condition=Q(standing=True), name="mailing_item_standing_once"
            ),
        ]
        indexes = [
            models.Index(fields=["batch", "state", "branch"]),
            models.Index(fields=["batch", "part"]),
            models.Index(
                fields=["previous"],
                condition=Q(previous__isnull=False),
                name="mailing_item_previous",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.batch_id}-{self.seq}"

    @property
    def tracked_text(self) -> str:
        return f"{self.tracked_number:011d}" if self.tracked_number is not None else ""


class MailingChunk(models.Model):
    """The items of ``batch`` with ``first_seq <= seq <= last_seq`` (whole files), claimed by
    one worker at a time with a conditional update; ``heartbeat`` says it is still alive."""

    class State(models.TextChoices):
        PENDING = "pending", _("待機")
        RUNNING = "running", _("処理中")
        DONE = "done", _("完了")

    batch = models.ForeignKey(MailingBatch, on_delete=models.CASCADE, related_name="chunks")
    number = models.IntegerField()
    first_seq = models.IntegerField()
    last_seq = models.IntegerField()
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    claim = models.CharField(max_length=32, blank=True)
    heartbeat = models.DateTimeField(null=True, blank=True)
    attempts = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["batch", "number"], name="mailing_chunk_number")
        ]
        indexes = [models.Index(fields=["state", "heartbeat"])]

    def __str__(self) -> str:
        return f"#{self.batch_id} chunk {self.number}"


class TrackedRange(models.Model):
    """特定記録 numbers issued by the post office and imported from a file: one row per run of
    consecutive numbers, for a branch (or 本部 when ``branch`` is empty). A batch of that
    branch without its own range takes the head of the largest free run at launch: the run
    is marked taken by the batch, and what the batch did not need is split off as a new
    free run (``split_from``)."""

    branch = models.ForeignKey(
        "core.Branch",
        verbose_name=_("支部"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("空欄は本部の番号。"),
    )
    first = models.BigIntegerField(_("特定記録番号（から）"))
    last = models.BigIntegerField(_("特定記録番号（まで）"))
    batch = models.ForeignKey(
        MailingBatch,
        verbose_name=_("使用した発送バッチ"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="tracked_ranges",
    )
    split_from = models.ForeignKey(
        "self",
        verbose_name=_("分割元"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    source = models.CharField(_("取込ファイル"), max_length=200, blank=True)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("取込者"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    imported_at = models.DateTimeField(_("取込日時"), auto_now_add=True, db_default=Now())

    class Meta:
        verbose_name = _("特定記録番号（取込）")
        verbose_name_plural = _("特定記録番号（取込）")
        ordering = ["first"]
        constraints = [
            models.CheckConstraint(
                condition=Q(first__lte=models.F("last")), name="tracked_range_ordered"
            ),
            models.UniqueConstraint(fields=["first"], name="tracked_range_first_once"),
        ]
        indexes = [models.Index(fields=["branch", "batch"])]

    def __str__(self) -> str:
        return f"{self.first:011d}–{self.last:011d}"

    @property
    def size(self) -> int:
        return self.last - self.first + 1


class OutputChunk(models.Model):
    """A piece of a batch's outputs once every item is rendered: the manifest (one chunk), or
    the 対象者一覧表 of the employers with ``first_employer <= employer_id <= last_employer``.
    Claimed like the rendering chunks (a conditional update, a heartbeat, a lease); progress
    is counted per employer (``done``), and a chunk taken again goes on after
    ``last_done``, so each list is written once and none is skipped."""

    class Kind(models.TextChoices):
        MANIFEST = "manifest", _("発送明細")
        LISTS = "lists", _("対象者一覧表")

    batch = models.ForeignKey(MailingBatch, on_delete=models.CASCADE, related_name="output_chunks")
    number = models.IntegerField()
    kind = models.CharField(max_length=10, choices=Kind.choices)
    first_employer = models.BigIntegerField(null=True, blank=True)
    last_employer = models.BigIntegerField(null=True, blank=True)
    employers = models.IntegerField(_("事業所数"), default=0)
    done = models.IntegerField(_("作成済み事業所数"), default=0)
    last_done = models.BigIntegerField(null=True, blank=True)
    state = models.CharField(
        max_length=10, choices=MailingChunk.State.choices, default=MailingChunk.State.PENDING
    )
    claim = models.CharField(max_length=32, blank=True)
    heartbeat = models.DateTimeField(null=True, blank=True)
    attempts = models.IntegerField(default=0)
    outputs = models.JSONField(default=list, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["batch", "number"], name="output_chunk_number")
        ]
        indexes = [models.Index(fields=["state", "heartbeat"])]

    def __str__(self) -> str:
        return f"#{self.batch_id} output {self.number}"
