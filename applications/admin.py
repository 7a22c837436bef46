"""Review in the Django admin: the branch's queue, the detail page and the status forms.

Thin: lists and filters here; every change goes through :mod:`applications.services.review`.
The queue stays fast on millions of rows: no full COUNT (EstimatedCountPaginator), searches
that use indexes, no facet counts. The search box is read by
eligibility.selectors.parse_search_term (one parser for every search box) and turned into
indexed lookups by :func:`applications.selectors.application_search_q`; the reviewers offered
come from :func:`applications.selectors.reviewers`.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l

from applications import presentation
from applications.forms_catalogue import all_forms
from applications.models import Application, ApplicationStatus
from applications.selectors import (
    StatusCount,
    application_search,
    application_search_q,
    queue_status_counts,
    reviewers,
)
from applications.services import review
from core.admin_paginator import COUNT_LIMIT, EstimatedCountPaginator
from core.audit import record_event
from core.input_guard import parse_id
from core.models import AuditEvent, Branch, User
from core.scoping import BranchScopedAdminMixin

S = ApplicationStatus
#: Status changes shown on the detail page (the newest; the rest are in the audit log).
HISTORY_LIMIT = 50
#: Most reviewers offered in headquarters' reviewer filter.
FILTER_REVIEWERS = 300
QUEUE_STATUSES = [(s.value, s.label) for s in S if s != S.DRAFT]


# --- list filters ------------------------------------------------------------------------------


class FormCodeFilter(admin.SimpleListFilter):
    title = _l("申請書")
    parameter_name = "form"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [(f.code, f.name) for f in all_forms()]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        return queryset.filter(form_code=self.value()) if self.value() else queryset


#: The queue opens on the work to do: these statuses, oldest first.
OPEN_STATUSES: tuple[str, ...] = (S.RECEIVED, S.REVIEWING)
#: Filter value that shows every application (status or reviewer filter).
ALL = "all"


def count_label(count: StatusCount | None) -> str:
    """「3」, 「約12,000」 (the planner's estimate) or 「1,000以上」."""
    if count is None:
        return ""
    if count.exact:
        return f"{count.count:,}"
    if count.count > COUNT_LIMIT + 1:
        return _("約%(n)s") % {"n": f"{count.count:,}"}
    return _("%(n)s以上") % {"n": f"{COUNT_LIMIT:,}"}


class DefaultingListFilter(admin.SimpleListFilter):
    """A list filter with a value that applies when the URL has none (the queue's default
    view), and an explicit ``all`` choice instead of Django's empty "すべて"."""

    def default_value(self, request: HttpRequest) -> str:
        return ALL

    def value(self) -> str:
        return super().value() or self._default

    def __init__(self, request: HttpRequest, params: Any, model: Any, model_admin: Any):
        # A search looks everywhere unless the reviewer chose a filter: a receipt number of
        # a finished application must be found from the default view too.
        searching = bool(request.GET.get("q", "").strip())
        self._default = ALL if searching else self.default_value(request)
        super().__init__(request, params, model, model_admin)

    def choices(self, changelist: Any) -> Any:
        current = self.value()
        for lookup, title in self.lookup_choices:
            yield {
                "selected": current == str(lookup),
                "query_string": changelist.get_query_string(
                    {self.parameter_name: lookup}, remove=[]
                ),
                "display": title,
            }


class StatusFilter(DefaultingListFilter):
    """未処理 (受付 and 審査中, the default), one status, or すべて; each with its count."""

    title = _l("状況")
    parameter_name = "status"
    OPEN = "open"

    def default_value(self, request: HttpRequest) -> str:
        return self.OPEN

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        counts = queue_status_counts(queryset=model_admin.get_queryset(request))
        self.counts = counts

        def with_count(label: Any, count: StatusCount | None) -> str:
            shown = count_label(count)
            return f"{label}（{shown}）" if shown else str(label)

        open_count = None
        if all(s in counts for s in OPEN_STATUSES):
            parts = [counts[s] for s in OPEN_STATUSES]
            open_count = StatusCount(
                self.OPEN, sum(c.count for c in parts), all(c.exact for c in parts)
            )
        return [
            (self.OPEN, with_count(_("未処理（受付・審査中）"), open_count)),
            *[(value, with_count(label, counts.get(value))) for value, label in QUEUE_STATUSES],
            (ALL, _("すべての状況")),
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        value = self.value()
        if value == self.OPEN:
            return queryset.filter(status__in=OPEN_STATUSES)
        if value in S.values:
            return queryset.filter(status=value)
        return queryset


def reviewer_label(user: User) -> str:
    """氏名 in Japanese order (山田 太郎), else the username."""
    return presentation.person_label(user)


class SubmittedDateFilter(admin.DateFieldListFilter):
    """受付日時: today, 7 days, this month, this year (no "no date": the queue has none)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.links = tuple(link for link in self.links if self.lookup_kwarg_isnull not in link[1])


class AssignedReviewerFilter(DefaultingListFilter):
    """A branch reviewer's queue opens on 自分と未割当; headquarters' on everyone's."""

    title = _l("審査担当者")
    parameter_name = "reviewer"
    MINE_OR_NONE = "mine_or_none"

    def default_value(self, request: HttpRequest) -> str:
        user = request.user
        if user.is_headquarters or not user.has_perm(review.REVIEW_PERMISSION):
            return ALL
        return self.MINE_OR_NONE

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        options = [
            (self.MINE_OR_NONE, _("自分と未割当")),
            ("me", _("自分")),
            ("none", _("未割当")),
        ]
        user = request.user
        if user.is_headquarters:
            staff = reviewers(all_branches=True).select_related("branch")[:FILTER_REVIEWERS]
            options += [(str(u.pk), f"{u.branch} {reviewer_label(u)}") for u in staff]
        else:
            options += [(str(u.pk), reviewer_label(u)) for u in reviewers(user.branch_id)]
        return [*options, (ALL, _("すべての担当者"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        value = self.value()
        if value == self.MINE_OR_NONE:
            return queryset.filter(
                Q(assigned_reviewer=request.user) | Q(assigned_reviewer__isnull=True)
            )
        if value == "me":
            return queryset.filter(assigned_reviewer=request.user)
        if value == "none":
            return queryset.filter(assigned_reviewer__isnull=True)
        if not value or value == ALL:
            return queryset
        # An id that cannot exist (too large, not digits) matches nothing.
        pk = parse_id(value)
        return queryset.filter(assigned_reviewer_id=pk) if pk else queryset.none()


class BranchFilter(admin.SimpleListFilter):
    """Headquarters only: one branch's applications."""

    title = _l("支部")
    parameter_name = "branch"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [(str(b.pk), b.name) for b in Branch.objects.order_by("code")]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        value = self.value()
        if not value:
            return queryset
        pk = parse_id(value)
        return queryset.filter(branch_id=pk) if pk else queryset.none()


# --- forms on the detail page --------------------------------------------------------------------


#: The session key under which a refused status form is kept for the next page (see
#: ApplicationAdmin.status_view): the reviewer's choice and comment survive the redirect.
REFUSED_STATUS_FORM = "applications.refused_status_form"


class StatusChangeForm(forms.Form):
    """The next status and its comment. No status is preselected: the reviewer picks one, so a
    page shown again (after an error) can never complete what was meant to be returned."""

    to_status = forms.ChoiceField(label=_l("変更後の状況"), choices=QUEUE_STATUSES)
    comment = forms.CharField(
        label=_l("状況コメント（申請者に表示されます）"),
        required=False,
        max_length=review.COMMENT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
    )
    expected_version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args: Any, allowed: tuple[str, ...] | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        if allowed is not None:
            self.fields["to_status"].choices = [("", _("（選択してください）"))] + [
                (s, S(s).label) for s in allowed
            ]
        self.fields["to_status"].error_messages["required"] = _("変更後の状況を選んでください。")


class AssignForm(forms.Form):
    reviewer = forms.ModelChoiceField(
        label=_l("審査担当者"),
        queryset=User.objects.none(),
        required=False,
        empty_label=_l("（未割当）"),
    )
    expected_version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args: Any, branch_id: int | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        field = self.fields["reviewer"]
        field.queryset = reviewers(branch_id)  # type: ignore[attr-defined]
        field.label_from_instance = reviewer_label  # type: ignore[attr-defined]


# --- admin ---------------------------------------------------------------------------------


@admin.register(Application)
class ApplicationAdmin(BranchScopedAdminMixin, admin.ModelAdmin):
    change_form_template = "admin/applications/application/change_form.html"
    change_list_template = "admin/applications/application/change_list.html"
    list_display = [
        "receipt_number",
        "form_short",
        "name",
        "symbol_number",
        "status",
        "reviewer_display",
        "submitted_short",
    ]
    list_display_links = ["receipt_number"]
    # Only columns an index can sort on 1M rows (a click on 氏名 would sort a whole branch).
    sortable_by = ["receipt_number", "submitted_short"]
    list_select_related = ["assigned_reviewer"]
    list_filter = [
        StatusFilter,
        FormCodeFilter,
        ("submitted_at", SubmittedDateFilter),
        AssignedReviewerFilter,
    ]
    search_fields = ["=receipt_number", "=symbol", "^name_kana"]  # see get_search_results
    search_help_text = _l(
        "受付番号、記号・番号（例: 12345678-12）、記号、フリガナ（前方一致）で検索できます。"
        "検索は、状況・担当者を選んでいなければすべての申請が対象です。"
    )
    ordering = ["-submitted_at"]
    paginator = EstimatedCountPaginator
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER
    list_per_page = 50
    actions = ["take_into_review", "assign_to_me"]
    # Status, comment and reviewer are shown once, in the review panel above; the history is
    # a table of its own (review_sections.html). Related objects are shown as text, not as
    # links a reviewer may not be allowed to open.
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "receipt_number",
                    "form_display",
                    "submitted_display",
                    "branch_display",
                    "resubmission_of",
                ]
            },
        )
    ]
    readonly_fields = ["form_display", "submitted_display", "branch_display"]

    # --- queue ---------------------------------------------------------------------------------
    def get_queryset(self, request: HttpRequest) -> QuerySet:
        # Filed applications only. "submitted_at IS NOT NULL" is an index condition: the
        # submitted_at indexes (DESC, so NULLS FIRST) then start after the drafts, instead of
        # reading and discarding every draft before the first row of the page.
        return (
            super().get_queryset(request).filter(submitted_at__isnull=False).exclude(status=S.DRAFT)
        )

    def get_list_display(self, request: HttpRequest) -> list[str]:
        columns = list(super().get_list_display(request))
        if request.user.is_headquarters:
            columns.insert(1, "branch")
        return columns

    def get_list_select_related(self, request: HttpRequest) -> list[str]:
        related = list(self.list_select_related)
        if request.user.is_headquarters:
            related.append("branch")
        return related

    def get_list_filter(self, request: HttpRequest) -> list[Any]:
        filters = list(super().get_list_filter(request))
        if request.user.is_headquarters:
            filters.append(BranchFilter)
        return filters

    def get_ordering(self, request: HttpRequest) -> list[str]:
        # A search by reading lists like a phone book: by フリガナ, then newest first. It reads
        # the name_kana index in order and stops after a page, however common the prefix.
        kind, _q = application_search(request.GET.get("q", ""))
        if kind == "kana":
            return ["name_kana", "-submitted_at"]
        # The work to do is taken oldest first; finished applications are looked up newest
        # first, and so are search results.
        default = ALL if request.GET.get("q", "").strip() else StatusFilter.OPEN
        status = request.GET.get(StatusFilter.parameter_name) or default
        if status in (StatusFilter.OPEN, *OPEN_STATUSES):
            return ["submitted_at"]
        return list(super().get_ordering(request))

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        # The queue takes the page's width: no side menu (the header and breadcrumbs lead
        # everywhere it does), so at 1280 px the list fits even with the filter panel open.
        extra_context = {
            "title": _("電子申請の審査"),
            "is_nav_sidebar_enabled": False,
            **(extra_context or {}),
        }
        response = super().changelist_view(request, extra_context)
        context = getattr(response, "context_data", None)
        if context and "cl" in context:
            cl = context["cl"]
            status_spec = next(
                (spec for spec in cl.filter_specs if isinstance(spec, StatusFilter)), None
            )
            reviewer_spec = next(
                (spec for spec in cl.filter_specs if isinstance(spec, AssignedReviewerFilter)),
                None,
            )
            context["queue_tabs"] = list(status_spec.choices(cl)) if status_spec else []
            context["all_applications_qs"] = cl.get_query_string(
                {StatusFilter.parameter_name: ALL, AssignedReviewerFilter.parameter_name: ALL},
                remove=[],
            )
            context["showing_all"] = bool(
                status_spec
                and status_spec.value() == ALL
                and (reviewer_spec is None or reviewer_spec.value() == ALL)
            )
        return response

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet, search_term: str
    ) -> tuple[QuerySet, bool]:
        q = application_search_q(search_term)
        return (queryset if q is None else queryset.filter(q)), False

    @admin.display(description=_l("申請書"))
    def form_display(self, obj: Application) -> str:
        return presentation.form_name(obj.form_code, obj.form_version)

    @admin.display(description=_l("申請書"))
    def form_short(self, obj: Application) -> str:
        """The short name; the full one on hover."""
        return format_html(
            '<span title="{}">{}</span>',
            presentation.form_name(obj.form_code, obj.form_version),
            presentation.short_form_name(obj.form_code, obj.form_version),
        )

    @admin.display(description=_l("受付日時"), ordering="submitted_at")
    def submitted_short(self, obj: Application) -> str:
        """「2026-03-10 14:05」 in Japan time, on one line."""
        if obj.submitted_at is None:
            return "—"
        return f"{timezone.localtime(obj.submitted_at):%Y-%m-%d %H:%M}"

    @admin.display(description=_l("受付日時"))
    def submitted_display(self, obj: Application) -> str:
        return presentation.wareki_datetime(obj.submitted_at) if obj.submitted_at else "—"

    @admin.display(description=_l("支部"))
    def branch_display(self, obj: Application) -> str:
        return str(obj.branch)

    @admin.display(description=_l("記号・番号"))
    def symbol_number(self, obj: Application) -> str:
        return f"{obj.symbol}・{obj.number}・{obj.branch_number}"

    @admin.display(description=_l("審査担当者"))
    def reviewer_display(self, obj: Application) -> str:
        return reviewer_label(obj.assigned_reviewer) if obj.assigned_reviewer else "—"

    # --- permissions: the detail page is read-only; changes go through the services ----------
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Object level: the detail page is shown read-only (view mode); the model level keeps
        # the actions and the status/assign views available to reviewers.
        if obj is not None:
            return False
        return super().has_change_permission(request)

    # --- detail page -----------------------------------------------------------------------------
    def render_change_form(
        self,
        request: HttpRequest,
        context: dict[str, Any],
        add: bool = False,
        change: bool = False,
        form_url: str = "",
        obj: Application | None = None,
    ) -> HttpResponse:
        if obj is not None:
            context.update(self.review_context(request, obj))
            record_event(
                actor=request.user, action=AuditEvent.Action.VIEW, obj=obj, request=request
            )
        return super().render_change_form(request, context, add, change, form_url, obj)

    def review_context(self, request: HttpRequest, obj: Application) -> dict[str, Any]:
        rows, extra_rows = presentation.entered_rows(obj.form_code, obj.form_version, obj.data)
        labels = presentation.attachment_labels(obj.form_code, obj.form_version)
        attachments = [
            {
                "obj": a,
                "label": labels.get(a.kind, a.kind),
                "is_image": a.content_type.startswith("image/"),
                "url": reverse("applications:attachment", args=[a.pk]),
            }
            for a in obj.attachments.order_by("kind", "id")
        ]
        allowed = review.allowed_next_statuses(obj.status)
        can_change = super().has_change_permission(request) and review.can_review(request.user, obj)
        record = obj.record
        # What the reviewer chose and typed before a refusal, on this application only.
        refused = request.session.pop(REFUSED_STATUS_FORM, None)
        kept: dict[str, str] = {}
        if isinstance(refused, dict) and refused.get("pk") == obj.pk:
            kept["comment"] = str(refused.get("comment", ""))
            if refused.get("to_status") in allowed:
                kept["to_status"] = refused["to_status"]
        return {
            "form_definition": presentation.form_of(obj.form_code, obj.form_version),
            "form_name": presentation.form_name(obj.form_code, obj.form_version),
            "entered_rows": rows,
            "extra_rows": extra_rows,
            "record": record,
            "record_birth": presentation.wareki_and_iso(record.birth_date),
            "record_acquired": presentation.wareki_and_iso(record.acquired_on),
            "record_lost": presentation.wareki_and_iso(record.lost_on) if record.lost_on else "",
            "applicant_birth": presentation.wareki_and_iso(obj.birth_date),
            "attachments": attachments,
            "bank_rows": presentation.bank_rows(obj.bank_account),
            "can_review": can_change,
            "status_form": StatusChangeForm(
                allowed=allowed, initial={"expected_version": obj.version, **kept}
            )
            if can_change and allowed
            else None,
            "assign_form": AssignForm(
                branch_id=obj.branch_id,
                initial={"expected_version": obj.version, "reviewer": obj.assigned_reviewer_id},
            )
            if can_change
            else None,
            "history": self.history_rows(obj),
            "applicant_label": presentation.applicant_label(obj.applicant),
            "reviewer_label": reviewer_label(obj.assigned_reviewer)
            if obj.assigned_reviewer
            else _("（未割当）"),
            "status_url": reverse("admin:applications_application_status", args=[obj.pk]),
            "assign_url": reverse("admin:applications_application_assign", args=[obj.pk]),
        }

    def history_rows(self, obj: Application) -> list[dict[str, str]]:
        """The newest status changes: when, from, to, comment and who (a person, not a login:
        「本人」 or 「社会保険労務士 ○○」 for the applicant, the name for staff)."""
        changes = obj.status_changes.select_related("actor").order_by("-at", "-id")
        rows = []
        for change in changes[:HISTORY_LIMIT]:
            actor = change.actor
            if actor is None:
                who = "—"
            elif actor.pk == obj.applicant_id:
                who = presentation.applicant_label(actor)
            else:
                who = reviewer_label(actor)
            rows.append(
                {
                    "at": presentation.wareki_datetime(change.at),
                    "from": change.get_from_status_display() or "—",
                    "to": change.get_to_status_display(),
                    "comment": change.comment,
                    "who": who,
                }
            )
        return rows

    def get_queryset_for_detail(self, request: HttpRequest) -> QuerySet:
        return self.get_queryset(request).select_related(
            "record__employer", "branch", "assigned_reviewer", "applicant"
        )

    def get_object(self, request: HttpRequest, object_id: str, from_field: Any = None) -> Any:
        queryset = self.get_queryset_for_detail(request)
        try:
            return queryset.get(pk=int(object_id))
        except (Application.DoesNotExist, ValueError, TypeError):
            return None

    # --- status and assignment (POST only, through the services) ------------------------------
    def get_urls(self) -> list[Any]:
        info = self.opts.app_label, self.opts.model_name
        return [
            path(
                "<path:object_id>/status/",
                self.admin_site.admin_view(self.status_view),
                name=f"{info[0]}_{info[1]}_status",
            ),
            path(
                "<path:object_id>/assign/",
                self.admin_site.admin_view(self.assign_view),
                name=f"{info[0]}_{info[1]}_assign",
            ),
            *super().get_urls(),
        ]

    def _target(self, request: HttpRequest, object_id: str) -> Application:
        if not super().has_change_permission(request):
            raise Http404
        obj = self.get_object(request, unquote(object_id))
        if obj is None:
            raise Http404
        return obj

    def _back(self, obj: Application) -> HttpResponseRedirect:
        return HttpResponseRedirect(reverse("admin:applications_application_change", args=[obj.pk]))

    def _form_errors(self, request: HttpRequest, form: forms.Form) -> None:
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)

    def _keep_refused(self, request: HttpRequest, obj: Application) -> None:
        """Keep the chosen status and typed comment for the page the reviewer returns to."""
        request.session[REFUSED_STATUS_FORM] = {
            "pk": obj.pk,
            "to_status": request.POST.get("to_status", ""),
            "comment": request.POST.get("comment", "")[: review.COMMENT_MAX_LENGTH * 2],
        }

    def status_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        if request.method != "POST":
            return HttpResponse(status=405)
        obj = self._target(request, object_id)
        form = StatusChangeForm(request.POST)
        if not form.is_valid():
            self._form_errors(request, form)
            self._keep_refused(request, obj)
            return self._back(obj)
        try:
            changed = review.application_change_status(
                application_id=obj.pk,
                to_status=form.cleaned_data["to_status"],
                comment=form.cleaned_data["comment"],
                actor=request.user,
                expected_version=form.cleaned_data["expected_version"],
                request=request,
            )
        except review.ReviewError as exc:
            messages.error(request, exc.message)
            self._keep_refused(request, obj)
        else:
            messages.success(
                request,
                _("受付番号 %(number)s を「%(status)s」にしました。")
                % {"number": changed.receipt_number, "status": changed.get_status_display()},
            )
        return self._back(obj)

    def assign_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        if request.method != "POST":
            return HttpResponse(status=405)
        obj = self._target(request, object_id)
        form = AssignForm(request.POST, branch_id=obj.branch_id)
        if not form.is_valid():
            self._form_errors(request, form)
            return self._back(obj)
        reviewer = form.cleaned_data["reviewer"]
        try:
            review.application_assign(
                application_id=obj.pk,
                reviewer=reviewer,
                actor=request.user,
                expected_version=form.cleaned_data["expected_version"],
                request=request,
            )
        except review.ReviewError as exc:
            messages.error(request, exc.message)
        else:
            who = reviewer_label(reviewer) if reviewer else _("（未割当）")
            messages.success(request, _("審査担当者を %(who)s にしました。") % {"who": who})
        return self._back(obj)

    # --- actions -------------------------------------------------------------------------
    def _report(self, request: HttpRequest, result: review.BulkResult, done: str) -> None:
        if result.succeeded:
            messages.success(request, done % {"n": len(result.succeeded)})
        if result.skipped:
            numbers = dict(
                Application.objects.filter(pk__in=[pk for pk, _r in result.skipped]).values_list(
                    "pk", "receipt_number"
                )
            )
            by_reason: dict[str, list[str]] = defaultdict(list)
            for pk, reason in result.skipped:
                by_reason[reason].append(numbers.get(pk) or str(pk))
            for reason, which in by_reason.items():
                shown = "、".join(which[:10]) + ("…" if len(which) > 10 else "")
                messages.warning(
                    request,
                    _("%(n)d件は処理しませんでした（%(reason)s）: %(which)s")
                    % {"n": len(which), "reason": reason.rstrip("。"), "which": shown},
                )

    def _ids(self, queryset: QuerySet) -> list[int]:
        return list(queryset.order_by().values_list("pk", flat=True)[: review.BULK_LIMIT + 1])

    @admin.action(description=_l("選択した申請を審査中にする"), permissions=["change"])
    def take_into_review(self, request: HttpRequest, queryset: QuerySet) -> None:
        try:
            result = review.applications_take_into_review(
                ids=self._ids(queryset), actor=request.user, request=request
            )
        except review.ReviewError as exc:
            messages.error(request, exc.message)
            return
        self._report(request, result, _("%(n)d件を審査中にしました。"))

    @admin.action(description=_l("選択した申請の担当者を自分にする"), permissions=["change"])
    def assign_to_me(self, request: HttpRequest, queryset: QuerySet) -> None:
        try:
            result = review.applications_assign_to(
                ids=self._ids(queryset),
                reviewer=request.user,
                actor=request.user,
                request=request,
            )
        except review.ReviewError as exc:
            messages.error(request, exc.message)
            return
        self._report(request, result, _("%(n)d件の担当者を自分にしました。"))
