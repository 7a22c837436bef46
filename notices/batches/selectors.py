"""Reads of the mailing batches: the batches an actor may see, and a batch's progress
(planned, rendered, failed, skipped, per branch) from its item rows."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, QuerySet

from core.scoping import branch_scope
from notices.batches.models import MailingBatch, MailingItem


def batches_for(actor: Any) -> QuerySet[MailingBatch]:
    """Headquarters sees every batch; a branch's staff their branch's (not the all-branch
    batches, which hold other branches' members)."""
    return branch_scope(MailingBatch.objects.all(), actor)


@dataclass(slots=True)
class Counts:
    planned: int = 0
    pending: int = 0
    rendered: int = 0
    failed: int = 0
    skipped: int = 0
    returned: int = 0

    @property
    def finished(self) -> int:
        return self.rendered + self.failed + self.skipped + self.returned

    @property
    def percent(self) -> int:
        return 100 if not self.planned else self.finished * 100 // self.planned


@dataclass(slots=True)
class Progress:
    total: Counts
    by_branch: dict[int, Counts] = field(default_factory=dict)


def progress(batch: MailingBatch, *, branch_id: int | None = None) -> Progress:
    """Counts of the batch's items by state, overall and per branch (one GROUP BY)."""
    items = MailingItem.objects.filter(batch=batch)
    if branch_id is not None:
        items = items.filter(branch_id=branch_id)
    rows = items.values("branch_id", "state").annotate(n=Count("id")).order_by("branch_id")
    total: Counts = Counts()
    by_branch: dict[int, Counts] = {}
    for row in rows:
        counts = by_branch.setdefault(row["branch_id"], Counts())
        for target in (counts, total):
            setattr(target, row["state"], getattr(target, row["state"]) + row["n"])
            target.planned += row["n"]
    return Progress(total=total, by_branch=by_branch)
