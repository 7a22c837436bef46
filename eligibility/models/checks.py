"""The result of each whole-table check of the references the database does not enforce."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class ReferenceCheck(models.Model):
    """One run of :func:`eligibility.integrity.record_reference_check` (nightly, or by
    hand): per reference, how many records refer to a row that does not exist."""

    checked_at = models.DateTimeField(_("検査日時"), auto_now_add=True, db_index=True)
    broken = models.JSONField(_("参照先のない資格情報（参照ごとの件数）"), default=dict)
    broken_total = models.PositiveBigIntegerField(_("参照先のない資格情報（延べ件数）"), default=0)

    class Meta:
        ordering = ["-checked_at"]
        verbose_name = _("参照の検査")
        verbose_name_plural = _("参照の検査")

    def __str__(self) -> str:
        state = "異常なし" if not self.broken_total else f"{self.broken_total:,}件の不整合"
        return f"参照の検査 {self.checked_at:%Y-%m-%d %H:%M}（{state}）"
