"""Admin of branches, accounts and the audit trail.

Accounts: superusers get Django's full user form; every other editor gets the staff-account
forms of core.account_forms, which offer only what core.accounts lets them grant, and saving
goes through core.accounts.staff_account_save.
"""

from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from core import accounts
from core.account_forms import StaffAccountCreationForm, StaffAccountForm
from core.errors import ServiceError, admin_message
from core.models import AuditEvent, Branch, User
from core.scoping import BranchScopedAdminMixin


class ReadOnlyAdminMixin:
    """For a model admin or an inline that only shows rows: no add, change or delete, for
    anyone (changes go through the services). Viewing keeps Django's own rule."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


#: Branch fields only headquarters may change (a branch's identity, printed on documents).
BRANCH_IDENTITY_FIELDS = ["code", "prefecture", "name", "insurer_number"]


@admin.register(Branch)
class BranchAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "insurer_number", "phone"]
    search_fields = ["name", "prefecture", "insurer_number"]
    ordering = ["code"]

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        if request.user.is_headquarters:
            return qs
        return qs.filter(pk=request.user.branch_id)

    def has_add_permission(self, request):
        return request.user.is_headquarters and super().has_add_permission(request)

    def has_delete_permission(self, request, obj=None):
        return False

    def get_readonly_fields(self, request, obj=None):
        if request.user.is_headquarters:
            return []
        return BRANCH_IDENTITY_FIELDS


def _is_superuser(request: HttpRequest) -> bool:
    return bool(request.user.is_active and request.user.is_superuser)


@admin.register(User)
class UserAdmin(BranchScopedAdminMixin, DjangoUserAdmin):
    list_display = [
        "username",
        "last_name",
        "first_name",
        "kind",
        "branch",
        "is_staff",
        "is_active",
    ]
    list_filter = ["kind", "is_staff", "is_active", "groups", "branch"]
    list_select_related = ["branch"]
    fieldsets = (
        *(DjangoUserAdmin.fieldsets or ()),
        (
            _("協会けんぽ"),
            {
                "fields": (
                    "kind",
                    "branch",
                    "attorney_registration_number",
                    "failed_login_count",
                    "locked_until",
                )
            },
        ),
    )

    #: The staff forms' layout (editors who are not superusers).
    staff_fieldsets = (
        (None, {"fields": ("username", "password_link")}),
        (_("氏名・連絡先"), {"fields": ("last_name", "first_name", "email")}),
        (_("所属と役割"), {"fields": ("branch", "roles", "is_active")}),
    )
    staff_add_fieldsets = (
        (None, {"fields": ("username", "password1", "password2")}),
        (_("氏名・連絡先"), {"fields": ("last_name", "first_name", "email")}),
        (_("所属と役割"), {"fields": ("branch", "roles", "is_active")}),
    )
    #: What a reader who may not change the account sees (never the password hash).
    readonly_fieldsets = (
        (None, {"fields": ("username", "kind", "branch", "is_active", "roles_display")}),
        (_("氏名・連絡先"), {"fields": ("last_name", "first_name", "email")}),
    )

    def get_queryset(self, request):
        qs = super(DjangoUserAdmin, self).get_queryset(request)
        if request.user.is_headquarters:
            return qs
        if request.user.branch_id is None:
            return qs.none()
        return qs.filter(branch_id=request.user.branch_id, kind=User.Kind.STAFF)

    def has_add_permission(self, request):
        if _is_superuser(request):
            return True
        return accounts.may_add(request.user)

    def has_change_permission(self, request, obj=None):
        if not super().has_change_permission(request, obj):
            return False
        if obj is None or _is_superuser(request):
            return True
        return accounts.may_manage(request.user, obj)

    def get_fieldsets(self, request, obj=None):
        if _is_superuser(request):
            return super().get_fieldsets(request, obj)
        if obj is None:
            return self.staff_add_fieldsets
        if self.has_change_permission(request, obj):
            return self.staff_fieldsets
        return self.readonly_fieldsets

    def get_readonly_fields(self, request, obj=None):
        if _is_superuser(request):
            return super().get_readonly_fields(request, obj)
        if obj is not None and not self.has_change_permission(request, obj):
            return [f for fieldset in self.readonly_fieldsets for f in fieldset[1]["fields"]]
        return ["password_link"] if obj is not None else []

    def get_form(self, request, obj=None, change=False, **kwargs):
        if _is_superuser(request):
            return super().get_form(request, obj, change=change, **kwargs)
        base = StaffAccountCreationForm if obj is None else StaffAccountForm
        form = type(base.__name__, (base,), {"editor": request.user})
        kwargs["form"] = form
        # ModelAdmin.get_form, not UserAdmin's (which would swap in Django's add form).
        return super(DjangoUserAdmin, self).get_form(request, obj, change=change, **kwargs)

    def save_model(self, request, obj, form, change):
        if _is_superuser(request):
            return super().save_model(request, obj, form, change)
        try:
            accounts.staff_account_save(
                editor=request.user,
                data=form.account(),
                target=obj if change else None,
                instance=None if change else obj,
                request=request,
            )
        except ServiceError as exc:
            # The form checked the same rules; this is the service's second wall.
            admin_message(request, exc)
            raise PermissionDenied(exc.message) from exc

    def save_related(self, request, form, formsets, change):
        if _is_superuser(request):
            return super().save_related(request, form, formsets, change)
        # The staff form has no model m2m field; roles were set by the service.

    @admin.display(description=_("パスワード"))
    def password_link(self, user: User) -> Any:
        if user.pk is None:
            return "－"
        url = reverse("admin:auth_user_password_change", args=[user.pk])
        return format_html('<a href="{}">パスワードを変更する</a>', url)

    @admin.display(description=_("役割"))
    def roles_display(self, user: User) -> str:
        return "、".join(user.groups.order_by("name").values_list("name", flat=True)) or "－"


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdminMixin, BranchScopedAdminMixin, admin.ModelAdmin):
    list_display = ["at", "actor", "action", "object_type", "object_id", "branch", "ip_address"]
    list_filter = ["action", "object_type"]
    list_select_related = ["actor", "branch"]
    search_fields = ["object_id", "actor__username"]
    date_hierarchy = "at"
    show_full_result_count = False
