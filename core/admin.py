from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from core.models import AuditEvent, Branch, User
from core.scoping import BranchScopedAdminMixin


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

    def get_queryset(self, request):
        qs = super(DjangoUserAdmin, self).get_queryset(request)
        if request.user.is_headquarters:
            return qs
        return qs.filter(branch_id=request.user.branch_id, kind=User.Kind.STAFF)


@admin.register(AuditEvent)
class AuditEventAdmin(BranchScopedAdminMixin, admin.ModelAdmin):
    list_display = ["at", "actor", "action", "object_type", "object_id", "branch", "ip_address"]
    list_filter = ["action", "object_type"]
    list_select_related = ["actor", "branch"]
    search_fields = ["object_id", "actor__username"]
    date_hierarchy = "at"
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
