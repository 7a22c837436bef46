"""The admin's dead ends: a Japanese 403 page in the admin's look, another branch's object
as "not in your branch's scope", and the login page saying an account is locked."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.factories.applications import ApplicationFactory
from tests.factories.core import PASSWORD, BranchStaffFactory

pytestmark = pytest.mark.django_db


def test_a_page_the_reviewer_may_not_open_is_a_japanese_403_in_the_admin_look(client, reviewer):
    client.force_login(reviewer)
    # Where the 支部 link of the detail page used to lead.
    response = client.get(reverse("admin:core_branch_change", args=[reviewer.branch_id]))
    assert response.status_code == 403
    body = response.content.decode()
    assert "このページを表示する権限がありません" in body
    assert "協会けんぽ 業務システム" in body  # the admin's header
    assert "Forbidden" not in body


def test_403_outside_the_admin_is_japanese_too(client, reviewer):
    from core.views import permission_denied

    request = client.get("/").wsgi_request
    request.path = "/applications/mine/"
    response = permission_denied(request)
    assert response.status_code == 403
    assert "このページを表示する権限がありません" in response.content.decode()


def test_another_branchs_object_is_out_of_scope_without_confirming_it_exists(
    client, reviewer, osaka
):
    theirs = ApplicationFactory(record__employer__branch=osaka)
    client.force_login(reviewer)
    url = reverse("admin:applications_application_change", args=[theirs.pk])
    response = client.get(url, follow=True)
    body = response.content.decode()
    expected = f"ID「{theirs.pk}」の電子申請は、東京支部で扱える範囲にありません。"
    assert expected in body
    assert "削除された可能性" not in body and theirs.name not in body
    # A missing id reads exactly the same.
    missing = reverse("admin:applications_application_change", args=[theirs.pk + 1000])
    body = client.get(missing, follow=True).content.decode()
    assert f"ID「{theirs.pk + 1000}」の電子申請は、東京支部で扱える範囲にありません。" in body


def login(client, username: str, password: str) -> str:
    response = client.post(
        reverse("admin:login"), {"username": username, "password": password}, follow=True
    )
    return response.content.decode()


def test_admin_login_says_the_account_is_locked_and_until_when(client, settings, tokyo):
    settings.LOGIN_MAX_FAILURES = 5
    staff = BranchStaffFactory(branch=tokyo, username="staff-lock")
    for _ in range(5):
        body = login(client, "staff-lock", "wrong")
        assert "ロックされています" not in body or _ == 4
    staff.refresh_from_db()
    assert staff.locked_until is not None
    until = timezone.localtime(staff.locked_until)
    # The right password while locked: the lock message with the time, not "wrong password".
    body = login(client, "staff-lock", PASSWORD)
    # 「このアカウントは 14:35 までロックされています」 (with the date when it ends tomorrow)
    assert "このアカウントは " in body and f"{until:%H:%M} までロックされています" in body
    assert "正しい" not in body
    assert "_auth_user_id" not in client.session
    # A wrong password while locked reads the same (no password oracle).
    assert f"{until:%H:%M} までロックされています" in login(client, "staff-lock", "wrong")


def test_admin_login_failure_does_not_say_which_part_was_wrong(client, tokyo):
    BranchStaffFactory(branch=tokyo, username="staff-ok")
    unknown = login(client, "nobody-here", PASSWORD)
    wrong = login(client, "staff-ok", "wrong")
    assert "ロック" not in unknown and "ロック" not in wrong

    def error(body: str) -> str:
        start = body.index('class="errornote"')
        return body[start : body.index("</p>", start)]

    assert error(unknown) == error(wrong)


def test_an_expired_lock_lets_the_right_password_in(client, tokyo):
    staff = BranchStaffFactory(branch=tokyo, username="staff-was-locked")
    staff.locked_until = timezone.now() - timedelta(minutes=1)
    staff.save()
    login(client, "staff-was-locked", PASSWORD)
    assert client.session.get("_auth_user_id") == str(staff.pk)


def test_lock_message_names_the_day_when_the_lock_ends_another_day():
    from datetime import datetime

    from core.admin_login import lock_message
    from core.jp.calendar import JST

    today = timezone.localdate()
    same_day = datetime.combine(today, datetime.min.time(), tzinfo=JST).replace(hour=14, minute=5)
    assert "このアカウントは 14:05 までロックされています" in lock_message(same_day)
    tomorrow = same_day + timedelta(days=1)
    expected = f"このアカウントは {tomorrow.month}月{tomorrow.day}日 14:05 までロックされています"
    assert expected in lock_message(tomorrow)
