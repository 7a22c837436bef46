"""Alerts for headquarters on the admin's index (a broken reference found by the nightly
check, eligibility.integrity)."""

from __future__ import annotations

from typing import Any

from django import template
from django.urls import reverse

from eligibility.integrity import LABELS, latest_broken_check

register = template.Library()


@register.inclusion_tag("admin/eligibility/reference_alert.html", takes_context=True)
def reference_alert(context: dict[str, Any]) -> dict[str, Any]:
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_staff or not getattr(user, "is_headquarters", False):
        return {"check": None}
    check = latest_broken_check()
    if check is None:
        return {"check": None}
    parts = [f"{LABELS.get(k, k)} {n:,}件" for k, n in check.broken.items() if n]
    return {
        "check": check,
        "parts": "、".join(parts),
        "url": reverse("admin:eligibility_referencecheck_changelist"),
    }
