"""core.admin.ReadOnlyAdminMixin: the admins and inlines that only show rows refuse add,
change and delete even to a superuser."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.test import RequestFactory

from core.admin import ReadOnlyAdminMixin
from core.models import AuditEvent
from eligibility.admin import DependentsInline, PersonRecordsInline
from eligibility.models import ReferenceCheck


@pytest.mark.django_db
@pytest.mark.parametrize(
    "make",
    [
        lambda: admin.site._registry[AuditEvent],
        lambda: admin.site._registry[ReferenceCheck],
        lambda: PersonRecordsInline(AuditEvent, admin.site),
        lambda: DependentsInline(AuditEvent, admin.site),
    ],
)
def test_read_only_for_everyone(make, admin_user):
    model_admin = make()
    assert isinstance(model_admin, ReadOnlyAdminMixin)
    request = RequestFactory().get("/admin/")
    request.user = admin_user
    assert not model_admin.has_add_permission(request, None)
    assert not model_admin.has_change_permission(request, None)
    assert not model_admin.has_delete_permission(request, None)
