"""Keyed hashing of personal identifiers (My Number). The full number is never stored."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from core.jp.checkdigits import validate_my_number


@dataclass(frozen=True)
class ProtectedMyNumber:
    last4: str
    digest: str


def keyed_hash(value: str) -> str:
    key = settings.PERSONAL_ID_HMAC_KEY
    if not key:
        raise ImproperlyConfigured("PERSONAL_ID_HMAC_KEY is not set.")
    # hmac.digest: the one-shot C path (about 4x cheaper than hmac.new(); imports hash a
    # number per row).
    return hmac.digest(key.encode(), value.encode(), hashlib.sha256).hex()


def protect_my_number(raw: str) -> ProtectedMyNumber:
    """Validate (check digit) and reduce a My Number to its last four digits and keyed hash."""
    number = validate_my_number(raw)
    return ProtectedMyNumber(last4=number[-4:], digest=keyed_hash(number))


def masked(last4: str) -> str:
    """How the number may be shown: only its last four digits."""
    return f"********{last4}" if last4 else ""
