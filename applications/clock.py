"""The current time as filing sees it: one function, so tests and benchmarks can pin it.

Patch ``applications.clock.now`` (not ``django.utils.timezone.now``) to move filing in time;
call it as ``clock.now()`` so a patch takes effect.
"""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone


def now() -> datetime:
    """The current moment (aware, UTC)."""
    return timezone.now()
