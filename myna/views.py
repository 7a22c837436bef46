"""The dashboard pages, in the admin's look (served through myna.admin.DashboardAdmin).

Thin: each view asks myna.pages for its sections and renders or exports them. A refusal
from the selectors (another branch) is answered with 403/404 and a Japanese message.
"""

from __future__ import annotations

import csv
from datetime import date
from typing import Any
from urllib.parse import quote

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse

from core.audit import record_event
from core.errors import NotFound, ServiceError
from core.models import AuditEvent, Branch
from myna import pages
from myna.exports import to_csv, to_xlsx
from myna.forms import UsageImportForm
from myna.imports import import_usage

FORMATS = {
    "csv": ("text/csv; charset=utf-8", to_csv),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", to_xlsx),
}


def _as_of(request: HttpRequest) -> date | None:
    """?as_of=2025-08-31 (a date the summary holds); anything else means the latest."""
    try:
        return date.fromisoformat(request.GET.get("as_of", ""))
    except ValueError:
        return None


def _page(request: HttpRequest, code: int | None) -> pages.Page:
    as_of = _as_of(request)
    try:
        if code is None:
            return pages.national_page(actor=request.user, as_of=as_of)
        return pages.branch_page(actor=request.user, code=code, as_of=as_of)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    except ServiceError as exc:
        raise PermissionDenied(exc.message) from exc


def _context(request: HttpRequest, **extra: Any) -> dict[str, Any]:
    return {**admin.site.each_context(request), **extra}


def national(request: HttpRequest) -> TemplateResponse:
    page = _page(request, None)
    user = request.user
    own = None if user.is_headquarters else user.branch  # type: ignore[union-attr]
    return TemplateResponse(
        request,
        "admin/myna/dashboard.html",
        _context(
            request,
            title=page.title,
            page=page,
            own_branch=own,
            national=True,
            branches=Branch.objects.order_by("code") if user.is_headquarters else [],
        ),
    )


def branch(request: HttpRequest, code: int) -> TemplateResponse:
    page = _page(request, code)
    return TemplateResponse(
        request,
        "admin/myna/dashboard.html",
        _context(request, title=page.title, page=page, national=False),
    )


def download(request: HttpRequest, key: str, fmt: str, code: int | None = None) -> HttpResponse:
    if fmt not in FORMATS:
        raise Http404("この形式ではダウンロードできません。")
    page = _page(request, code)
    table = page.table(key)
    if table is None:
        raise Http404("この表はありません。")
    content_type, export = FORMATS[fmt]
    record_event(
        actor=request.user,
        action=AuditEvent.Action.EXPORT,
        object_type="myna.dashboard",
        object_id=key,
        branch_id=page.branch.pk if page.branch else None,
        changes={"format": fmt, "as_of": str(page.as_of)},
        request=request,
    )
    where = page.branch.name if page.branch else "全国"
    response = HttpResponse(export(table), content_type=content_type)
    filename = f"マイナ保険証_{where}_{key}_{page.as_of or ''}.{fmt}"
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    return response


def certificate_preview(request: HttpRequest, code: int) -> TemplateResponse:
    try:
        preview = pages.certificate_preview(actor=request.user, code=code)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    except ServiceError as exc:
        raise PermissionDenied(exc.message) from exc
    return TemplateResponse(
        request,
        "admin/myna/certificate_preview.html",
        _context(
            request,
            title=f"資格確認書の送付対象（プレビュー・{preview.branch.name}）",
            preview=preview,
        ),
    )


def usage_import(request: HttpRequest) -> HttpResponse:
    """本部: upload a usage CSV; the result (and the error report's first lines) is shown."""
    if not request.user.is_headquarters:  # type: ignore[union-attr]
        raise PermissionDenied("利用実績の取込は本部の職員だけが行えます。")
    form = UsageImportForm(request.POST or None, request.FILES or None)
    result = None
    report_rows: list[list[str]] = []
    if request.method == "POST" and form.is_valid():
        path = form.save_upload()
        try:
            result = import_usage(path=path, actor=request.user, mode=form.cleaned_data["mode"])
        except ServiceError as exc:
            messages.error(request, exc.message)
        finally:
            path.unlink(missing_ok=True)
        if result is not None:
            if result.report is not None:
                with open(result.report, encoding="utf-8-sig", newline="") as report:
                    report_rows = list(csv.reader(report))[1:]
                result.report.unlink(missing_ok=True)
            if result.written and not result.error_rows:
                messages.success(
                    request,
                    f"取り込みました（新規 {result.created} 件、更新 {result.updated} 件、"
                    f"変更なし {result.unchanged} 件）。",
                )
                return redirect(reverse("admin:myna_dashboard_changelist"))
    return TemplateResponse(
        request,
        "admin/myna/usage_import.html",
        _context(
            request,
            title="利用実績（CSV）の取込",
            form=form,
            result=result,
            report_rows=report_rows,
        ),
    )
