"""Electronic applications (電子申請): the filed form, its attachments and its status history."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ApplicationStatus(models.TextChoices):
    DRAFT = "draft", _("下書き")
    RECEIVED = "received", _("受付")
    REVIEWING = "reviewing", _("審査中")
    COMPLETED = "completed", _("審査完了")
    RETURNED = "returned", _("返戻")


class ReceiptCounter(models.Model):
    """One row per day: the last receipt serial handed out (locked while incremented)."""

    day = models.DateField(primary_key=True)
    last = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("受付番号採番")
        verbose_name_plural = _("受付番号採番")

    def __str__(self) -> str:
        return f"{self.day}: {self.last}"


class Application(models.Model):
    """One filed (or drafted) form.

    The member fields are copied from the eligibility record chosen at filing (資格選択) and
    never taken from the client. `version` guards against two reviewers changing the same
    application at once (optimistic concurrency).
    """

    receipt_number = models.CharField(
        _("受付番号"), max_length=16, unique=True, null=True, blank=True
    )
    form_code = models.CharField(_("申請書"), max_length=40)
    form_version = models.PositiveSmallIntegerField(_("様式の版"))
    status = models.CharField(
        _("状況"), max_length=10, choices=ApplicationStatus.choices, default=ApplicationStatus.DRAFT
    )
    status_comment = models.TextField(_("状況コメント"), blank=True)

    applicant = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("申請者"),
        on_delete=models.PROTECT,
        related_name="applications",
    )
    record = models.ForeignKey(
        "eligibility.EligibilityRecord",
        verbose_name=_("資格情報"),
        on_delete=models.PROTECT,
        related_name="applications",
    )
    branch = models.ForeignKey(
        "core.Branch", verbose_name=_("支部"), on_delete=models.PROTECT, related_name="+"
    )
    # Copied from the eligibility record at filing; read-only for the client.
    insurer_name = models.CharField(_("保険者名称"), max_length=40)
    symbol = models.CharField(_("記号"), max_length=8)
    number = models.CharField(_("番号"), max_length=8)
    branch_number = models.CharField(_("枝番"), max_length=2)
    name = models.CharField(_("氏名"), max_length=60)
    name_kana = models.CharField(_("フリガナ"), max_length=80)
    sex = models.CharField(_("性別"), max_length=1, blank=True)
    birth_date = models.DateField(_("生年月日"))

    data = models.JSONField(_("申請内容"), default=dict)
    bank_account = models.JSONField(_("振込先口座"), null=True, blank=True)

    assigned_reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("審査担当者"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_applications",
    )
    resubmission_of = models.ForeignKey(
        "self",
        verbose_name=_("再申請元"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="resubmissions",
    )
    idempotency_key = models.CharField(max_length=64, blank=True, editable=False)
    version = models.PositiveIntegerField(default=1, editable=False)
    submitted_at = models.DateTimeField(_("受付日時"), null=True, blank=True)
    created_at = models.DateTimeField(_("作成日時"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新日時"), auto_now=True)

    class Meta:
        verbose_name = _("電子申請")
        verbose_name_plural = _("電子申請")
        constraints = [
            models.UniqueConstraint(
                fields=["applicant", "idempotency_key"],
                condition=~Q(idempotency_key=""),
                name="application_unique_idempotency_key",
            ),
            models.CheckConstraint(
                condition=Q(status="draft") | Q(receipt_number__isnull=False),
                name="application_filed_has_receipt_number",
            ),
        ]
        indexes = [
            models.Index(fields=["branch", "status", "-submitted_at"]),
            models.Index(fields=["branch", "-submitted_at"]),
            models.Index(fields=["branch", "form_code", "-submitted_at"]),
            models.Index(fields=["branch", "assigned_reviewer", "-submitted_at"]),
            models.Index(fields=["symbol", "number"]),
            models.Index(fields=["branch", "name_kana"]),
            models.Index(fields=["applicant", "-id"]),
            # Headquarters' queue and kana search span all branches.
            models.Index(fields=["-submitted_at"]),
            models.Index(fields=["name_kana"]),
            # The queue's default view: the open work (受付・審査中), oldest first. Small
            # partial indexes: the open applications are a few percent of the table, and the
            # full submitted_at index would walk past every finished one first.
            models.Index(
                fields=["branch", "submitted_at"],
                condition=Q(status__in=["received", "reviewing"]),
                name="application_open_branch_idx",
            ),
            models.Index(
                fields=["submitted_at"],
                condition=Q(status__in=["received", "reviewing"]),
                name="application_open_idx",
            ),
        ]

    def __str__(self) -> str:
        return self.receipt_number or f"下書き {self.pk}"


class ApplicationAttachment(models.Model):
    """An uploaded file, already checked by content and re-encoded (core.uploads)."""

    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="attachments"
    )
    kind = models.CharField(_("添付書類"), max_length=40)
    file = models.FileField(_("ファイル"), upload_to="applications/%Y/%m/")
    original_filename = models.CharField(_("元のファイル名"), max_length=200)
    content_type = models.CharField(max_length=40)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    pages = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("添付ファイル")
        verbose_name_plural = _("添付ファイル")

    def __str__(self) -> str:
        return self.original_filename


class StatusChange(models.Model):
    """The status history: one row per change, with the comment the applicant sees."""

    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="status_changes"
    )
    from_status = models.CharField(
        _("変更前"), max_length=10, choices=ApplicationStatus.choices, blank=True
    )
    to_status = models.CharField(_("変更後"), max_length=10, choices=ApplicationStatus.choices)
    comment = models.TextField(_("状況コメント"), blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("変更者"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # Set by the service that makes the change (filing passes its own clock), not by save().
    at = models.DateTimeField(_("日時"), default=timezone.now)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("状況履歴")
        verbose_name_plural = _("状況履歴")

    def __str__(self) -> str:
        return f"{self.get_from_status_display()} → {self.get_to_status_display()}"
