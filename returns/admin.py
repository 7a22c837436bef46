"""Staff side of the return mailbox in the admin.

* 返戻理由: the catalogue, edited by headquarters only.
* 返戻書類: every package version with its state (作成待ち, 作成中, 作成済み, 作成失敗,
  削除), branch-scoped; actions retry the failed ones and regenerate.
* The application's review page (:class:`ApplicationReturnAdmin`, which extends the
  applications app's admin): a form to return with reasons from the catalogue, and the
  mailbox section (whether and when the applicant opened the message, reasons, versions).

Thin: every change goes through :mod:`returns.services`.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l

from applications import presentation
from applications.admin import ApplicationAdmin
from applications.models import Application
from applications.services import review
from core.errors import ServiceError, admin_message
from core.scoping import BranchScopedAdminMixin
from returns import services
from returns.models import PackageState, ReturnMessage, ReturnPackage, ReturnReason

#: Reason rows offered on the return form.
REASON_ROWS = 4


@admin.register(ReturnReason)
class ReturnReasonAdmin(admin.ModelAdmin):
    list_display = ["label", "code", "active", "order"]
    list_editable = ["active", "order"]
    search_fields = ["label", "code"]

    def _headquarters(self, request: HttpRequest) -> bool:
        return bool(request.user.is_headquarters)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return self._headquarters(request) and super().has_add_permission(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._headquarters(request) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # reasons given earlier refer to it; deactivate instead


@admin.register(ReturnPackage)
class ReturnPackageAdmin(BranchScopedAdminMixin, admin.ModelAdmin):
    branch_field = "message__branch"
    list_display = [
        "receipt_number",
        "version",
        "state",
        "attempts",
        "created_at",
        "built_at",
        "opened_at",
    ]
    list_filter = ["state"]
    list_select_related = ["message__application"]
    ordering = ["-id"]
    show_full_result_count = False
    actions = ["retry_failed", "regenerate"]
    readonly_fields = [
        "message",
        "version",
        "state",
        "attempts",
        "error",
        "requested_by",
        "created_at",
        "claimed_at",
        "built_at",
        "deleted_at",
        "file_list",
    ]
    fields = readonly_fields

    @admin.display(description=_l("受付番号"))
    def receipt_number(self, obj: ReturnPackage) -> str:
        return obj.message.application.receipt_number or ""

    @admin.display(description=_l("開封日時"))
    def opened_at(self, obj: ReturnPackage) -> Any:
        return obj.message.opened_at or _("未開封")

    @admin.display(description=_l("ファイル"))
    def file_list(self, obj: ReturnPackage) -> str:
        return "、".join(f"{f.filename}（{f.size:,}バイト）" for f in obj.files.all()) or "—"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_review_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(review.REVIEW_PERMISSION)

    @admin.action(description=_l("作成に失敗した返戻書類を再実行する"), permissions=["review"])
    def retry_failed(self, request: HttpRequest, queryset: QuerySet) -> None:
        done = 0
        for pk in queryset.filter(state=PackageState.FAILED).values_list("pk", flat=True)[:500]:
            try:
                services.package_retry(package_id=pk, actor=request.user, request=request)
            except ServiceError as exc:
                admin_message(request, exc)
            else:
                done += 1
        messages.success(request, _("%(n)d件を再実行しました。") % {"n": done})

    @admin.action(description=_l("選択した返戻書類を再作成する"), permissions=["review"])
    def regenerate(self, request: HttpRequest, queryset: QuerySet) -> None:
        done = 0
        for message_id in set(queryset.values_list("message_id", flat=True)[:500]):
            try:
                services.package_regenerate(
                    message_id=message_id, actor=request.user, request=request
                )
            except ServiceError as exc:
                admin_message(request, exc)
            else:
                done += 1
        messages.success(request, _("%(n)d件の再作成を受け付けました。") % {"n": done})


class ReturnForm(forms.Form):
    """Return with up to REASON_ROWS reasons (reason, form field, free text)."""

    expected_version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args: Any, application: Application, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        reasons = [("", "---------")] + [
            (r.code, r.label) for r in ReturnReason.objects.filter(active=True)
        ]
        form = presentation.form_of(application.form_code, application.form_version)
        fields = [("", _("（項目を指定しない）"))]
        if form is not None:
            fields += [(f.name, f.label) for f in form.fields]
            fields += [(a.code, f"添付: {a.label}") for a in form.attachments]
        if application.bank_account or (form is not None and form.pays_money):
            fields.append(("bank_account", _("振込先口座")))
        for i in range(REASON_ROWS):
            self.fields[f"reason_{i}"] = forms.ChoiceField(
                label=_("理由%(n)d") % {"n": i + 1}, choices=reasons, required=False
            )
            self.fields[f"field_{i}"] = forms.ChoiceField(
                label=_("該当項目"), choices=fields, required=False
            )
            self.fields[f"text_{i}"] = forms.CharField(
                label=_("補足（申請者に表示）"),
                required=False,
                max_length=services.REASON_TEXT_MAX,
                widget=forms.Textarea(attrs={"rows": 2, "cols": 50}),
            )

    def rows(self) -> list[tuple[Any, Any, Any]]:
        return [
            (self[f"reason_{i}"], self[f"field_{i}"], self[f"text_{i}"]) for i in range(REASON_ROWS)
        ]

    def reasons(self) -> list[services.ReasonInput]:
        data = self.cleaned_data
        return [
            services.ReasonInput(
                code=data[f"reason_{i}"], field_name=data[f"field_{i}"], text=data[f"text_{i}"]
            )
            for i in range(REASON_ROWS)
            if data.get(f"reason_{i}")
        ]


admin.site.unregister(Application)


@admin.register(Application)
class ApplicationReturnAdmin(ApplicationAdmin):
    """The review admin with the return mailbox: return with reasons, see the package."""

    change_form_template = "admin/returns/application/change_form.html"

    def review_context(self, request: HttpRequest, obj: Application) -> dict[str, Any]:
        context = super().review_context(request, obj)
        message = (
            ReturnMessage.objects.filter(application=obj)
            .prefetch_related("reasons__reason")
            .first()
        )
        can_return = bool(context.get("can_review")) and obj.status == review.S.REVIEWING
        context.update(
            {
                "return_form": ReturnForm(
                    application=obj, initial={"expected_version": obj.version}
                )
                if can_return
                else None,
                "return_url": reverse("admin:applications_application_return", args=[obj.pk]),
                "return_message": message,
                "return_packages": list(message.packages.order_by("-version")) if message else [],
                "regenerate_url": reverse(
                    "admin:applications_application_regenerate", args=[obj.pk]
                ),
            }
        )
        return context

    def get_urls(self) -> list[Any]:
        return [
            path(
                "<path:object_id>/return/",
                self.admin_site.admin_view(self.return_view),
                name="applications_application_return",
            ),
            path(
                "<path:object_id>/regenerate/",
                self.admin_site.admin_view(self.regenerate_view),
                name="applications_application_regenerate",
            ),
            *super().get_urls(),
        ]

    def _post_target(self, request: HttpRequest, object_id: str) -> Application:
        if request.method != "POST":
            raise Http404
        return self._target(request, unquote(object_id))

    def return_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        obj = self._post_target(request, object_id)
        form = ReturnForm(request.POST, application=obj)
        if not form.is_valid():
            self._form_errors(request, form)
            return self._back(obj)
        try:
            services.application_return(
                application_id=obj.pk,
                reasons=form.reasons(),
                actor=request.user,
                expected_version=form.cleaned_data["expected_version"],
                request=request,
            )
        except ServiceError as exc:
            admin_message(request, exc)
            for errors in exc.field_errors.values():
                for error in errors:
                    messages.error(request, error)
        else:
            messages.success(
                request,
                _("受付番号 %(number)s を返戻し、返戻書類の作成を受け付けました。")
                % {"number": obj.receipt_number},
            )
        return self._back(obj)

    def status_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """The plain status form: a return made there (a comment, no reasons) still goes
        through :func:`returns.services.application_return`, with the comment as an
        「その他」 reason, so its message and package are recorded in the same transaction."""
        if request.method != "POST" or request.POST.get("to_status") != review.S.RETURNED:
            return super().status_view(request, object_id)
        obj = self._post_target(request, object_id)
        try:
            version = int(request.POST.get("expected_version", ""))
        except ValueError:
            self._keep_refused(request, obj)
            return self._back(obj)
        comment = request.POST.get("comment", "").strip()
        if not comment:
            messages.error(
                request,
                _("「%(to)s」にするときは、申請者に伝える状況コメント（理由）を入力してください。")
                % {"to": review.S.RETURNED.label},
            )
            self._keep_refused(request, obj)
            return self._back(obj)
        try:
            services.application_return(
                application_id=obj.pk,
                reasons=[services.ReasonInput(services.OTHER_REASON, "", comment)],
                actor=request.user,
                expected_version=version,
                request=request,
            )
        except review.ReviewError as exc:  # the review service's own refusals
            messages.error(request, exc.message)
            self._keep_refused(request, obj)
        except ServiceError as exc:
            admin_message(request, exc)
            for errors in exc.field_errors.values():
                for error in errors:
                    messages.error(request, error)
            self._keep_refused(request, obj)
        else:
            messages.success(
                request,
                _("受付番号 %(number)s を「%(status)s」にしました。")
                % {"number": obj.receipt_number, "status": review.S.RETURNED.label},
            )
        return self._back(obj)

    def regenerate_view(self, request: HttpRequest, object_id: str) -> HttpResponseRedirect:
        obj = self._post_target(request, object_id)
        message = ReturnMessage.objects.filter(application=obj).first()
        if message is None:
            raise Http404
        try:
            package = services.package_regenerate(
                message_id=message.pk, actor=request.user, request=request
            )
        except ServiceError as exc:
            admin_message(request, exc)
        else:
            messages.success(
                request,
                _("返戻書類の再作成（第%(v)d版）を受け付けました。") % {"v": package.version},
            )
        return self._back(obj)
