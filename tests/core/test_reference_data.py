"""The 47 branches and the role groups exist in every database, even after a flush."""

import pytest
from django.contrib.auth.models import Group

from core.jp.checkdigits import validate_insurer_number
from core.models import Branch
from core.reference_data import ensure_branches
from core.roles import ROLE_PERMISSIONS

pytestmark = pytest.mark.django_db


def test_all_47_branches_with_valid_insurer_numbers():
    branches = list(Branch.objects.all())
    assert [b.code for b in branches] == list(range(1, 48))
    for b in branches:
        assert validate_insurer_number(b.insurer_number) == b.insurer_number
        assert b.insurer_number[:2] == "01"
        assert b.insurer_number[2:4] == f"{b.code:02d}"
    # the confirmed numbers (DOMAIN.md)
    numbers = {b.code: b.insurer_number for b in branches}
    assert (numbers[1], numbers[4], numbers[13]) == ("01010016", "01040013", "01130012")
    assert Branch.objects.get(code=13).insurer_name == "全国健康保険協会 東京支部"
    assert Branch.objects.get(code=1).name == "北海道支部"


def test_ensure_branches_restores_only_what_is_missing():
    Branch.objects.filter(code__in=[5, 6]).delete()
    assert ensure_branches() == 2
    assert ensure_branches() == 0
    assert Branch.objects.count() == 47


def test_role_groups_exist():
    assert set(Group.objects.values_list("name", flat=True)) >= set(ROLE_PERMISSIONS)


def test_role_groups_get_permissions_of_every_app():
    admin_group = Group.objects.get(name="管理者")
    granted = {
        f"{p.content_type.app_label}.{p.codename}" for p in admin_group.permissions.all()
    }
    assert "eligibility.view_eligibilityrecord" in granted
    assert "eligibility.view_my_number" in granted
    assert "core.view_auditevent" in granted
    reviewer_group = Group.objects.get(name="審査担当")
    assert reviewer_group.permissions.filter(
        content_type__app_label="applications", codename="change_application"
    ).exists()


def test_every_role_group_has_exactly_its_permissions_after_migrate():
    """What `migrate` leaves on a fresh database (the test database is one): every permission
    each role lists, none missing (e.g. eligibility.add_importjob), none extra. (Roles list
    permissions of models not built yet, returns and notices: the sync skips those.)"""
    from django.contrib.auth.models import Permission

    existing = {
        f"{app_label}.{codename}"
        for app_label, codename in Permission.objects.values_list(
            "content_type__app_label", "codename"
        )
    }
    assert {"eligibility.add_importjob", "eligibility.view_importjob"} <= existing
    for role, listed in ROLE_PERMISSIONS.items():
        wanted = set(listed) & existing
        granted = {
            f"{app_label}.{codename}"
            for app_label, codename in Group.objects.get(name=role).permissions.values_list(
                "content_type__app_label", "codename"
            )
        }
        assert granted == wanted, role


def test_a_branch_with_records_cannot_be_deleted():
    """Records point at their branch without a database constraint (reference data; see
    EligibilityRecord.branch): the ORM's PROTECT is what refuses the delete."""
    from django.db.models import ProtectedError

    from tests.factories.eligibility import InsuredRecordFactory

    record = InsuredRecordFactory()
    with pytest.raises(ProtectedError):
        record.branch.delete()
    assert Branch.objects.filter(pk=record.branch_id).exists()
