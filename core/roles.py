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
        # Paper intake: file an application for a member of the branch (filing.FILE_PERMISSION).
        "applications.add_application",
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
        "notices.view_trackedrange",
        "notices.add_trackedrange",
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
        "returns.view_returnreason",
        "returns.add_returnreason",
        "returns.change_returnreason",
    ],
}


def sync_role_groups(**kwargs: Any) -> None:
    """Create the role groups and give them exactly their permissions (idempotent)."""
    from django.contrib.auth.models import Group, Permission

    wanted = {p for perms in ROLE_PERMISSIONS.values() for p in perms}
    by_name = {
        f"{app_label}.{codename}": pk
        for pk, app_label, codename in Permission.objects.values_list(
            "pk", "content_type__app_label", "codename"
        )
        if f"{app_label}.{codename}" in wanted
    }
    for role, perms in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role)
        group.permissions.set([by_name[p] for p in perms if p in by_name])
