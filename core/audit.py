"""Recording audit events. Call these from services and views, never write AuditEvent directly."""

from __future__ import annotations

import ipaddress
from typing import Any

from django.conf import settings
from django.db import models
from django.http import HttpRequest

from core.models import AuditEvent


def client_ip(request: HttpRequest | None) -> str | None:
    """The client's address, for the audit log and the sign-in rate limit.

    Behind TRUSTED_PROXY_COUNT reverse proxies, each appending the address it saw to
    X-Forwarded-For, it is that many entries from the right (entries further left are what
    the client itself sent, and may be forged). Without proxies: REMOTE_ADDR.
    """
    if request is None:
        return None
    hops = settings.TRUSTED_PROXY_COUNT
    if hops > 0:
        forwarded = [
            part.strip()
            for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
            if part.strip()
        ]
        if len(forwarded) >= hops:
            try:
                return str(ipaddress.ip_address(forwarded[-hops]))
            except ValueError:
                pass
    return request.META.get("REMOTE_ADDR") or None


def record_event(
    *,
    actor: Any,
    action: str,
    obj: models.Model | None = None,
    object_type: str | None = None,
    object_id: str | int | None = None,
    branch_id: int | None = None,
    changes: dict | None = None,
    request: HttpRequest | None = None,
) -> AuditEvent:
    """Write one audit row. `obj` fills type, id and branch (when it has `branch_id`)."""
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = obj.pk if object_id is None else object_id
        if branch_id is None:
            branch_id = getattr(obj, "branch_id", None)
    user = actor if getattr(actor, "is_authenticated", False) else None
    return AuditEvent.objects.create(
        actor=user,
        action=action,
        object_type=object_type or "",
        object_id="" if object_id is None else str(object_id),
        branch_id=branch_id,
        changes=changes or {},
        ip_address=client_ip(request),
    )


def model_changes(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    """Field → [old, new] for the fields whose value differs (values made JSON-safe)."""
    diff: dict[str, list[Any]] = {}
    for key in sorted(set(before) | set(after)):
        old, new = before.get(key), after.get(key)
        if old != new:
            diff[key] = [_jsonable(old), _jsonable(new)]
    return diff


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)
