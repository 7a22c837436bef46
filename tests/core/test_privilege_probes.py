"""Ways a branch 管理者, 審査担当 or 発送担当 might reach another branch or raise their rights
(issue 9), tried through the admin and the API: each must be refused or show nothing."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from rest_framework.test import APIClient

from applications.models import Application, ApplicationStatus
from core.models import AuditEvent
from core.roles import ADMINISTRATOR, REVIEWER
from tests.factories.applications import ApplicationFactory
from tests.factories.core import BranchStaffFactory
from tests.factories.eligibility import EmployerFactory, InsuredRecordFactory
from tests.factories.imports import ImportJobFactory

pytestmark = pytest.mark.django_db

LOOKUP = reverse("api-eligibility-lookup")


@pytest.fixture
def osaka_record(osaka):
    return InsuredRecordFactory(
        employer=EmployerFactory(branch=osaka, symbol="27009999", name="大阪機密商事"),
        name="大阪　機密",
        name_kana="オオサカ　キミツ",
    )


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.mark.parametrize("who", ["reviewer", "tokyo_operator", "tokyo_admin"])
def test_lookup_api_never_answers_another_branch(request, who, osaka_record):
    user = request.getfixturevalue(who)
    for params in (
        {"symbol": "27009999"},
        {"symbol": "27009999", "branch": 27},
        {"kana": "オオサカ"},
        {"kana": "オオサカ", "branch": 27},
    ):
        response = api(user).get(LOOKUP, params)
        assert response.status_code in (200, 400), response.content
        assert "機密" not in response.content.decode()


@pytest.mark.parametrize("who", ["reviewer", "tokyo_operator"])
def test_reviewers_and_operators_reach_no_account_or_group_admin(client, request, who, tokyo_admin):
    user = request.getfixturevalue(who)
    client.force_login(user)
    admin_group = Group.objects.get(name=ADMINISTRATOR)
    for url in (
        reverse("admin:core_user_changelist"),
        reverse("admin:core_user_add"),
        reverse("admin:core_user_change", args=[user.pk]),
        reverse("admin:auth_user_password_change", args=[tokyo_admin.pk]),
        reverse("admin:auth_group_change", args=[admin_group.pk]),
        reverse("admin:eligibility_eligibilityrecord_add"),
        reverse("admin:eligibility_person_add"),
        reverse("admin:eligibility_employer_add"),
        reverse("admin:eligibility_importjob_add"),
    ):
        assert client.get(url).status_code == 403, url
    response = client.post(
        reverse("admin:core_user_change", args=[user.pk]),
        {"username": user.username, "is_superuser": "on", "groups": [admin_group.pk]},
    )
    assert response.status_code == 403
    user.refresh_from_db()
    assert not user.is_superuser
    assert not user.groups.filter(name=ADMINISTRATOR).exists()


def test_branch_admin_cannot_start_an_import_or_read_a_report(client, tokyo_admin):
    """The 管理者 role holds add_importjob, but imports are headquarters work."""
    job = ImportJobFactory()
    client.force_login(tokyo_admin)
    assert client.get(reverse("admin:eligibility_importjob_add")).status_code == 403
    assert client.get(reverse("admin:eligibility_importjob_changelist")).status_code == 403
    report = reverse("admin:eligibility_importjob_report", args=[job.pk])
    assert client.get(report).status_code == 403


def test_branch_admin_sees_only_their_branchs_audit_trail(client, tokyo_admin, osaka):
    AuditEvent.objects.create(action="view", object_type="x", object_id="1", branch=osaka)
    AuditEvent.objects.create(action="view", object_type="x", object_id="2", branch=None)
    client.force_login(tokyo_admin)
    response = client.get(reverse("admin:core_auditevent_changelist"))
    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == []


def test_operator_cannot_change_an_application_status(client, tokyo_operator, tokyo):
    app = ApplicationFactory(branch=tokyo)
    client.force_login(tokyo_operator)
    url = reverse("admin:applications_application_status", args=[app.pk])
    response = client.post(
        url, {"to_status": ApplicationStatus.REVIEWING, "comment": "x", "expected_version": 1}
    )
    assert response.status_code in (302, 403, 404)
    app.refresh_from_db()
    assert app.status == ApplicationStatus.RECEIVED


def test_reviewer_cannot_assign_another_branchs_application_or_reviewer(
    client, reviewer, osaka, osaka_reviewer
):
    own = ApplicationFactory(branch=reviewer.branch)
    other = ApplicationFactory(branch=osaka)
    client.force_login(reviewer)
    assign = "admin:applications_application_assign"
    client.post(reverse(assign, args=[other.pk]), {"reviewer": reviewer.pk, "expected_version": 1})
    client.post(
        reverse(assign, args=[own.pk]), {"reviewer": osaka_reviewer.pk, "expected_version": 1}
    )
    assert not Application.objects.filter(assigned_reviewer__isnull=False).exists()


def test_user_list_filters_do_not_widen_the_branch(client, tokyo_admin):
    """?_changelist_filters and list filters do not widen the user list beyond the branch."""
    hidden = BranchStaffFactory(branch=None, username="hq-hidden")
    hidden.groups.add(Group.objects.get(name=REVIEWER))
    client.force_login(tokyo_admin)
    for params in (
        {"branch__id__exact": ""},
        {"branch__isnull": "True"},
        {"_changelist_filters": "branch__isnull=True"},
        {"q": "hq-hidden"},
    ):
        response = client.get(reverse("admin:core_user_changelist"), params)
        if response.status_code == 200:
            shown = {u.username for u in response.context["cl"].result_list}
            assert "hq-hidden" not in shown, params


def test_lookups_through_relations_are_refused(client, tokyo_admin, osaka_record):
    """No guessing password hashes or permissions, nor reaching another branch through a
    relation in the query string (Django refuses lookups outside list_filter: 400)."""
    client.force_login(tokyo_admin)
    for url, params in (
        (reverse("admin:core_user_changelist"), {"password__startswith": "pbkdf2"}),
        (reverse("admin:core_user_changelist"), {"groups__permissions__codename": "add_user"}),
        (
            reverse("admin:eligibility_eligibilityrecord_changelist"),
            {"person__records__branch__code": "27"},
        ),
        (reverse("admin:eligibility_person_changelist"), {"records__name__startswith": "大阪"}),
    ):
        response = client.get(url, params)
        assert response.status_code == 400, (url, params)


def test_the_import_service_refuses_branch_staff(tokyo_admin, reviewer):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from core.errors import NotAllowed
    from eligibility.imports import service
    from eligibility.models import ImportJob

    for user in (tokyo_admin, reviewer):
        with pytest.raises(NotAllowed):
            service.submit_job(
                kind="members",
                mode="all_or_nothing",
                upload=SimpleUploadedFile("m.csv", b"x"),
                user=user,
            )
    assert not ImportJob.objects.exists()
