"""Signals other parts of the system hook into (sent by the application services).

``application_returned``: an application was returned (返戻) and the change is committed.
Sent on commit by :func:`applications.services.review.application_change_status` with
``sender=Application`` and keyword arguments ``application_id`` (int) and ``actor_id``
(int | None). Receivers should only enqueue work (e.g. the return package), by id.
"""

from __future__ import annotations

from django.dispatch import Signal

application_returned = Signal()

#: An application reached 審査完了; sent on commit like ``application_returned``, with
#: ``application_id`` and ``actor_id`` (e.g. the single reissue of a 資格確認書).
application_completed = Signal()
