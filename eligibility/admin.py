"""Admin for employers, persons and eligibility records.

Branch-scoped (core.scoping), audit-logged (every detail page opened is a view event; saving
goes through eligibility.services so the diff is recorded), and fast on millions of rows:
no full COUNT (core.admin_paginator), index-friendly searches (eligibility.selectors),
related rows joined, inlines limited and read-only.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.widgets import ForeignKeyRawIdWidget
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Exists, OuterRef, QuerySet, Subquery
from django.forms.models import BaseInlineFormSet
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html

from core.admin import ReadOnlyAdminMixin
from core.admin_paginator import EstimatedCountPaginator
from core.errors import ServiceError, admin_message
from core.jp.checkdigits import validate_my_number
from core.jp.dates import parse_date
from core.jp.era import format_wareki, format_wareki_and_iso
from core.jp.errors import JapaneseValueError
from core.jp.kana import normalize_digits, normalize_kana
from core.models import Branch, User
from core.personal_ids import keyed_hash, masked
from core.scoping import BranchScopedAdminMixin, branch_scope
from eligibility import selectors, services
from eligibility.models import EligibilityRecord, Employer, Person, ReferenceCheck

#: Rows shown in a read-only inline (records of a person, dependents of an insured person).
INLINE_LIMIT = 20
VIEW_MY_NUMBER = "eligibility.view_my_number"


def can_view_my_number(request: HttpRequest) -> bool:
    return request.user.has_perm(VIEW_MY_NUMBER)


# --- list filters ---------------------------------------------------------------------


def parse_filter_date(value: str) -> date:
    """The filter's date: the one date parser, :func:`core.jp.dates.parse_date` (Western or
    和暦). Raises JapaneseValueError."""
    return parse_date(value)


class EligibleOnFilter(admin.SimpleListFilter):
    """資格有効日: records covering a given date (資格取得 ≤ date < 資格喪失)."""

    title = "資格有効日"
    parameter_name = "eligible_on"
    template = "admin/eligibility/eligible_on_filter.html"

    def __init__(self, request: HttpRequest, params: Any, model: Any, model_admin: Any) -> None:
        super().__init__(request, params, model, model_admin)
        skip = {self.parameter_name, "p", "e"}
        #: The other query parameters, kept by the date form of the template.
        self.kept_parameters = [
            (key, value)
            for key, values in request.GET.lists()
            if key not in skip
            for value in values
        ]

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        today = timezone.localdate()
        fiscal_start = date(today.year if today.month >= 4 else today.year - 1, 4, 1)
        return [
            (today.isoformat(), f"本日（{format_wareki(today)}）"),
            (fiscal_start.isoformat(), f"年度初日（{format_wareki(fiscal_start)}）"),
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        value = self.value()
        if not value:
            return queryset
        try:
            on = parse_filter_date(value)
        except JapaneseValueError as exc:
            raise IncorrectLookupParameters(exc.message) from exc
        return queryset.filter(selectors.eligible_on_q(on))


class PersonBranchFilter(admin.SimpleListFilter):
    """支部 for persons: those with a record in the branch (EXISTS, no duplicate rows)."""

    title = "支部"
    parameter_name = "branch"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [(str(b.pk), b.name) for b in Branch.objects.order_by("code")]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if not self.value():
            return queryset
        if not str(self.value()).isdigit():
            raise IncorrectLookupParameters("支部の指定が正しくありません。")
        in_branch = EligibilityRecord.objects.filter(
            person=OuterRef("pk"), branch_id=int(self.value())
        )
        return queryset.filter(Exists(in_branch))


# --- read-only, limited inlines ------------------------------------------------------


class LimitedInlineFormSet(BaseInlineFormSet):
    """Only the first INLINE_LIMIT rows: an inline never loads thousands of rows."""

    limit = INLINE_LIMIT

    def get_queryset(self) -> QuerySet:
        if not hasattr(self, "_limited_queryset"):
            self._limited_queryset = super().get_queryset()[: self.limit]
        return self._limited_queryset


class ReadOnlyRecordInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = EligibilityRecord
    formset = LimitedInlineFormSet
    fields = (
        "symbol_number",
        "kind",
        "name",
        "name_kana",
        "branch_name",
        "acquired_wareki",
        "lost_wareki",
    )
    readonly_fields = fields
    extra = 0
    max_num = 0
    can_delete = False
    show_change_link = True

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        qs = super().get_queryset(request).select_related("branch")
        return branch_scope(qs, request.user).order_by("-acquired_on", "-id")

    @admin.display(description="記号・番号・枝番")
    def symbol_number(self, record: EligibilityRecord) -> str:
        return record.symbol_number

    @admin.display(description="支部")
    def branch_name(self, record: EligibilityRecord) -> str:
        return str(record.branch)  # text: branch staff may not open the branch page

    @admin.display(description="資格取得年月日")
    def acquired_wareki(self, record: EligibilityRecord) -> str:
        return format_wareki_and_iso(record.acquired_on)

    @admin.display(description="資格喪失年月日")
    def lost_wareki(self, record: EligibilityRecord) -> str:
        return format_wareki_and_iso(record.lost_on) if record.lost_on else "－"


class PersonRecordsInline(ReadOnlyRecordInline):
    fk_name = "person"
    verbose_name = "資格情報"
    verbose_name_plural = f"資格情報（新しい順に最大{INLINE_LIMIT}件）"


class DependentsInline(ReadOnlyRecordInline):
    fk_name = "insured_record"
    verbose_name = "被扶養者"
    verbose_name_plural = f"被扶養者（最大{INLINE_LIMIT}件）"


# --- shared admin behaviour -----------------------------------------------------------


class ScopedRawIdWidget(ForeignKeyRawIdWidget):
    """A raw-id input that names the chosen row only when it is in the editor's scope.

    Django's widget looks the id up in the model's default manager, so an add form opened
    with ``?employer=<id>`` would print another branch's employer name beside the input.
    """

    def __init__(self, rel: Any, admin_site: Any, *, queryset: QuerySet, using: Any = None):
        super().__init__(rel, admin_site, using=using)
        self.queryset = queryset

    def label_and_url_for_value(self, value: Any) -> tuple[str, str]:
        key = self.rel.get_related_field().name
        try:
            visible = self.queryset.filter(**{key: value}).exists()
        except (ValueError, TypeError, ValidationError):
            visible = False
        if not visible:
            return "", ""
        return super().label_and_url_for_value(value)


def scoped_references(request: HttpRequest) -> dict[str, QuerySet]:
    """The rows a staff user may choose for each reference of a record (services' rule)."""
    user = request.user
    return {
        "person": selectors.persons_in_scope(user=user),
        "employer": branch_scope(Employer.objects.all(), user),
        "insured_record": branch_scope(EligibilityRecord.objects.all(), user),
    }


def service_refusal(request: HttpRequest, exc: ServiceError) -> PermissionDenied:
    """The form checked the same rules; a refusal here is the service's second wall."""
    admin_message(request, exc)
    return PermissionDenied(exc.message)


def _nothing_saved(formset: Any) -> None:
    """What the admin's change message reads from a formset that saved nothing."""
    formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []


class AuditedViewMixin:
    """Each detail page rendered with an object is a view event in the audit trail."""

    def render_change_form(  # type: ignore[no-untyped-def]
        self, request, context, add=False, change=False, form_url="", obj=None
    ):
        if obj is not None and obj.pk is not None:
            self.log_view(request, obj)
        return super().render_change_form(  # type: ignore[misc]
            request, context, add=add, change=change, form_url=form_url, obj=obj
        )

    def log_view(self, request: HttpRequest, obj: Any) -> None:
        services.log_view(actor=request.user, obj=obj, request=request)


class FastListMixin:
    paginator = EstimatedCountPaginator
    show_full_result_count = False
    list_per_page = 50

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Records and persons are kept for the audit trail; losing eligibility is a date.
        return False


# --- employers ------------------------------------------------------------------------


@admin.register(Employer)
class EmployerAdmin(BranchScopedAdminMixin, FastListMixin, admin.ModelAdmin):
    list_display = ("symbol", "name", "name_kana", "branch", "phone")
    list_select_related = ("branch",)
    search_fields = ("symbol", "name", "name_kana")
    search_help_text = "記号（完全一致）、事業所名称・カナ（前方一致）"
    ordering = ("-id",)

    def get_list_filter(self, request: HttpRequest) -> list:
        return ["branch"] if request.user.is_headquarters else []

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet, search_term: str
    ) -> tuple[QuerySet, bool]:
        term = search_term.strip()
        if not term:
            return queryset, False
        digits = normalize_digits(term)
        if digits.isascii() and digits.isdigit():
            return queryset.filter(symbol=digits), False
        kana = normalize_kana(term)
        if all("\u30a1" <= c <= "\u30fc" or c == "\u3000" for c in kana):
            return queryset.filter(name_kana__startswith=kana), False
        return queryset.filter(name__startswith=term), False


