"""Admin of the mailing batches for 発送担当: define, preview, launch, watch (a progress bar),
pause, resume, cancel, retry the failures, download the outputs (audit-logged); the items;
returned mail. Thin: every action calls a service of notices.batches / notices.delivery."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponseRedirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from core.audit import record_event
from core.errors import ServiceError, admin_message
from core.models import AuditEvent, Branch
from core.scoping import BranchScopedAdminMixin
from notices.batches import finishing, selectors, services, tracked
from notices.batches.models import Kind, MailingBatch, MailingItem, Route, TrackedRange
from notices.batches.storage import batch_storage
from notices.delivery import services as delivery
from notices.delivery.models import ReturnedMail, ReturnReason

Status = MailingBatch.Status


class BatchForm(forms.ModelForm):
    class Meta:
        model = MailingBatch
        fields = [
            "kind",
            "as_of",
            "date_from",
            "date_to",
            "include_requested",
            "branch",
            "tracked_first",
            "tracked_last",
        ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "kind" not in self.fields:  # the change page: everything is read-only
            return
        self.fields["kind"].choices = [
            (k.value, k.label)
            for k in Kind
            if k not in (Kind.RESEND, Kind.REISSUE_NOTICE, Kind.REISSUE_CERTIFICATE)
        ]
        self.fields["as_of"].required = False

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        kind = data.get("kind")
        as_of = data.get("as_of")
        if kind == Kind.NOTICE_ACQUIRED:
            as_of = as_of or data.get("date_to")
        if kind == Kind.CERTIFICATE_STANDING:
            as_of = timezone.localdate()
        data["as_of"] = as_of
        errors = services.definition_errors(
            kind=kind or "",
            as_of=as_of,
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
            record_id=None,
            tracked_first=data.get("tracked_first"),
            tracked_last=data.get("tracked_last"),
            today=timezone.localdate(),
        )
        for name, messages_ in errors.items():
            target = name if name in self.fields else None
            for message in messages_:
                self.add_error(target, message)
        return data


def progress_bar(batch: MailingBatch, counts: selectors.Counts | None = None) -> str:
    counts = counts or selectors.progress(batch).total
    return format_html(
        '<progress value="{}" max="{}" style="width:12em"></progress> {}%'
        " （作成 {} ・失敗 {} ・対象外 {} ／ 計画 {}）",
        counts.finished,
        max(counts.planned, 1),
        counts.percent,
        f"{counts.rendered:,}",
        f"{counts.failed:,}",
        f"{counts.skipped:,}",
        f"{counts.planned:,}",
    )


OPERATIONS = {
    "launch": ("開始", {Status.DRAFT}),
    "pause": ("一時停止", {Status.RUNNING}),
    "resume": ("再開", {Status.PAUSED}),
    "cancel": ("取消", {Status.DRAFT, Status.RUNNING, Status.PAUSED}),
    "retry": ("失敗分を再実行", {Status.DONE, Status.RUNNING, Status.PAUSED}),
    "resend": ("返戻分を再送", {Status.DONE}),
}


@admin.register(MailingBatch)
class MailingBatchAdmin(BranchScopedAdminMixin, admin.ModelAdmin):
    form = BatchForm
    list_display = ["id", "kind", "as_of", "branch", "status", "planned", "progress", "created_at"]
    list_filter = ["status", "kind"]
    readonly_fields = [
        "status",
        "planned",
        "operations",
        "preview",
        "progress",
        "progress_by_branch",
        "downloads",
        "launched_at",
        "finished_at",
    ]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> list:
        definition = (None, {"fields": BatchForm.Meta.fields})
        if obj is None:
            return [definition]
        return [
            ("状況", {"fields": ["status", "operations", "progress", "progress_by_branch"]}),
            ("対象者数（開始前の見込み）", {"fields": ["preview"]}),
            ("出力", {"fields": ["downloads"]}),
            definition,
            ("日時", {"fields": ["launched_at", "finished_at"]}),
        ]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        if obj is None:
            return []
        return [*self.readonly_fields, *BatchForm.Meta.fields]

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if change:
            return
        data = form.cleaned_data
        branch = data.get("branch")
        if not request.user.is_headquarters:
            branch = request.user.branch
        batch = services.define_batch(
            actor=request.user,
            kind=data["kind"],
            as_of=data.get("as_of"),
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
            include_requested=data.get("include_requested", True),
            branch_id=branch.pk if branch else None,
            tracked_first=data.get("tracked_first"),
            tracked_last=data.get("tracked_last"),
        )
        obj.pk = batch.pk
        obj.__dict__.update({k: v for k, v in batch.__dict__.items() if not k.startswith("_")})

    def log_addition(self, request: HttpRequest, obj: Any, message: Any) -> Any:
        return None  # define_batch wrote the audit row

    # --- read-only blocks ---------------------------------------------------------------

    @admin.display(description="進捗")
    def progress(self, obj: MailingBatch) -> str:
        if obj.status == Status.DRAFT:
            return "未開始"
        lists = finishing.list_progress(obj)
        if not lists.employers:
            return progress_bar(obj)
        return format_html(
            "{}<br>対象者一覧表 {} ／ {}事業所",
            progress_bar(obj),
            f"{lists.done:,}",
            f"{lists.employers:,}",
        )

    @admin.display(description="支部別")
    def progress_by_branch(self, obj: MailingBatch) -> str:
        if obj.status == Status.DRAFT:
            return "－"
        names = dict(Branch.objects.values_list("pk", "name"))
        rows = selectors.progress(obj).by_branch.items()
        return format_html(
            "<table><tr><th>支部</th><th>進捗</th></tr>{}</table>",
            format_html_join(
                "",
                "<tr><td>{}</td><td>{}</td></tr>",
                ((names.get(pk, pk), progress_bar(obj, counts)) for pk, counts in rows),
            ),
        )

    @admin.display(description="見込み（支部・経路別）")
    def preview(self, obj: MailingBatch) -> str:
        if obj.status != Status.DRAFT:
            return f"計画済み {obj.planned:,}件"
        try:
            rows = services.preview(obj.pk, actor=None)
        except ServiceError as exc:
            return exc.message
        names = dict(Branch.objects.values_list("pk", "name"))
        total = sum(r.count for r in rows)
        return format_html(
            "<table><tr><th>支部</th><th>経路</th><th>件数</th></tr>{}"
            "<tr><th colspan=2>合計</th><th>{}</th></tr></table>",
            format_html_join(
                "",
                "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
                (
                    (names.get(r.branch_id, r.branch_id), _route_label(r.route), f"{r.count:,}")
                    for r in rows
                ),
            ),
            f"{total:,}",
        )

    @admin.display(description="操作")
    def operations(self, obj: MailingBatch) -> str:
        buttons = [
            (reverse("admin:notices_mailingbatch_operate", args=[obj.pk, name]), label)
            for name, (label, allowed) in OPERATIONS.items()
            if obj.status in allowed
        ]
        if not buttons:
            return "－"
        # formaction: the buttons post the change form (with its CSRF token) to the operation.
        return format_html_join(
            " ",
            '<button type="submit" class="button" formaction="{}" formmethod="post">{}</button>',
            buttons,
        )

    @admin.display(description="ファイル")
    def downloads(self, obj: MailingBatch) -> str:
        if not obj.outputs:
            return "－"
        url = reverse("admin:notices_mailingbatch_download", args=[obj.pk])
        return format_html(
            "<ul>{}</ul>",
            format_html_join(
                "",
                '<li><a href="{}?n={}">{}</a></li>',
                ((url, n, out["label"]) for n, out in enumerate(obj.outputs)),
            ),
        )

    # --- views --------------------------------------------------------------------------

    def get_urls(self) -> list:
        view = self.admin_site.admin_view
        return [
            path(
                "<int:batch_id>/operate/<str:operation>/",
                view(self.operate_view),
                name="notices_mailingbatch_operate",
            ),
            path(
                "<int:batch_id>/download/",
                view(self.download_view),
                name="notices_mailingbatch_download",
            ),
            *super().get_urls(),
        ]

    def operate_view(self, request: HttpRequest, batch_id: int, operation: str) -> Any:
        if request.method != "POST" or operation not in OPERATIONS:
            raise Http404
        if not self.has_change_permission(request):
            raise PermissionDenied
        actions = {
            "launch": services.launch,
            "pause": services.pause,
            "resume": services.resume,
            "cancel": services.cancel,
            "retry": services.retry_failures,
            "resend": lambda batch_id, actor: delivery.resend_returned(
                actor=actor, batch_id=batch_id
            ),
        }
        try:
            actions[operation](batch_id, actor=request.user)
        except ServiceError as exc:
            admin_message(request, exc)
        else:
            messages.success(request, f"「{OPERATIONS[operation][0]}」を受け付けました。")
        return HttpResponseRedirect(reverse("admin:notices_mailingbatch_change", args=[batch_id]))

    def download_view(self, request: HttpRequest, batch_id: int) -> FileResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        batch = self.get_queryset(request).filter(pk=batch_id).first()
        try:
            output = batch.outputs[int(request.GET.get("n", ""))] if batch else None
        except (ValueError, IndexError):
            output = None
        if output is None:
            raise Http404("ファイルが見つかりません。")
        record_event(
            actor=request.user,
            action=AuditEvent.Action.DOWNLOAD,
            obj=batch,
            changes={"file": output["name"]},
            request=request,
        )
        name = output["name"]
        return FileResponse(
            batch_storage().open(name), as_attachment=True, filename=name.rsplit("/", 1)[-1]
        )


def _route_label(route: str) -> str:
    return str(dict(Route.choices).get(route, route))


@admin.register(MailingItem)
class MailingItemAdmin(BranchScopedAdminMixin, admin.ModelAdmin):
    list_display = [
        "__str__",
        "record",
        "route",
        "envelope",
        "box",
        "tracked_text",
        "state",
        "reason",
    ]
    list_filter = ["state", "route"]
    search_fields = ["=tracked_number"]
    list_select_related = ["record"]
    raw_id_fields = ["record", "previous"]
    show_full_result_count = False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [f.name for f in MailingItem._meta.fields]


class ReturnForm(forms.ModelForm):
    tracked_number = forms.CharField(label="特定記録番号", max_length=20)

    class Meta:
        model = ReturnedMail
        fields = ["reason"]


class ReturnsFileForm(forms.Form):
    file = forms.FileField(label="郵便局の返戻CSV（特定記録番号,返戻理由）")


@admin.register(ReturnedMail)
class ReturnedMailAdmin(BranchScopedAdminMixin, admin.ModelAdmin):
    """Returned mail, recorded one by one (特定記録番号 + reason) or from a CSV."""

    branch_field = "item__branch"
    form = ReturnForm
    list_display = ["item", "reason", "recorded_at", "resent_in"]
    list_filter = ["reason"]
    change_list_template = None

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return obj is None and request.user.has_perm("notices.change_mailingitem")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("notices.change_mailingitem")

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.has_perm("notices.view_mailingitem")

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self.has_view_permission(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_urls(self) -> list:
        view = self.admin_site.admin_view
        return [
            path("import/", view(self.import_view), name="notices_returnedmail_import"),
            *super().get_urls(),
        ]

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        saved = delivery.record_return(
            actor=request.user,
            tracked_number=form.cleaned_data["tracked_number"],
            reason=form.cleaned_data["reason"],
        )
        obj.pk = saved.pk
        obj.item_id = saved.item_id

    def changeform_view(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().changeform_view(request, *args, **kwargs)
        except ServiceError as exc:
            admin_message(request, exc)
            return HttpResponseRedirect(request.path)

    def log_addition(self, request: HttpRequest, obj: Any, message: Any) -> Any:
        return None  # record_return wrote the audit row

    def import_view(self, request: HttpRequest) -> Any:
        from django.template.response import TemplateResponse

        if not self.has_add_permission(request):
            raise PermissionDenied
        form = ReturnsFileForm(request.POST or None, request.FILES or None)
        report = None
        if request.method == "POST" and form.is_valid():
            try:
                report = delivery.import_returns(
                    actor=request.user, data=form.cleaned_data["file"].read()
                )
            except ServiceError as exc:
                admin_message(request, exc)
            else:
                if not report.errors:
                    messages.success(request, f"{report.recorded}件の返戻を登録しました。")
                    return HttpResponseRedirect(reverse("admin:notices_returnedmail_changelist"))
                messages.error(request, "誤りのある行があるため、何も登録していません。")
        context = {
            **self.admin_site.each_context(request),
            "title": "返戻CSVの取込",
            "form": form,
            "report": report,
            "reasons": ReturnReason.labels,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/notices/returns_import.html", context)


class TrackedFileForm(forms.Form):
    file = forms.FileField(label="郵便局から交付された特定記録番号のCSV")
    branch = forms.ModelChoiceField(
        label="支部",
        queryset=Branch.objects.order_by("code"),
        required=False,
        empty_label="本部",
        help_text="この支部の発送バッチが、取り込んだ番号を使います。",
    )


@admin.register(TrackedRange)
class TrackedRangeAdmin(BranchScopedAdminMixin, admin.ModelAdmin):
    """特定記録 numbers imported from the post office's file, per branch: the free runs and
    the runs the batches took. Rows are written only by the import (whole file or nothing)."""

    list_display = ["__str__", "size_display", "branch", "batch", "source", "imported_at"]
    list_filter = [("batch", admin.EmptyFieldListFilter)]
    search_fields = ["source"]
    list_select_related = ["branch", "batch"]
    change_list_template = "admin/notices/trackedrange_change_list.html"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # through the import view

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def can_import(self, request: HttpRequest) -> bool:
        return request.user.has_perm("notices.add_trackedrange")

    @admin.display(description="件数")
    def size_display(self, obj: TrackedRange) -> str:
        return f"{obj.size:,}"

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> Any:
        extra = {**(extra_context or {}), "can_import": self.can_import(request)}
        return super().changelist_view(request, extra_context=extra)

    def get_urls(self) -> list:
        view = self.admin_site.admin_view
        return [
            path("import/", view(self.import_view), name="notices_trackedrange_import"),
            *super().get_urls(),
        ]

    def import_view(self, request: HttpRequest) -> Any:
        from django.template.response import TemplateResponse

        if not self.can_import(request):
            raise PermissionDenied
        form = TrackedFileForm(request.POST or None, request.FILES or None)
        if not request.user.is_headquarters:
            form.fields["branch"].queryset = Branch.objects.filter(pk=request.user.branch_id)
            form.fields["branch"].required = True
            form.fields["branch"].empty_label = None
        report = None
        if request.method == "POST" and form.is_valid():
            branch = form.cleaned_data["branch"]
            upload = form.cleaned_data["file"]
            try:
                report = tracked.import_tracked_numbers(
                    actor=request.user,
                    data=upload.read(),
                    branch_id=branch.pk if branch else None,
                    source=upload.name,
                )
            except ServiceError as exc:
                admin_message(request, exc)
            else:
                if not report.errors:
                    messages.success(
                        request,
                        f"特定記録番号 {report.numbers:,}件（連続する範囲 {report.runs:,}件）を"
                        "取り込みました。",
                    )
                    return HttpResponseRedirect(reverse("admin:notices_trackedrange_changelist"))
                messages.error(request, "誤りのある行があるため、何も取り込んでいません。")
        context = {
            **self.admin_site.each_context(request),
            "title": "特定記録番号の取込",
            "form": form,
            "report": report,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/notices/tracked_import.html", context)
