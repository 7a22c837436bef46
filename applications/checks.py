"""System checks of the applications part: the demo's any-hour filing never in production."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Error, Tags, register


@register(Tags.security, deploy=True)
def filing_hours_enforced(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    """`check --deploy` fails while FILING_ANY_HOUR (demo, training) is on."""
    if getattr(settings, "FILING_ANY_HOUR", False):
        return [
            Error(
                "FILING_ANY_HOUR is on: members and attorneys could file outside the service "
                "hours (weekdays 08:00-21:00 JST).",
                hint="Unset the FILING_ANY_HOUR environment variable; it is for demos only.",
                id="applications.E001",
            )
        ]
    return []
