"""Taking a chunk of work for one worker: a conditional update from pending, or from
running when its worker stopped reporting (no heartbeat for ``NOTICE_CHUNK_LEASE``).

One rule for the rendering chunks (``MailingChunk``) and the output chunks
(``OutputChunk``), which share their states and their claim, heartbeat and attempts fields.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from notices.batches.models import MailingChunk

State = MailingChunk.State


def take(chunks: QuerySet[Any], *, now: Any = None) -> str | None:
    """Claim the chunk ``chunks`` selects (one row, with its batch's condition); the new
    claim token, or None when another worker holds it."""
    now = now or timezone.now()
    token = uuid.uuid4().hex
    stale = now - timedelta(seconds=settings.NOTICE_CHUNK_LEASE)
    taken = chunks.filter(
        Q(state=State.PENDING) | Q(state=State.RUNNING, heartbeat__lt=stale)
    ).update(state=State.RUNNING, claim=token, heartbeat=now, attempts=F("attempts") + 1)
    return token if taken else None
