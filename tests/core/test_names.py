"""氏名 in Japanese order (family name first) wherever a person is named."""

from __future__ import annotations

import pytest
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from applications.admin import reviewer_label
from applications.models import StatusChange
from core.audit import record_event
from core.jp.names import full_name
from core.models import AuditEvent
from tests.factories.applications import ApplicationFactory
from tests.factories.core import HeadquartersStaffFactory, MemberUserFactory

FAMILY, GIVEN = "石川", "蓮"


def test_full_name_is_family_name_first():
    assert full_name(FAMILY, GIVEN) == "石川 蓮"
    assert full_name(" 髙橋 ", "﨑子") == "髙橋 﨑子"  # 外字 kept as given
    assert full_name(FAMILY, "") == "石川"
    assert full_name("", GIVEN) == "蓮"
    assert full_name("", "") == ""


name_part = st.text(alphabet=st.characters(categories=["Lo", "Lu", "Ll"]), min_size=1, max_size=8)


@given(family=name_part, given_name=name_part)
def test_full_name_starts_with_the_family_name(family, given_name):
    name = full_name(family, given_name)
    assert name == f"{family} {given_name}"
    assert name.startswith(family)


@pytest.mark.django_db
def test_user_names_are_family_name_first():
    user = MemberUserFactory(username="ishikawa", last_name=FAMILY, first_name=GIVEN)
    assert user.get_full_name() == "石川 蓮"
    assert user.get_short_name() == "石川 蓮"
    assert str(user) == "石川 蓮（ishikawa）"
    assert reviewer_label(user) == "石川 蓮"
    nameless = MemberUserFactory(username="noname", last_name="", first_name="")
    assert str(nameless) == "noname"
    assert nameless.get_short_name() == "noname"


@pytest.mark.django_db
def test_dev_signin_lists_members_family_name_first(client, settings):
    settings.DEV_MEMBER_SIGNIN = True
    MemberUserFactory(last_name=FAMILY, first_name=GIVEN)
    body = client.get(reverse("dev-member-signin")).content.decode()
    assert "石川 蓮" in body
    assert "蓮 石川" not in body


@pytest.mark.django_db
def test_member_page_header_names_the_member_family_name_first(client):
    member = MemberUserFactory(last_name=FAMILY, first_name=GIVEN)
    client.force_login(member)
    body = client.get(reverse("member-home")).content.decode()
    assert body.count("石川 蓮") == 2  # the header and the greeting
    assert "蓮 石川" not in body


@pytest.mark.django_db
def test_admin_header_audit_and_history_name_staff_family_name_first(client):
    staff = HeadquartersStaffFactory(
        username="ishikawa", last_name=FAMILY, first_name=GIVEN, is_superuser=True
    )
    record_event(actor=staff, action=AuditEvent.Action.VIEW, object_type="x", object_id=1)
    application = ApplicationFactory()
    StatusChange.objects.create(
        application=application, from_status="received", to_status="reviewing", actor=staff
    )
    client.force_login(staff)

    audit = client.get(reverse("admin:core_auditevent_changelist")).content.decode()
    assert "石川 蓮（ishikawa）" in audit  # the actor column
    assert "蓮 石川" not in audit
    history = client.get(
        reverse("admin:applications_application_change", args=[application.pk])
    ).content.decode()
    assert "石川 蓮" in history  # the status history's 変更者 (a name, not a login)
    assert "蓮 石川" not in history
    index = client.get(reverse("admin:index")).content.decode()
    assert "石川 蓮" in index  # ようこそ …
