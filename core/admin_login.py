"""The admin's login form: says when an account is locked, and until when.

The lock-out itself (counting failures, `locked_until`) belongs to core.auth; this form only
reads `User.locked_until` after a refused login. A locked account gets the lock message
whatever password was typed (the password is not checked while locked, so the message is no
password oracle); otherwise the message never says whether the ID or the password was wrong.
"""

from __future__ import annotations

from typing import Any

from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _


def lock_message(locked_until: Any) -> str:
    """「…HH:MM（Japan time）までロックされています…」 for a lock ending at ``locked_until``."""
    local = timezone.localtime(locked_until)
    today = timezone.localdate()
    when = f"{local:%H:%M}"
    if local.date() != today:
        when = f"{local.month}月{local.day}日 {when}"
    return _(
        "ログインの失敗が続いたため、このアカウントは %(when)s までロックされています。"
        "その後にもう一度ログインしてください。急ぐ場合は管理者に解除を依頼してください。"
    ) % {"when": when}


class LockoutAwareAdminAuthenticationForm(AdminAuthenticationForm):
    def clean(self) -> dict[str, Any]:
        try:
            return super().clean()
        except ValidationError:
            username = self.cleaned_data.get("username")
            if username:
                user = (
                    get_user_model()
                    ._default_manager.filter(username=username)
                    .only("locked_until")
                    .first()
                )
                if user is not None and user.locked_until and user.locked_until > timezone.now():
                    raise ValidationError(lock_message(user.locked_until), code="locked") from None
            raise
