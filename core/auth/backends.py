"""Authentication backends.

- Password sign-in (staff, 社会保険労務士) with lock-out after repeated failures.
- Members sign in through the external identity provider (the My Number card). The provider
  hands back a signed assertion naming the member's account; this backend verifies it.
  In development, `core.views.dev_member_signin` signs such an assertion for demo members.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.core import signing
from django.http import HttpRequest

from core.auth.lockout import register_failed_login, register_successful_login

MEMBER_ASSERTION_SALT = "core.auth.member-idp"


class LockoutModelBackend(ModelBackend):
    """Username and password; locked for a while after LOGIN_MAX_FAILURES failures in a row.

    Members have no password sign-in: they use the identity provider.
    """

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> Any:
        user_model = get_user_model()
        if username is None:
            username = kwargs.get(user_model.USERNAME_FIELD)
        if username is None or password is None:
            return None
        try:
            user = user_model._default_manager.get_by_natural_key(username)
        except user_model.DoesNotExist:
            user = None
        if user is None or user.is_member or user.is_locked():
            # The same cost as a real check, so timing tells nothing about the account.
            user_model().set_password(password)
            return None
        if not user.check_password(password):
            register_failed_login(user_id=user.pk)
            return None
        if not self.user_can_authenticate(user):
            return None
        # Locked meanwhile by concurrent failures: refused, and the lock stays.
        if not register_successful_login(user_id=user.pk):
            return None
        user.failed_login_count, user.locked_until = 0, None
        return user


def sign_member_assertion(user_id: int) -> str:
    """What the identity provider returns after the card check (and the dev sign-in)."""
    return signing.dumps(
        {"sub": user_id}, key=settings.MEMBER_IDP_SHARED_SECRET, salt=MEMBER_ASSERTION_SALT
    )


class MemberIdentityBackend(ModelBackend):
    """Members: a signed, short-lived assertion from the identity provider, no password."""

    # Django passes credentials by keyword only, so taking member_assertion where
    # ModelBackend takes username is safe; the stubs only see the position.
    def authenticate(  # type: ignore[override]
        self, request: HttpRequest | None, member_assertion: str | None = None, **kwargs: Any
    ) -> Any:
        if not member_assertion or not settings.MEMBER_IDP_SHARED_SECRET:
            return None
        try:
            payload = signing.loads(
                member_assertion,
                key=settings.MEMBER_IDP_SHARED_SECRET,
                salt=MEMBER_ASSERTION_SALT,
                max_age=settings.MEMBER_IDP_MAX_AGE_SECONDS,
            )
        except signing.BadSignature:
            return None
        user_model = get_user_model()
        user = user_model._default_manager.filter(pk=payload.get("sub")).first()
        if user is None or not user.is_member or not self.user_can_authenticate(user):
            return None
        return user
