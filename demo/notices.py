"""Demo data of the mailings: one 資格確認書 batch for 東京支部 (members without a マイナ保険証
on yesterday's date), defined and launched by the demo 発送担当 through the same services as
the admin. Its chunks are queued: `scripts/run.sh`'s worker renders them, so the admin shows
a batch with its progress, its files and its manifest. Idempotent: no second batch.
"""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.utils import timezone

from core.models import Branch
from notices.batches import services
from notices.batches.models import Kind, MailingBatch

#: The branch of the demo batch (東京).
DEMO_BRANCH_CODE = 13


def launch_demo_batch() -> MailingBatch | None:
    """The demo batch, launched; None if one exists already or the demo has no 東京支部."""
    if MailingBatch.objects.exists():
        return None
    branch = Branch.objects.filter(code=DEMO_BRANCH_CODE).first()
    operator = get_user_model().objects.filter(username="operator").first()
    if branch is None or operator is None:
        return None
    batch = services.define_batch(
        actor=operator,
        kind=Kind.CERTIFICATE_CUTOFF,
        as_of=timezone.localdate() - timedelta(days=1),
        include_requested=True,
        branch_id=branch.pk,
    )
    return services.launch(batch.pk, actor=operator)
