"""Admin: the dashboard pages (through the Dashboard link on the admin index), usage figures
and KPI targets. Targets and imports are headquarters work; branch staff may read them."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.urls import path

from myna import views
from myna.models import Dashboard, KpiTarget, UsageFigure


def _staff(request: HttpRequest) -> bool:
    return bool(request.user.is_active and request.user.is_staff)


def _hq(request: HttpRequest) -> bool:
    return _staff(request) and bool(getattr(request.user, "is_headquarters", False))


@admin.register(Dashboard)
class DashboardAdmin(admin.ModelAdmin):
    """Its change list is the national page; the other pages hang under it."""

    def has_module_permission(self, request: HttpRequest) -> bool:
        return _staff(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _staff(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        return views.national(request)

    def get_urls(self) -> list:
        wrap = self.admin_site.admin_view
        return [
            path(
                "download/<slug:key>.<slug:fmt>",
                wrap(views.download),
                name="myna_download",
            ),
            path("branch/<int:code>/", wrap(views.branch), name="myna_branch"),
            path(
                "branch/<int:code>/download/<slug:key>.<slug:fmt>",
                wrap(views.download),
                name="myna_branch_download",
            ),
            path(
                "branch/<int:code>/certificate-preview/",
                wrap(views.certificate_preview),
                name="myna_certificate_preview",
            ),
            path("usage-import/", wrap(views.usage_import), name="myna_usage_import"),
            path("", wrap(self.changelist_view), name="myna_dashboard_changelist"),
        ]


@admin.register(UsageFigure)
class UsageFigureAdmin(admin.ModelAdmin):
    list_display = ("month", "scope", "branch", "myna_uses", "online_checks", "rate")
    list_filter = ("scope", "month")
    list_select_related = ("branch",)
    change_list_template = "admin/myna/usagefigure/change_list.html"

    @admin.display(description="利用率（%）")
    def rate(self, obj: UsageFigure) -> str:
        if not obj.online_checks:
            return "－"
        return f"{obj.myna_uses * 100 / obj.online_checks:.2f}"

    def has_module_permission(self, request: HttpRequest) -> bool:
        return _staff(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _staff(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # through the CSV import

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _hq(request) and super().has_delete_permission(request, obj)


@admin.register(KpiTarget)
class KpiTargetAdmin(admin.ModelAdmin):
    list_display = ("month", "metric", "branch", "rate", "note")
    list_filter = ("metric", "branch")

    def has_module_permission(self, request: HttpRequest) -> bool:
        return _staff(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _staff(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return _hq(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _hq(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _hq(request)
