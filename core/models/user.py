"""Accounts: staff (branch or headquarters), members, labour-and-social-security attorneys."""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.jp.names import full_name


class User(AbstractUser):
    class Kind(models.TextChoices):
        STAFF = "staff", _("職員")
        MEMBER = "member", _("加入者")
        ATTORNEY = "attorney", _("社会保険労務士")

    kind = models.CharField(
        _("利用者区分"), max_length=10, choices=Kind.choices, default=Kind.STAFF
    )
    branch = models.ForeignKey(
        "core.Branch",
        verbose_name=_("所属支部"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="users",
        help_text=_("職員の所属支部。空欄は本部（全支部を閲覧可）。"),
    )
    attorney_registration_number = models.CharField(
        _("社会保険労務士登録番号"), max_length=16, blank=True
    )
    failed_login_count = models.PositiveSmallIntegerField(_("連続ログイン失敗回数"), default=0)
    locked_until = models.DateTimeField(_("ロック解除日時"), null=True, blank=True)

    class Meta(AbstractUser.Meta):
        # django-stubs types AbstractUser.Meta's names as str; Django takes lazy strings.
        verbose_name = _("利用者")  # type: ignore[assignment]
        verbose_name_plural = _("利用者")  # type: ignore[assignment]

    def __str__(self) -> str:
        """「石川 蓮（ishikawa）」: the name for people, the username to tell namesakes apart."""
        name = self.get_full_name()
        return f"{name}（{self.username}）" if name else self.username

    def get_full_name(self) -> str:
        """氏名, family name first (「石川 蓮」), not Django's given-name-first default."""
        return full_name(self.last_name, self.first_name)

    def get_short_name(self) -> str:
        """What the admin greets with: the full name in Japanese order, else the username."""
        return self.get_full_name() or self.username

    @property
    def is_headquarters(self) -> bool:
        """Headquarters (本部) staff see every branch; so do superusers."""
        if self.is_superuser:
            return True
        return self.kind == self.Kind.STAFF and self.is_staff and self.branch_id is None

    @property
    def is_member(self) -> bool:
        return self.kind == self.Kind.MEMBER

    @property
    def is_attorney(self) -> bool:
        return self.kind == self.Kind.ATTORNEY

    def is_locked(self, now: datetime | None = None) -> bool:
        now = now or timezone.now()
        return self.locked_until is not None and self.locked_until > now
