"""Staff accounts: who may manage whose account, which roles an editor may grant, and the one
service that writes a staff account (the user admin's staff form goes through it).

The rules (issue 9):

* A branch administrator (管理者 of a branch, with ``core.change_user``) manages the staff of
  their own branch with the roles 審査担当 and 発送担当 only: names, e-mail, active or not,
  those two roles, the password. Never superuser status, permissions, another role, another
  branch, 本部 (no branch), nor their own account's rights.
* A headquarters administrator (本部) manages staff accounts of every branch and of 本部 with
  the three roles; never superuser status, individual permissions, nor their own rights.
* Superusers use Django's full user form; nobody else sees it.

An account the editor may not manage (their own, a superuser, another branch's, an account
with a role or a permission the editor may not grant, a member's or attorney's account) is
read-only for them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.models import Group
from django.db import transaction
from django.http import HttpRequest

from core.audit import record_event
from core.errors import NotAllowed
from core.models import AuditEvent, Branch, User
from core.roles import ADMINISTRATOR, BATCH_OPERATOR, REVIEWER

#: Roles a branch administrator may grant to their branch's staff.
BRANCH_GRANTABLE_ROLES: tuple[str, ...] = (REVIEWER, BATCH_OPERATOR)
#: Roles a headquarters administrator may grant.
HEADQUARTERS_GRANTABLE_ROLES: tuple[str, ...] = (REVIEWER, BATCH_OPERATOR, ADMINISTRATOR)
ADD_PERMISSION = "core.add_user"
CHANGE_PERMISSION = "core.change_user"

_REFUSED = "この職員アカウントを変更する権限がありません。"


@dataclass(slots=True)
class StaffAccount:
    """What an editor may set on a staff account (nothing else is ever written)."""

    username: str
    last_name: str = ""
    first_name: str = ""
    email: str = ""
    is_active: bool = True
    branch: Branch | None = None
    roles: list[str] = field(default_factory=list)
    #: Only when creating: the initial password (already validated by the form).
    password: str | None = None


def _is_active_staff(user: Any) -> bool:
    return bool(
        getattr(user, "is_authenticated", False)
        and getattr(user, "is_active", False)
        and getattr(user, "is_staff", False)
    )


def grantable_roles(editor: Any) -> tuple[str, ...]:
    """The role groups ``editor`` may give or take away; () when they manage no account."""
    if not _is_active_staff(editor):
        return ()
    if not (editor.has_perm(CHANGE_PERMISSION) or editor.has_perm(ADD_PERMISSION)):
        return ()
    if editor.is_headquarters:
        return HEADQUARTERS_GRANTABLE_ROLES
    if editor.branch_id is None:
        return ()
    return BRANCH_GRANTABLE_ROLES


def may_add(editor: Any) -> bool:
    return bool(grantable_roles(editor)) and editor.has_perm(ADD_PERMISSION)


def may_manage(editor: Any, target: User) -> bool:
    """May ``editor`` change ``target``'s account (for a superuser: always)?"""
    if _is_active_staff(editor) and editor.is_superuser:
        return True
    roles = grantable_roles(editor)
    if not roles or not editor.has_perm(CHANGE_PERMISSION):
        return False
    if target.pk is not None and target.pk == editor.pk:
        return False
    if target.is_superuser or target.kind != User.Kind.STAFF:
        return False
    if not editor.is_headquarters and (
        target.branch_id is None or target.branch_id != editor.branch_id
    ):
        return False
    if target.pk is None:
        return True
    if target.user_permissions.exists():
        return False
    held = set(target.groups.values_list("name", flat=True))
    return held <= set(roles)


def account_problems(
    *, editor: Any, branch: Branch | None, roles: Iterable[str]
) -> dict[str, list[str]]:
    """Field → messages for a branch or roles ``editor`` may not set ({} when all is fine)."""
    problems: dict[str, list[str]] = {}
    allowed = grantable_roles(editor)
    refused = sorted(set(roles) - set(allowed))
    if refused:
        problems["roles"] = [
            f"「{'」「'.join(refused)}」の役割は付与できません。"
            f"付与できる役割: {'、'.join(allowed) or 'なし'}。"
        ]
    if not editor.is_headquarters:
        if branch is None:
            problems["branch"] = ["所属支部を選択してください（本部の職員は登録できません）。"]
        elif branch.pk != editor.branch_id:
            problems["branch"] = ["自分の支部以外の職員は登録できません。"]
    return problems


@transaction.atomic
def staff_account_save(
    *,
    editor: Any,
    data: StaffAccount,
    target: User | None = None,
    instance: User | None = None,
    request: HttpRequest | None = None,
) -> User:
    """Create (``target`` None) or change a staff account with only what ``editor`` may grant.

    ``instance``: an unsaved user to fill when creating (the admin form's). The account is
    always a staff account without superuser status or individual permissions. Raises
    :class:`core.errors.NotAllowed` (with field errors) otherwise; nothing is written then.
    """
    if target is None:
        if not may_add(editor):
            raise NotAllowed("職員アカウントを登録する権限がありません。")
        user = instance if instance is not None else User()
        if not user._state.adding:
            raise ValueError("staff_account_save() creates from an unsaved user")
        before: dict[str, Any] = {}
    else:
        user = User.objects.select_for_update().get(pk=target.pk)
        if not may_manage(editor, user):
            raise NotAllowed(_REFUSED)
        before = _snapshot(user)
    problems = account_problems(editor=editor, branch=data.branch, roles=data.roles)
    if problems:
        raise NotAllowed(_REFUSED, field_errors=problems)

    user.username = data.username
    user.last_name = data.last_name
    user.first_name = data.first_name
    user.email = data.email
    user.is_active = data.is_active
    user.branch = data.branch
    user.kind = User.Kind.STAFF
    user.is_staff = True
    user.is_superuser = False
    if target is None:
        if data.password:
            user.set_password(data.password)
        else:
            user.set_unusable_password()
    user.full_clean(exclude=["password"])
    user.save()
    user.user_permissions.clear()
    user.groups.set(Group.objects.filter(name__in=data.roles))
    after = _snapshot(user)
    record_event(
        actor=editor,
        action=AuditEvent.Action.CREATE if target is None else AuditEvent.Action.UPDATE,
        obj=user,
        changes=_diff(before, after),
        request=request,
    )
    return user


def _snapshot(user: User) -> dict[str, Any]:
    return {
        "username": user.username,
        "last_name": user.last_name,
        "first_name": user.first_name,
        "email": user.email,
        "is_active": user.is_active,
        "branch": user.branch_id,
        "roles": sorted(user.groups.values_list("name", flat=True)) if user.pk else [],
    }


def _diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    return {
        key: [before.get(key), value] for key, value in after.items() if before.get(key) != value
    }
