"""The association's 47 prefecture branches (支部)."""

from django.db import models
from django.utils.translation import gettext_lazy as _

ASSOCIATION_NAME = "全国健康保険協会"


class Branch(models.Model):
    """One branch per prefecture. `code` is the JIS X 0401 prefecture code (1–47)."""

    code = models.PositiveSmallIntegerField(_("都道府県コード"), unique=True)
    prefecture = models.CharField(_("都道府県"), max_length=8)
    name = models.CharField(_("支部名"), max_length=16, help_text=_("例: 東京支部"))
    insurer_number = models.CharField(_("保険者番号"), max_length=8, unique=True)
    postal_code = models.CharField(_("郵便番号"), max_length=7, blank=True)
    address = models.CharField(_("所在地"), max_length=200, blank=True)
    phone = models.CharField(_("電話番号"), max_length=20, blank=True)
    contact_lines = models.TextField(
        _("文書に印字する問い合わせ先"),
        blank=True,
        help_text=_("お知らせ・資格確認書に印字する問い合わせ先（複数行）。"),
    )

    class Meta:
        ordering = ["code"]
        verbose_name = _("支部")
        verbose_name_plural = _("支部")

    def __str__(self) -> str:
        return self.name

    @property
    def insurer_name(self) -> str:
        """保険者名称 as printed on documents: 全国健康保険協会 東京支部."""
        return f"{ASSOCIATION_NAME} {self.name}"

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        from core.jp.checkdigits import validate_insurer_number
        from core.jp.errors import JapaneseValueError

        try:
            self.insurer_number = validate_insurer_number(self.insurer_number)
        except JapaneseValueError as exc:
            raise ValidationError({"insurer_number": exc.message}) from exc
