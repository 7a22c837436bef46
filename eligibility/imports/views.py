"""Download of an import's error report: headquarters only, every download audit-logged."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest
from django.shortcuts import get_object_or_404

from core.audit import record_event
from core.models import AuditEvent
from eligibility.models import ImportJob


def can_use_imports(user: object) -> bool:
    """Imports are headquarters work (本部): the import admin and its reports."""
    return bool(
        getattr(user, "is_authenticated", False)
        and getattr(user, "is_staff", False)
        and getattr(user, "is_headquarters", False)
    )


def download_report(request: HttpRequest, job_id: int) -> FileResponse:
    if not can_use_imports(request.user):
        raise PermissionDenied("取込のエラーレポートは本部の職員のみ利用できます。")
    job = get_object_or_404(ImportJob, pk=job_id)
    if not job.error_report:
        raise Http404("この取込にはエラーレポートがありません。")
    record_event(
        actor=request.user,
        action=AuditEvent.Action.DOWNLOAD,
        obj=job,
        changes={"file": "error_report", "errors": job.error_count},
        request=request,
    )
    return FileResponse(
        job.error_report.open("rb"),
        as_attachment=True,
        filename=f"取込エラー_{job.pk}.csv",
        content_type="text/csv; charset=utf-8",
    )
