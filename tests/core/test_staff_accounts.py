"""Staff accounts in the admin (issue 9): a branch administrator manages only their branch's
審査担当 and 発送担当, never superuser status, permissions, another branch, 本部 or their own
rights; headquarters administrators manage the rest; superusers keep Django's full form."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, Permission
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core import accounts
from core.errors import NotAllowed
from core.models import AuditEvent, User
from core.roles import ADMINISTRATOR, BATCH_OPERATOR, REVIEWER
from tests.factories.core import BranchStaffFactory, HeadquartersStaffFactory

pytestmark = pytest.mark.django_db

ADD = reverse("admin:core_user_add")


def change_url(user: User) -> str:
    return reverse("admin:core_user_change", args=[user.pk])


def password_url(user: User) -> str:
    return reverse("admin:auth_user_password_change", args=[user.pk])


def group(name: str) -> Group:
    return Group.objects.get(name=name)


def form_data(user: User, **overrides) -> dict:
    """What the admin's change form posts back, plus whatever an attacker adds."""
    data = {
        "username": user.username,
        "last_name": user.last_name,
        "first_name": user.first_name,
        "email": user.email,
        "is_active": "on",
        "branch": user.branch_id or "",
        "roles": [g.pk for g in user.groups.all()],
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


@pytest.fixture
def tokyo_staff(tokyo):
    user = BranchStaffFactory(branch=tokyo, username="staff-tokyo")
    user.groups.add(group(REVIEWER))
    return user


@pytest.fixture
def superuser(db):
    return HeadquartersStaffFactory(username="root", is_superuser=True)


# --- the reported holes ----------------------------------------------------------------


def test_branch_admin_cannot_make_themselves_superuser(client, tokyo_admin):
    client.force_login(tokyo_admin)
    response = client.post(
        change_url(tokyo_admin),
        form_data(tokyo_admin, is_superuser="on", is_staff="on"),
    )
    assert response.status_code == 403
    tokyo_admin.refresh_from_db()
    assert not tokyo_admin.is_superuser
    assert tokyo_admin.branch_id is not None


def test_branch_admin_cannot_move_themselves_to_headquarters(client, tokyo_admin, tokyo):
    client.force_login(tokyo_admin)
    response = client.post(change_url(tokyo_admin), form_data(tokyo_admin, branch=""))
    assert response.status_code == 403
    tokyo_admin.refresh_from_db()
    assert tokyo_admin.branch_id == tokyo.pk
    assert not tokyo_admin.is_headquarters


def test_own_account_is_read_only_for_a_branch_admin(client, tokyo_admin):
    client.force_login(tokyo_admin)
    page = client.get(change_url(tokyo_admin)).content.decode()
    assert 'name="is_superuser"' not in page
    assert 'name="branch"' not in page
    assert 'name="roles"' not in page
    # Nor through the password page of the user admin (their own password: password_change).
    assert client.get(password_url(tokyo_admin)).status_code == 403


def test_branch_admin_form_offers_only_the_two_roles_and_their_branch(
    client, tokyo_admin, tokyo_staff, tokyo
):
    client.force_login(tokyo_admin)
    response = client.get(change_url(tokyo_staff))
    assert response.status_code == 200
    form = response.context["adminform"].form
    assert set(form.fields) == {
        "username",
        "last_name",
        "first_name",
        "email",
        "is_active",
        "branch",
        "roles",
    }
    assert {g.name for g in form.fields["roles"].queryset} == {REVIEWER, BATCH_OPERATOR}
    assert list(form.fields["branch"].queryset) == [tokyo]
    page = response.content.decode()
    for name in ("is_superuser", "user_permissions", "groups", "is_staff", "password"):
        assert f'name="{name}"' not in page


@pytest.mark.parametrize(
    "attack",
    [
        {"is_superuser": "on"},
        {"user_permissions": "PERM"},
        {"groups": "ADMIN"},
        {"is_staff": ""},
        {"kind": "member"},
    ],
)
def test_fields_not_offered_are_ignored(client, tokyo_admin, tokyo_staff, attack):
    values = {
        k: (
            Permission.objects.get(codename="change_user").pk
            if v == "PERM"
            else group(ADMINISTRATOR).pk
            if v == "ADMIN"
            else v
        )
        for k, v in attack.items()
    }
    client.force_login(tokyo_admin)
    response = client.post(change_url(tokyo_staff), form_data(tokyo_staff, **values))
    assert response.status_code == 302
    tokyo_staff.refresh_from_db()
    assert not tokyo_staff.is_superuser
    assert tokyo_staff.is_staff
    assert tokyo_staff.kind == User.Kind.STAFF
    assert not tokyo_staff.user_permissions.exists()
    assert [g.name for g in tokyo_staff.groups.all()] == [REVIEWER]


def test_branch_admin_cannot_grant_the_administrator_role(client, tokyo_admin, tokyo_staff):
    client.force_login(tokyo_admin)
    response = client.post(
        change_url(tokyo_staff), form_data(tokyo_staff, roles=[group(ADMINISTRATOR).pk])
    )
    assert response.status_code == 200  # the form again, with its error
    assert response.context["adminform"].form.errors["roles"]
    assert not tokyo_staff.groups.filter(name=ADMINISTRATOR).exists()


@pytest.mark.parametrize("branch", ["osaka", "hq"])
def test_branch_admin_cannot_move_staff_out_of_their_branch(
    client, tokyo_admin, tokyo_staff, tokyo, osaka, branch
):
    client.force_login(tokyo_admin)
    target = osaka.pk if branch == "osaka" else ""
    response = client.post(change_url(tokyo_staff), form_data(tokyo_staff, branch=target))
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["branch"]
    tokyo_staff.refresh_from_db()
    assert tokyo_staff.branch_id == tokyo.pk


def test_branch_admin_changes_their_staff_roles_and_active(client, tokyo_admin, tokyo_staff):
    client.force_login(tokyo_admin)
    response = client.post(
        change_url(tokyo_staff),
        form_data(tokyo_staff, roles=[group(BATCH_OPERATOR).pk], is_active=None, last_name="佐藤"),
    )
    assert response.status_code == 302
    tokyo_staff.refresh_from_db()
    assert [g.name for g in tokyo_staff.groups.all()] == [BATCH_OPERATOR]
    assert not tokyo_staff.is_active
    assert tokyo_staff.last_name == "佐藤"
    event = AuditEvent.objects.get(object_type="core.user", object_id=str(tokyo_staff.pk))
    assert event.actor == tokyo_admin and event.branch_id == tokyo_staff.branch_id
    assert event.changes["roles"] == [[REVIEWER], [BATCH_OPERATOR]]
    assert event.changes["is_active"] == [True, False]


def test_branch_admin_adds_a_reviewer_of_their_branch(client, tokyo_admin, tokyo):
    client.force_login(tokyo_admin)
    response = client.post(
        ADD,
        {
            "username": "new-reviewer",
            "password1": "Zr8-kappa-ocean-41",
            "password2": "Zr8-kappa-ocean-41",
            "last_name": "新",
            "first_name": "職員",
            "branch": tokyo.pk,
            "roles": [group(REVIEWER).pk],
            "is_active": "on",
            "is_superuser": "on",
        },
    )
    assert response.status_code == 302, response.content[:2000]
    user = User.objects.get(username="new-reviewer")
    assert user.branch_id == tokyo.pk
    assert user.is_staff and not user.is_superuser
    assert user.kind == User.Kind.STAFF
    assert [g.name for g in user.groups.all()] == [REVIEWER]
    assert user.check_password("Zr8-kappa-ocean-41")


@pytest.mark.parametrize("branch", ["osaka", "hq"])
def test_branch_admin_cannot_add_staff_elsewhere(client, tokyo_admin, osaka, branch):
    client.force_login(tokyo_admin)
    response = client.post(
        ADD,
        {
            "username": "elsewhere",
            "password1": "Zr8-kappa-ocean-41",
            "password2": "Zr8-kappa-ocean-41",
            "branch": osaka.pk if branch == "osaka" else "",
            "roles": [group(REVIEWER).pk],
            "is_active": "on",
        },
    )
    assert response.status_code == 200
    assert not User.objects.filter(username="elsewhere").exists()


@pytest.mark.parametrize("who", ["other_admin", "hq", "osaka", "permission"])
def test_branch_admin_cannot_change_accounts_they_do_not_manage(
    client, tokyo_admin, tokyo, osaka, who
):
    if who == "other_admin":
        target = BranchStaffFactory(branch=tokyo, username="admin2-tokyo")
        target.groups.add(group(ADMINISTRATOR))
    elif who == "hq":
        target = HeadquartersStaffFactory(username="hq-staff")
    elif who == "osaka":
        target = BranchStaffFactory(branch=osaka, username="staff-osaka")
    else:
        target = BranchStaffFactory(branch=tokyo, username="with-perm")
        target.user_permissions.add(Permission.objects.get(codename="change_user"))
    client.force_login(tokyo_admin)
    response = client.post(change_url(target), form_data(target, last_name="乗取"))
    assert response.status_code in (302, 403)
    target.refresh_from_db()
    assert target.last_name != "乗取"
    assert client.post(
        password_url(target), {"password1": "x-Very-long-99", "password2": "x-Very-long-99"}
    ).status_code in (403, 404)
    target.refresh_from_db()
    assert not target.check_password("x-Very-long-99")


def test_branch_admin_does_not_list_other_branches_or_members(client, tokyo_admin, osaka):
    BranchStaffFactory(branch=osaka, username="staff-osaka")
    HeadquartersStaffFactory(username="hq-staff")
    client.force_login(tokyo_admin)
    response = client.get(reverse("admin:core_user_changelist"))
    names = {u.username for u in response.context["cl"].result_list}
    assert names == {"admin-tokyo"}


def test_branch_admin_cannot_edit_a_group(client, tokyo_admin):
    admin_group = group(ADMINISTRATOR)
    client.force_login(tokyo_admin)
    url = reverse("admin:auth_group_change", args=[admin_group.pk])
    assert client.get(url).status_code == 403
    perm = Permission.objects.get(codename="delete_user")
    response = client.post(url, {"name": ADMINISTRATOR, "permissions": [perm.pk]})
    assert response.status_code == 403
    assert not admin_group.permissions.filter(pk=perm.pk).exists()
    assert client.get(reverse("admin:auth_group_add")).status_code == 403


def test_branch_admin_cannot_change_the_identity_of_their_branch(client, tokyo_admin, tokyo):
    client.force_login(tokyo_admin)
    url = reverse("admin:core_branch_change", args=[tokyo.pk])
    response = client.post(
        url,
        {
            "code": 27,
            "prefecture": "大阪府",
            "name": "大阪支部",
            "insurer_number": "01270019",
            "phone": "03-0000-0000",
        },
    )
    assert response.status_code == 302
    tokyo.refresh_from_db()
    assert (tokyo.code, tokyo.name) == (13, "東京支部")
    assert tokyo.phone == "03-0000-0000"


def test_branch_admin_cannot_open_another_branch(client, tokyo_admin, osaka):
    client.force_login(tokyo_admin)
    response = client.get(reverse("admin:core_branch_change", args=[osaka.pk]))
    assert response.status_code == 302  # "does not exist" redirect, like a missing object


# --- headquarters and superusers --------------------------------------------------------


def test_headquarters_admin_grants_roles_but_never_superuser(client, hq_admin, osaka):
    target = BranchStaffFactory(branch=osaka, username="staff-osaka")
    client.force_login(hq_admin)
    response = client.post(
        change_url(target),
        form_data(target, roles=[group(ADMINISTRATOR).pk], branch="", is_superuser="on"),
    )
    assert response.status_code == 302
    target.refresh_from_db()
    assert target.branch_id is None
    assert [g.name for g in target.groups.all()] == [ADMINISTRATOR]
    assert not target.is_superuser


def test_headquarters_admin_cannot_change_their_own_rights_or_a_superuser(
    client, hq_admin, superuser
):
    client.force_login(hq_admin)
    for target in (hq_admin, superuser):
        response = client.post(change_url(target), form_data(target, last_name="乗取"))
        assert response.status_code == 403
        target.refresh_from_db()
        assert target.last_name != "乗取"


def test_superuser_keeps_the_full_form(client, superuser, tokyo_admin):
    client.force_login(superuser)
    page = client.get(change_url(tokyo_admin)).content.decode()
    assert 'name="is_superuser"' in page
    assert 'name="user_permissions"' in page


# --- the service on its own ------------------------------------------------------------


def test_service_refuses_a_branch_editor_everything_they_may_not_grant(
    tokyo_admin, tokyo_staff, osaka
):
    def attempt(**changes):
        data = accounts.StaffAccount(
            username=tokyo_staff.username, branch=tokyo_staff.branch, roles=[REVIEWER]
        )
        for key, value in changes.items():
            setattr(data, key, value)
        return accounts.staff_account_save(editor=tokyo_admin, data=data, target=tokyo_staff)

    for changes in ({"branch": osaka}, {"branch": None}, {"roles": [ADMINISTRATOR]}):
        with pytest.raises(NotAllowed) as caught:
            attempt(**changes)
        assert caught.value.status == 403
    with pytest.raises(NotAllowed):
        accounts.staff_account_save(
            editor=tokyo_admin,
            data=accounts.StaffAccount(username="x", branch=tokyo_admin.branch),
            target=tokyo_admin,
        )
    attempt(roles=[BATCH_OPERATOR])
    assert [g.name for g in tokyo_staff.groups.all()] == [BATCH_OPERATOR]


def test_reviewer_and_operator_manage_no_account(reviewer, tokyo_operator, tokyo_staff):
    for editor in (reviewer, tokyo_operator):
        assert accounts.grantable_roles(editor) == ()
        assert not accounts.may_manage(editor, tokyo_staff)
        with pytest.raises(NotAllowed):
            accounts.staff_account_save(
                editor=editor,
                data=accounts.StaffAccount(username="x", branch=editor.branch),
            )


# --- whatever is asked, nobody ends up above what the editor may grant ------------------

_TARGETS = ["new", "tokyo_reviewer", "tokyo_admin2", "osaka_staff", "hq_staff", "self"]


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    editor_kind=st.sampled_from(["tokyo_admin", "hq_admin"]),
    target_kind=st.sampled_from(_TARGETS),
    roles=st.sets(st.sampled_from([REVIEWER, BATCH_OPERATOR, ADMINISTRATOR])),
    branch=st.sampled_from(["tokyo", "osaka", None]),
)
def test_no_save_leaves_an_account_above_what_the_editor_may_grant(
    tokyo_admin, hq_admin, tokyo, osaka, editor_kind, target_kind, roles, branch
):
    editor = tokyo_admin if editor_kind == "tokyo_admin" else hq_admin
    n = User.objects.count()
    targets = {
        "new": None,
        "tokyo_reviewer": lambda: _staff(f"t{n}", tokyo, REVIEWER),
        "tokyo_admin2": lambda: _staff(f"a{n}", tokyo, ADMINISTRATOR),
        "osaka_staff": lambda: _staff(f"o{n}", osaka, BATCH_OPERATOR),
        "hq_staff": lambda: _staff(f"h{n}", None, REVIEWER),
        "self": lambda: editor,
    }
    make = targets[target_kind]
    target = make() if make else None
    before = _state(target) if target else None
    data = accounts.StaffAccount(
        username=f"x{n}",
        branch={"tokyo": tokyo, "osaka": osaka, None: None}[branch],
        roles=sorted(roles),
        password="Zr8-kappa-ocean-41",
    )
    try:
        saved = accounts.staff_account_save(editor=editor, data=data, target=target)
    except NotAllowed:
        if target is not None:
            target.refresh_from_db()
            assert _state(target) == before  # nothing written
        return
    saved.refresh_from_db()
    held = set(saved.groups.values_list("name", flat=True))
    assert not saved.is_superuser and not saved.user_permissions.exists()
    assert saved.pk != editor.pk
    assert held <= set(accounts.grantable_roles(editor))
    if not editor.is_headquarters:
        assert saved.branch_id == editor.branch_id
        assert ADMINISTRATOR not in held


def _staff(username: str, branch, role: str) -> User:
    user = (BranchStaffFactory if branch else HeadquartersStaffFactory)(
        username=username, branch=branch
    )
    user.groups.add(group(role))
    return user


def _state(user: User) -> tuple:
    return (
        user.username,
        user.branch_id,
        user.is_superuser,
        sorted(user.groups.values_list("name", flat=True)),
    )
