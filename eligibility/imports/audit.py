"""Audit events of an import: one for the job, one per changed record (field → [old, new]).

Per-record events are written in one INSERT per batch. They carry exactly what
:func:`core.audit.record_event` writes (actor, action, object, branch, changes), plus the
job id under ``import_job`` in ``changes``; unchanged and new rows get none (the job's own
event counts them).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from core.audit import record_event
from core.models import AuditEvent


@dataclass(frozen=True)
class RecordChange:
    object_type: str
    object_id: int
    branch_id: int | None
    changes: dict[str, list[Any]]


def record_changes(changes: list[RecordChange], *, actor: Any, job_id: int | None) -> None:
    if not changes:
        return
    user = actor if getattr(actor, "is_authenticated", False) else None
    AuditEvent.objects.bulk_create(
        [
            AuditEvent(
                actor=user,
                action=AuditEvent.Action.UPDATE,
                object_type=change.object_type,
                object_id=str(change.object_id),
                branch_id=change.branch_id,
                changes={**change.changes, "import_job": job_id},
            )
            for change in changes
        ]
    )


def record_job(job: Any, *, actor: Any, request: Any = None) -> None:
    """The job's event: who imported which kind of file, in which mode, with what counts."""
    record_event(
        actor=actor,
        action=AuditEvent.Action.IMPORT,
        obj=job,
        changes={
            "kind": job.kind,
            "mode": job.mode,
            "status": job.status,
            "file": job.original_name,
            "total": job.total_rows,
            "created": job.created_count,
            "updated": job.updated_count,
            "unchanged": job.unchanged_count,
            "errors": job.error_count,
        },
        request=request,
    )
