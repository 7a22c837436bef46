"""Template filters of the dashboard: figures as people read them (1,234; －)."""

from __future__ import annotations

from decimal import Decimal

from django import template

register = template.Library()


@register.filter
def figure(value: object) -> str:
    """Integers with thousands separators, rates as given, a dash for no value."""
    if value is None:
        return "－"
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, Decimal):
        return f"{value:,}"
    return str(value)
