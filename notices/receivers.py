"""What the notices take from other parts: a completed 交付申請書 (資格確認書 or お知らせ)
queues the single reissue for its member (by id, on the worker)."""

from __future__ import annotations

from typing import Any

from notices.batches.services import REISSUE_FORMS


def on_application_completed(sender: Any, application_id: int, **kwargs: Any) -> None:
    from applications.models import Application
    from notices.tasks import reissue

    form_code = Application.objects.filter(pk=application_id).values_list("form_code", flat=True)
    if form_code and form_code[0] in REISSUE_FORMS:
        reissue.delay(application_id)
