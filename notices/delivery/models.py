"""Returned mail: one row per returned attempt (an item), with the post office's reason."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models.functions import Now
from django.utils.translation import gettext_lazy as _


class ReturnReason(models.TextChoices):
    NO_SUCH_ADDRESS = "no_address", _("あて所に尋ねあたりません")
    MOVED_UNKNOWN = "moved", _("転居先不明")
    REFUSED = "refused", _("受取拒絶")
    UNCLAIMED = "unclaimed", _("保管期間経過")
    OTHER = "other", _("その他")


class ReturnedMail(models.Model):
    item = models.OneToOneField(
        "notices.MailingItem",
        verbose_name=_("発送物"),
        on_delete=models.PROTECT,
        related_name="returned",
    )
    reason = models.CharField(_("返戻理由"), max_length=12, choices=ReturnReason.choices)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField(_("登録日時"), auto_now_add=True, db_default=Now())
    resent_in = models.ForeignKey(
        "notices.MailingBatch",
        verbose_name=_("再送バッチ"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("返戻郵便")
        verbose_name_plural = _("返戻郵便")

    def __str__(self) -> str:
        return f"{self.item} {self.get_reason_display()}"
