"""Admin of the CSV imports (本部のみ): upload a file to start one, follow its progress,
download its error report. Loaded from eligibility.admin."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from eligibility.imports import service, views
from eligibility.models import ImportJob

ALLOWED_SUFFIXES = (".csv", ".txt")


class ImportJobForm(forms.ModelForm):
    class Meta:
        model = ImportJob
        fields = ["kind", "mode", "file"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Only the add page has the field: a job's page shows it read-only, without the file
        # (deleted when the job ends).
        if "file" in self.fields:
            self.fields["file"].required = True
            self.fields["file"].help_text = _(
                "UTF-8 または Shift_JIS（CP932）の CSV。1行目は見出し行です。"
            )

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload and not str(upload.name).lower().endswith(ALLOWED_SUFFIXES):
            raise forms.ValidationError(_("CSVファイル（.csv）を選択してください。"))
        return upload


@admin.register(ImportJob)
class ImportJobAdmin(admin.ModelAdmin):
    form = ImportJobForm
    list_display = [
        "id",
        "kind",
        "mode",
        "status",
        "progress",
        "created_count",
        "updated_count",
        "unchanged_count",
        "error_rows",
        "original_name",
        "started_by",
        "created_at",
        "report_link",
    ]
    list_filter = ["kind", "status", "mode"]
    list_select_related = ["started_by"]
    readonly_fields = [
        "kind",
        "mode",
        "status",
        "progress",
        "original_name",
        "encoding",
        "total_rows",
        "processed_rows",
        "created_count",
        "updated_count",
        "unchanged_count",
        "error_count",
        "error_rows",
        "report_link",
        "message",
        "started_by",
        "created_at",
        "started_at",
        "heartbeat",
        "attempts",
        "finished_at",
    ]

    # --- who may do what: headquarters only ------------------------------------------
    def has_module_permission(self, request: HttpRequest) -> bool:
        return views.can_use_imports(request.user) and super().has_module_permission(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return views.can_use_imports(request.user) and super().has_view_permission(request, obj)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return views.can_use_imports(request.user) and super().has_add_permission(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    # --- pages -------------------------------------------------------------------------
    def get_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        if obj is None:
            return ["kind", "mode", "file"]
        return list(self.readonly_fields)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [] if obj is None else list(self.readonly_fields)

    def save_model(self, request: HttpRequest, obj: ImportJob, form: Any, change: bool) -> None:
        if change:
            return
        service.submit_job(
            kind=obj.kind,
            mode=obj.mode,
            upload=form.cleaned_data["file"],
            user=request.user,
            job=obj,
        )

    def get_urls(self) -> list:
        report = path(
            "<int:job_id>/report/",
            self.admin_site.admin_view(views.download_report),
            name="eligibility_importjob_report",
        )
        return [report, *super().get_urls()]

    # --- columns -----------------------------------------------------------------------
    @admin.display(description=_("進捗"))
    def progress(self, obj: ImportJob) -> str:
        return f"{obj.processed_rows:,} / {obj.total_rows:,}（{obj.progress_percent}%）"

    @admin.display(description=_("エラーレポート"))
    def report_link(self, obj: ImportJob) -> str:
        if not obj.error_report:
            return "－"
        url = reverse("admin:eligibility_importjob_report", args=[obj.pk])
        return format_html('<a href="{}">ダウンロード（{}件）</a>', url, f"{obj.error_count:,}")
