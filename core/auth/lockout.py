"""Counting failed password sign-ins and locking the account, safe under concurrent requests.

Each write is one conditional UPDATE computed by the database from the row's current values
(F expressions), never a save() of a copy read earlier: twenty wrong passwords sent at once
count twenty, and a request that read the row before a lock cannot clear that lock.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Case, F, Q, Value, When
from django.utils import timezone


def register_failed_login(*, user_id: int, now: datetime | None = None) -> None:
    """Count one failure; the LOGIN_MAX_FAILURES-th in a row locks the account for
    LOGIN_LOCKOUT_MINUTES and starts the count again (a lock in force is kept)."""
    now = now or timezone.now()
    reaches_limit = Q(failed_login_count__gte=settings.LOGIN_MAX_FAILURES - 1)
    get_user_model()._default_manager.filter(pk=user_id).update(
        failed_login_count=Case(
            When(reaches_limit, then=Value(0)), default=F("failed_login_count") + 1
        ),
        locked_until=Case(
            When(
                reaches_limit,
                then=Value(now + timedelta(minutes=settings.LOGIN_LOCKOUT_MINUTES)),
            ),
            default=F("locked_until"),
        ),
    )


def register_successful_login(*, user_id: int, now: datetime | None = None) -> bool:
    """Reset the count after the right password, unless the account is locked by now.

    False if a lock was set meanwhile (by concurrent failures): the sign-in must then be
    refused, and the lock stays.
    """
    now = now or timezone.now()
    not_locked = Q(locked_until__isnull=True) | Q(locked_until__lte=now)
    users = get_user_model()._default_manager.filter(not_locked, pk=user_id)
    return users.update(failed_login_count=0, locked_until=None) == 1
