"""Branch scoping: a branch's staff see only their branch; headquarters sees all."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet


def branch_scope(queryset: QuerySet, user: Any, *, field: str = "branch") -> QuerySet:
    """Restrict `queryset` to what a staff user may see. Non-staff see nothing here."""
    if not getattr(user, "is_authenticated", False) or not user.is_staff:
        return queryset.none()
    if user.is_headquarters:
        return queryset
    if user.branch_id is None:
        return queryset.none()
    return queryset.filter(**{f"{field}_id": user.branch_id})


class BranchScopedAdminMixin:
    """ModelAdmin mixin: lists, detail pages, actions and FK choices limited to the branch.

    `branch_field` is the lookup from the model to core.Branch ("branch", or
    "employer__branch"). An object of another branch is not found (the admin answers
    with its "does not exist" redirect), exactly as if it did not exist.
    """

    branch_field = "branch"

    def _get_obj_does_not_exist_redirect(self, request, opts, object_id):  # type: ignore[no-untyped-def]
        """Branch staff read that the object is outside their branch's scope, in words that
        do not confirm it exists elsewhere (Django's text says it "may have been deleted")."""
        from django.contrib import messages
        from django.contrib.admin.utils import unquote
        from django.http import HttpResponseRedirect
        from django.urls import reverse
        from django.utils.translation import gettext as _

        object_id = unquote(str(object_id))[:30]
        user = request.user
        if user.is_headquarters:
            message = _("ID「%(id)s」の%(name)sは見つかりませんでした。") % {
                "id": object_id,
                "name": opts.verbose_name,
            }
        else:
            message = _(
                "ID「%(id)s」の%(name)sは、%(branch)sで扱える範囲にありません。"
                "番号を確かめて、一覧から探してください。"
            ) % {"id": object_id, "name": opts.verbose_name, "branch": user.branch}
        messages.warning(request, message)
        site_name = self.admin_site.name  # type: ignore[attr-defined]  # a ModelAdmin mixin
        url = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist", current_app=site_name)
        return HttpResponseRedirect(url)

    def get_queryset(self, request):  # type: ignore[no-untyped-def]
        qs = super().get_queryset(request)  # type: ignore[misc]
        return branch_scope(qs, request.user, field=self.branch_field)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):  # type: ignore[no-untyped-def]
        from core.models import Branch

        if db_field.remote_field.model is Branch and not request.user.is_headquarters:
            kwargs["queryset"] = Branch.objects.filter(pk=request.user.branch_id)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)  # type: ignore[misc]
