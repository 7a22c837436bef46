"""Rate limits on every password and member sign-in: per account and per client address.

Counted in Django's cache (Redis in production, so every web process shares the counts)
with django-ratelimit's fixed windows (atomic ``cache.add``/``cache.incr``). The rates are
settings (``LOGIN_RATE_PER_ACCOUNT``, ``LOGIN_RATE_PER_ADDRESS``, e.g. ``"10/5m"``; empty
turns one off). Views answer a limited attempt with :func:`too_many_attempts_message`, status
429 and ``Retry-After``, the same for every sign-in path and without saying which limit, so
it tells nothing about the account.
"""

from __future__ import annotations

import ipaddress
import logging
import math

from django.conf import settings
from django.http import HttpRequest
from django_ratelimit.core import get_usage

from core.audit import client_ip

logger = logging.getLogger(__name__)

#: One budget shared by all sign-in paths (token, admin, member), so that trying each of
#: them does not multiply an attacker's attempts.
GROUP = "core.sign-in"


def address_key(request: HttpRequest) -> str:
    """The client's address; IPv6 by its /64 network (one subscriber's whole block)."""
    raw = client_ip(request) or ""
    try:
        address = ipaddress.ip_address(raw)
    except ValueError:
        return raw
    if address.version == 6:
        return str(ipaddress.ip_network(f"{address}/64", strict=False).network_address)
    return str(address)


def account_key(account: object) -> str:
    """The account name as typed, case-folded (so ``Admin`` and ``admin`` share a count)."""
    return str(account).strip().casefold()


def sign_in_wait(request: HttpRequest, *, account: object | None) -> int | None:
    """Count one sign-in attempt against the client's address and (if named) the account.

    Returns the seconds to wait (for ``Retry-After``) if either is over its limit, else None.
    If the cache cannot be reached, the attempt is allowed and the error logged
    (``LOGIN_RATE_FAIL_OPEN``, default on): the database lock-out still bounds guessing.
    """
    checks = [("address", address_key(request), settings.LOGIN_RATE_PER_ADDRESS)]
    if account not in (None, ""):
        checks.append(("account", account_key(account), settings.LOGIN_RATE_PER_ACCOUNT))
    waits = []
    for kind, value, rate in checks:
        if not rate:
            continue
        try:
            usage = get_usage(
                request,
                group=f"{GROUP}.{kind}",
                key=lambda _group, _request, value=value: value,
                rate=rate,
                increment=True,
            )
        except Exception:
            if not settings.LOGIN_RATE_FAIL_OPEN:
                raise
            logger.exception("sign-in rate limit not checked: cache unavailable")
            continue
        if usage is not None and usage["should_limit"]:
            waits.append(max(int(usage["time_left"]), 1))
    return max(waits) if waits else None


def too_many_attempts_message(wait_seconds: int) -> str:
    minutes = max(math.ceil(wait_seconds / 60), 1)
    return (
        f"ログインの試行回数が上限に達しました。{minutes}分ほど待ってから、もう一度お試しください。"
    )
