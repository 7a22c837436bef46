"""Staff roles as Django groups, kept in sync with the permissions each role needs."""

from __future__ import annotations

from typing import Any

REVIEWER = "審査担当"
BATCH_OPERATOR = "発送担当"
ADMINISTRATOR = "管理者"

# app_label.codename; a permission whose model does not exist yet is skipped.
ROLE_PERMISSIONS: dict[str, list[str]] = {
    REVIEWER: [
        "eligibility.view_person",
        "eligibility.view_eligibilityrecord",
        "eligibility.view_employer",
        "applications.view_application",
        "applications.change_application",
        "returns.view_returnpackage",
    ],
    BATCH_OPERATOR: [
        "eligibility.view_person",
        "eligibility.view_eligibilityrecord",
        "eligibility.view_employer",
        "notices.view_mailingbatch",
        "notices.add_mailingbatch",
        "notices.change_mailingbatch",
        "notices.view_mailingitem",
        "notices.change_mailingitem",
    ],
    ADMINISTRATOR: [
        "core.view_branch",
        "core.change_branch",
        "core.view_user",
        "core.add_user",
        "core.change_user",
        "core.view_auditevent",
        "eligibility.view_person",
        "eligibility.change_person",
        "eligibility.add_person",
        "eligibility.view_eligibilityrecord",
        "eligibility.change_eligibilityrecord",
        "eligibility.add_eligibilityrecord",
        "eligibility.view_employer",
        "eligibility.change_employer",
        "eligibility.add_employer",
        "eligibility.view_my_number",
        "eligibility.view_importjob",
        "eligibility.add_importjob",
    ],
}


def sync_role_groups(**kwargs: Any) -> None:
    """post_migrate: create the role groups and give them exactly their permissions."""
    from django.contrib.auth.models import Group, Permission

    for role, perms in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role)
        wanted = []
        for dotted in perms:
            app_label, codename = dotted.split(".", 1)
            perm = Permission.objects.filter(
                content_type__app_label=app_label, codename=codename
            ).first()
            if perm is not None:
                wanted.append(perm)
        group.permissions.set(wanted)
