"""The return mailbox (電子ポスト): reason catalogue, the message a returned application sends
to its applicant, and the package of documents (versions, build state, files).

* :class:`ReturnReason`: the catalogue headquarters maintains (添付書類の不足 …).
* :class:`ReturnMessage`: one per returned application, addressed to whoever filed it (the
  member, or the 社会保険労務士 who filed for them); ``opened_at`` tells staff whether and when
  the applicant opened it. Its reasons are :class:`ReturnMessageReason` rows.
* :class:`ReturnPackage`: one version of the documents. Recorded ``pending`` in the same
  transaction as the return, claimed by a worker with a conditional update (``building``),
  then ``ready`` with its :class:`ReturnFile` rows written in one transaction, or ``failed``
  with no file rows at all (the member never sees half a package). Regenerating adds a
  version; the old ones stay until retention deletes them.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class ReturnReason(models.Model):
    """One entry of the return-reason catalogue (maintained by headquarters in the admin)."""

    code = models.SlugField(_("コード"), max_length=40, unique=True)
    label = models.CharField(_("理由"), max_length=60)
    guidance = models.TextField(
        _("対応のご案内"), blank=True, help_text=_("お知らせに印字する、申請者がすべきこと。")
    )
    active = models.BooleanField(_("使用中"), default=True)
    order = models.PositiveSmallIntegerField(_("表示順"), default=100)

    class Meta:
        ordering = ["order", "code"]
        verbose_name = _("返戻理由")
        verbose_name_plural = _("返戻理由")

    def __str__(self) -> str:
        return self.label


class ReturnMessage(models.Model):
    """The mailbox message of one returned application."""

    application = models.OneToOneField(
        "applications.Application",
        verbose_name=_("電子申請"),
        on_delete=models.CASCADE,
        related_name="return_message",
    )
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("宛先"),
        on_delete=models.PROTECT,
        related_name="return_messages",
    )
    branch = models.ForeignKey(
        "core.Branch", verbose_name=_("支部"), on_delete=models.PROTECT, related_name="+"
    )
    subject = models.CharField(_("件名"), max_length=120)
    returned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("返戻した職員"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("送信日時"), auto_now_add=True)
    opened_at = models.DateTimeField(_("開封日時"), null=True, blank=True)

    class Meta:
        verbose_name = _("電子ポストのメッセージ")
        verbose_name_plural = _("電子ポストのメッセージ")
        indexes = [models.Index(fields=["recipient", "-id"])]

    def __str__(self) -> str:
        return self.subject


class ReturnMessageReason(models.Model):
    """One reason given for a return: from the catalogue, optionally tied to a form field."""

    message = models.ForeignKey(ReturnMessage, on_delete=models.CASCADE, related_name="reasons")
    reason = models.ForeignKey(
        ReturnReason, verbose_name=_("返戻理由"), on_delete=models.PROTECT, related_name="+"
    )
    field_name = models.CharField(_("該当項目"), max_length=60, blank=True)
    field_label = models.CharField(_("該当項目名"), max_length=120, blank=True)
    text = models.TextField(_("補足"), blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("返戻理由（個別）")
        verbose_name_plural = _("返戻理由（個別）")

    def __str__(self) -> str:
        return f"{self.reason}: {self.field_label or '-'}"


class PackageState(models.TextChoices):
    PENDING = "pending", _("作成待ち")
    BUILDING = "building", _("作成中")
    READY = "ready", _("作成済み")
    FAILED = "failed", _("作成失敗（再実行してください）")
    DELETED = "deleted", _("保存期間経過により削除")


class ReturnPackage(models.Model):
    """One version of the return documents of a message."""

    message = models.ForeignKey(
        ReturnMessage, verbose_name=_("メッセージ"), on_delete=models.CASCADE,
        related_name="packages",
    )  # fmt: skip
    version = models.PositiveSmallIntegerField(_("版"), default=1)
    state = models.CharField(
        _("状態"), max_length=10, choices=PackageState.choices, default=PackageState.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("作成回数"), default=0)
    error = models.TextField(_("エラー"), blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("作成を依頼した職員"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("登録日時"), auto_now_add=True)
    claimed_at = models.DateTimeField(_("作成開始"), null=True, blank=True)
    built_at = models.DateTimeField(_("作成完了"), null=True, blank=True)
    deleted_at = models.DateTimeField(_("削除日時"), null=True, blank=True)

    class Meta:
        verbose_name = _("返戻書類")
        verbose_name_plural = _("返戻書類")
        constraints = [
            models.UniqueConstraint(
                fields=["message", "version"], name="returnpackage_unique_version"
            ),
        ]
        indexes = [
            # The sweep: packages left pending or building.
            models.Index(
                fields=["state", "created_at"],
                condition=Q(state__in=["pending", "building"]),
                name="returnpackage_open",
            ),
            models.Index(fields=["built_at"], name="returnpackage_built"),
        ]

    def __str__(self) -> str:
        return f"{self.message_id} 第{self.version}版 ({self.get_state_display()})"


class FileKind(models.TextChoices):
    NOTICE = "notice", _("返戻理由のお知らせ")
    FORM_IMAGE = "form_image", _("申請書の画像")
    ATTACHMENT = "attachment", _("添付書類")
    RESUBMISSION = "resubmission", _("再申請用ファイル")


class ReturnFile(models.Model):
    """One file of a package, in private storage; served only through signed links."""

    package = models.ForeignKey(ReturnPackage, on_delete=models.CASCADE, related_name="files")
    kind = models.CharField(_("種類"), max_length=12, choices=FileKind.choices)
    title = models.CharField(_("表示名"), max_length=120)
    filename = models.CharField(_("ファイル名"), max_length=120)
    file = models.FileField(_("ファイル"), upload_to="returns/%Y/%m/", max_length=200)
    content_type = models.CharField(max_length=60)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("返戻書類のファイル")
        verbose_name_plural = _("返戻書類のファイル")
        constraints = [
            models.UniqueConstraint(fields=["package", "filename"], name="returnfile_unique_name"),
        ]

    def __str__(self) -> str:
        return self.filename
