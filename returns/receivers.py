"""Hooks into the applications part: a return made without reasons still gets its message
and package (the plain status form, the demo). Receivers only call a service."""

from __future__ import annotations

from typing import Any

from returns import services


def on_application_returned(
    sender: Any, *, application_id: int, actor_id: int | None, **kwargs: Any
) -> None:
    services.ensure_message(application_id=application_id, actor_id=actor_id)
