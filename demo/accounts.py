"""Demo accounts for the embedded default: one per kind of user, printed at start-up."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.models import Group
from django.db import transaction

from core.models import Branch, User
from core.roles import ADMINISTRATOR, BATCH_OPERATOR, REVIEWER

DEMO_PASSWORD = "demo-pass-2026"


@dataclass(frozen=True)
class DemoLogin:
    role: str
    username: str
    password: str
    where: str


def _staff(username: str, *, last: str, first: str, branch: Branch | None, role: str) -> User:
    user, created = User.objects.get_or_create(
        username=username,
        defaults={
            "kind": User.Kind.STAFF,
            "is_staff": True,
            "last_name": last,
            "first_name": first,
            "branch": branch,
        },
    )
    if created:
        user.set_password(DEMO_PASSWORD)
        user.save()
    user.groups.add(Group.objects.get(name=role))
    return user


@transaction.atomic
def ensure_demo_accounts(member_person_ids: list[int]) -> list[DemoLogin]:
    """Create (or keep) the demo staff, attorney and member accounts. Idempotent."""
    tokyo = Branch.objects.get(code=13)
    osaka = Branch.objects.get(code=27)
    if not User.objects.filter(username="admin").exists():
        User.objects.create_superuser("admin", "", DEMO_PASSWORD, last_name="本部管理者")
    _staff("reviewer", last="東京", first="審査", branch=tokyo, role=REVIEWER)
    _staff("reviewer-osaka", last="大阪", first="審査", branch=osaka, role=REVIEWER)
    _staff("operator", last="本部", first="発送", branch=None, role=BATCH_OPERATOR)
    _staff("branch-admin", last="東京", first="管理", branch=tokyo, role=ADMINISTRATOR)
    attorney, created = User.objects.get_or_create(
        username="sharoushi",
        defaults={
            "kind": User.Kind.ATTORNEY,
            "last_name": "社労",
            "first_name": "太郎",
            "attorney_registration_number": "13990001",
        },
    )
    if created:
        attorney.set_password(DEMO_PASSWORD)
        attorney.save()

    from eligibility.models import Person

    for i, person in enumerate(Person.objects.filter(pk__in=member_person_ids).order_by("pk")):
        if person.user_id:
            continue
        record = person.records.order_by("-acquired_on").first()
        last, _, first = (record.name if record else "加入者").partition("　")
        user = User.objects.create(
            username=f"member{i + 1}", kind=User.Kind.MEMBER, last_name=last, first_name=first
        )
        user.set_unusable_password()
        user.save()
        person.user = user
        person.save(update_fields=["user"])

    return [
        DemoLogin("本部管理者（全支部）", "admin", DEMO_PASSWORD, "/admin/"),
        DemoLogin("審査担当（東京支部）", "reviewer", DEMO_PASSWORD, "/admin/"),
        DemoLogin("審査担当（大阪支部）", "reviewer-osaka", DEMO_PASSWORD, "/admin/"),
        DemoLogin("発送担当（本部）", "operator", DEMO_PASSWORD, "/admin/"),
        DemoLogin("社会保険労務士", "sharoushi", DEMO_PASSWORD, "/api/v1/auth/token/"),
        DemoLogin("加入者（開発用ログイン）", "member1", "-", "/accounts/member/dev-signin/"),
    ]