# --- persons --------------------------------------------------------------------------


class PersonForm(forms.ModelForm):
    class Meta:
        model = Person
        fields = ["user", "mynacard_registered", "mynacard_registered_on"]


class PersonMyNumberForm(PersonForm):
    """For staff allowed to see the My Number: register or replace it (write-only field)."""

    new_my_number = forms.CharField(
        label="個人番号の登録・変更",
        required=False,
        strip=True,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text="変更する場合のみ12桁で入力します。保存後は下4桁のみ表示されます。",
    )

    def clean_new_my_number(self) -> str:
        raw = self.cleaned_data.get("new_my_number") or ""
        if not raw:
            return ""
        try:
            number = validate_my_number(raw)
        except JapaneseValueError as exc:
            raise ValidationError(exc.message) from exc
        others = Person.objects.filter(my_number_hash=keyed_hash(number))
        if self.instance.pk is not None:
            others = others.exclude(pk=self.instance.pk)
        if others.exists():
            raise ValidationError("この個人番号は別の加入者に登録されています。")
        return number


@admin.register(Person)
class PersonAdmin(AuditedViewMixin, BranchScopedAdminMixin, FastListMixin, admin.ModelAdmin):
    branch_field = "records__branch"
    inlines = [PersonRecordsInline]
    list_display = (
        "id",
        "current_name",
        "current_name_kana",
        "mynacard_registered",
        "has_my_number",
    )
    list_filter = ("mynacard_registered",)
    search_fields = ("records__symbol", "records__name_kana", "records__name")
    search_help_text = "記号・番号（例: 01130001・12）、フリガナ（前方一致）、氏名（前方一致）"
    raw_id_fields = ("user",)
    ordering = ("-id",)

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        # EXISTS on the records, never a JOIN (a person with several records appears once).
        qs = selectors.persons_for_staff(user=request.user)
        ordering = self.get_ordering(request)
        if ordering:
            qs = qs.order_by(*ordering)
        latest = branch_scope(
            EligibilityRecord.objects.filter(person=OuterRef("pk")), request.user
        ).order_by("-acquired_on", "-id")
        return qs.annotate(
            latest_name=Subquery(latest.values("name")[:1]),
            latest_name_kana=Subquery(latest.values("name_kana")[:1]),
        )

    def get_list_filter(self, request: HttpRequest) -> list:
        if request.user.is_headquarters:
            return [PersonBranchFilter, *self.list_filter]
        return list(self.list_filter)

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet, search_term: str
    ) -> tuple[QuerySet, bool]:
        term = search_term.strip()
        if not term:
            return queryset, False
        matching = branch_scope(
            EligibilityRecord.objects.filter(person=OuterRef("pk")), request.user
        ).filter(selectors.record_search_q(term, alias=queryset.db))
        return queryset.filter(Exists(matching)), False

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs):  # type: ignore[no-untyped-def]
        kwargs["form"] = PersonMyNumberForm if self._may_set_my_number(request) else PersonForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        fields = ["user", "mynacard_registered", "mynacard_registered_on"]
        if can_view_my_number(request):
            fields.insert(0, "my_number_display")
        if self._may_set_my_number(request):
            fields.insert(1, "new_my_number")
        return fields

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        fields = ["my_number_display"] if can_view_my_number(request) else []
        if not request.user.is_headquarters:
            # Linking a member's account to a person is headquarters work (services).
            fields.append("user")
        return fields

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any):  # type: ignore[no-untyped-def]
        if db_field.name == "user":
            members = User.objects.filter(kind=User.Kind.MEMBER)
            kwargs["queryset"] = members
            kwargs["widget"] = ScopedRawIdWidget(
                db_field.remote_field, self.admin_site, queryset=members, using=kwargs.get("using")
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def _may_set_my_number(self, request: HttpRequest) -> bool:
        return can_view_my_number(request) and request.user.has_perm("eligibility.change_person")

    def log_view(self, request: HttpRequest, obj: Any) -> None:
        branch_id = services.person_branch_id(obj)
        services.log_view(actor=request.user, obj=obj, request=request, branch_id=branch_id)
        if can_view_my_number(request) and obj.my_number_last4:
            services.log_view(
                actor=request.user,
                obj=obj,
                request=request,
                branch_id=branch_id,
                detail={"field": "my_number_last4"},
            )

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        data = {
            name: form.cleaned_data[name]
            for name in form.changed_data
            if name in PersonForm.Meta.fields
        }
        raw = form.cleaned_data.get("new_my_number") if self._may_set_my_number(request) else ""
        try:
            if change:
                services.person_update(person=obj, actor=request.user, data=data, request=request)
            else:
                services.person_create(actor=request.user, data=data, request=request, instance=obj)
            if raw:
                services.person_set_my_number(
                    person=obj, raw=raw, actor=request.user, request=request
                )
        except ServiceError as exc:
            raise service_refusal(request, exc) from exc

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        """The records inline is read-only: nothing to save."""
        _nothing_saved(formset)

    @admin.display(description="個人番号")
    def my_number_display(self, person: Person) -> str:
        return masked(person.my_number_last4) or "未登録"

    @admin.display(description="氏名")
    def current_name(self, person: Person) -> str:
        return getattr(person, "latest_name", None) or "－"

    @admin.display(description="フリガナ")
    def current_name_kana(self, person: Person) -> str:
        return getattr(person, "latest_name_kana", None) or "－"

    @admin.display(description="個人番号登録", boolean=True)
    def has_my_number(self, person: Person) -> bool:
        return bool(person.my_number_hash)


# --- eligibility records --------------------------------------------------------------


class RecordScopeFormMixin(forms.ModelForm):
    """Shows the services' scope refusal (another branch's branch, person, employer or
    insured person's record) as field errors instead of refusing on save."""

    actor: Any = None

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        adding = self.instance.pk is None
        given = {
            name: cleaned.get(name)
            for name in services.RECORD_REFERENCES
            if name in self.fields
            and name not in self.errors
            and (adding or name in self.changed_data)
        }
        for name, messages in services.record_reference_problems(
            actor=self.actor, data=given
        ).items():
            for message in messages:
                self.add_error(name, message)
        return cleaned


@admin.register(EligibilityRecord)
class EligibilityRecordAdmin(
    AuditedViewMixin, BranchScopedAdminMixin, FastListMixin, admin.ModelAdmin
):
    list_display = (
        "symbol_number",
        "name",
        "name_kana",
        "kind",
        "branch",
        "acquired_on",
        "lost_on",
    )
    list_display_links = ("symbol_number", "name")
    list_select_related = ("branch",)
    search_fields = ("symbol", "number", "name_kana", "name")
    search_help_text = (
        "記号（7～8桁）、番号、記号・番号・枝番（例: 01130001・12・00）、"
        "フリガナ（前方一致）、氏名（前方一致）"
    )
    raw_id_fields = ("person", "employer", "insured_record")
    readonly_fields = (
        "dependents_link",
        "burden_today",
        "remuneration_display",
        "branch_name",
        "birth_wareki",
        "acquired_wareki",
        "lost_wareki",
    )
    ordering = ("-id",)
    #: What a reader sees instead of the raw field (as on the application pages: 和暦, yen).
    READER_FIELDS = {
        "branch": "branch_name",
        "birth_date": "birth_wareki",
        "acquired_on": "acquired_wareki",
        "lost_on": "lost_wareki",
        "standard_monthly_remuneration": "remuneration_display",
    }
    fieldsets = (
        ("現在", {"fields": ("burden_today",)}),
        (None, {"fields": ("person", "kind", "branch", "employer", "insured_record")}),
        ("記号・番号", {"fields": ("symbol", "number", "branch_number")}),
        (
            "本人",
            {"fields": ("name", "name_kana", "birth_date", "sex", "postal_code", "address")},
        ),
        ("資格", {"fields": ("acquired_on", "lost_on", "certificate_requested")}),
        (
            "負担割合",
            {"fields": ("standard_monthly_remuneration", "income_reduction_applied")},
        ),
        ("被扶養者", {"fields": ("dependents_link",)}),
    )

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None:
            return [f for f in fieldsets if "burden_today" not in f[1]["fields"]]
        if self.has_change_permission(request, obj):
            return fieldsets
        return [
            (title, {**opts, "fields": tuple(self.READER_FIELDS.get(f, f) for f in opts["fields"])})
            for title, opts in fieldsets
        ]

    @admin.display(description="負担割合（本日）")
    def burden_today(self, record: EligibilityRecord) -> str:
        today = timezone.localdate()
        try:
            ratio = selectors.burden_ratio_for(record, on=today)
        except JapaneseValueError as exc:
            return f"－（{exc}）"
        when = format_wareki(today)
        if ratio is None:
            return f"－（{when}現在、資格がありません）"
        return f"{ratio}割（{when}現在）"

    @admin.display(description="標準報酬月額")
    def remuneration_display(self, record: EligibilityRecord) -> str:
        value = record.standard_monthly_remuneration
        return "－" if value is None else f"{value:,}円"

    @admin.display(description="支部")
    def branch_name(self, record: EligibilityRecord) -> str:
        return str(record.branch)

    @admin.display(description="生年月日")
    def birth_wareki(self, record: EligibilityRecord) -> str:
        return format_wareki_and_iso(record.birth_date)

    @admin.display(description="資格取得年月日")
    def acquired_wareki(self, record: EligibilityRecord) -> str:
        return format_wareki_and_iso(record.acquired_on)

    @admin.display(description="資格喪失年月日")
    def lost_wareki(self, record: EligibilityRecord) -> str:
        return format_wareki_and_iso(record.lost_on) if record.lost_on else "－（資格継続中）"

    def get_list_filter(self, request: HttpRequest) -> list:
        filters: list = ["kind", "person__mynacard_registered", EligibleOnFilter]
        return ["branch", *filters] if request.user.is_headquarters else filters

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet, search_term: str
    ) -> tuple[QuerySet, bool]:
        term = search_term.strip()
        if not term:
            return queryset, False
        return queryset.filter(selectors.record_search_q(term, alias=queryset.db)), False

    def get_inlines(self, request: HttpRequest, obj: Any) -> list:
        if obj is None or obj.kind == EligibilityRecord.Kind.DEPENDENT:
            return []
        return [DependentsInline]

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any):  # type: ignore[no-untyped-def]
        # Choices and the raw-id labels limited to the editor's scope: another branch's id
        # is refused as an invalid choice and its name never printed.
        scoped = scoped_references(request).get(db_field.name)
        if scoped is not None:
            kwargs["queryset"] = scoped
            kwargs["widget"] = ScopedRawIdWidget(
                db_field.remote_field, self.admin_site, queryset=scoped, using=kwargs.get("using")
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs):  # type: ignore[no-untyped-def]
        form = super().get_form(request, obj, change=change, **kwargs)
        return type(form.__name__, (RecordScopeFormMixin, form), {"actor": request.user})

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        try:
            if change:
                data = {name: form.cleaned_data[name] for name in form.changed_data}
                services.record_update(record=obj, actor=request.user, data=data, request=request)
            else:
                data = {
                    name: value
                    for name, value in form.cleaned_data.items()
                    if name in {f.name for f in EligibilityRecord._meta.concrete_fields}
                }
                services.record_create(actor=request.user, data=data, request=request, instance=obj)
        except ServiceError as exc:
            raise service_refusal(request, exc) from exc

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        """The dependents inline is read-only: nothing to save."""
        _nothing_saved(formset)

    @admin.display(description="記号・番号・枝番", ordering="symbol")
    def symbol_number(self, record: EligibilityRecord) -> str:
        return record.symbol_number

    @admin.display(description="被扶養者の一覧")
    def dependents_link(self, record: EligibilityRecord) -> str:
        if record.pk is None or record.kind == EligibilityRecord.Kind.DEPENDENT:
            return "－"
        url = reverse("admin:eligibility_eligibilityrecord_changelist")
        return format_html(
            '<a href="{}?insured_record__exact={}">すべての被扶養者を一覧で表示</a>',
            url,
            record.pk,
        )


from eligibility.imports import admin as _imports_admin  # noqa: F401,E402


@admin.register(ReferenceCheck)
class ReferenceCheckAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """The nightly reference checks (eligibility.integrity): read-only, headquarters only."""

    list_display = ("checked_at", "broken_total", "broken")
    readonly_fields = ("checked_at", "broken_total", "broken")

    def _headquarters(self, request: HttpRequest) -> bool:
        return bool(request.user.is_staff and getattr(request.user, "is_headquarters", False))

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self._headquarters(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._headquarters(request)
