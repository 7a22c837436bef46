"""The staff admin in a real headless Chromium: Japanese, sign-in, lock-out, branch scope."""

import pytest
from django.contrib.auth.models import Permission

from core.models import AuditEvent
from tests.browser import admin_login
from tests.factories.core import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_reviewer_signs_in_and_sees_the_japanese_admin(page, reviewer):
    admin_login(page, reviewer.username, PASSWORD)
    assert page.locator("#site-name").inner_text() == "協会けんぽ 業務システム"
    assert "業務メニュー" in page.content()
    assert page.locator("html").get_attribute("lang") == "ja"


def test_branch_reviewer_sees_only_own_branch_audit_events(page, reviewer, tokyo, osaka, settings):
    reviewer.user_permissions.add(Permission.objects.get(codename="view_auditevent"))
    mine = AuditEvent.objects.create(action="view", object_type="test.tokyo", branch=tokyo)
    theirs = AuditEvent.objects.create(action="view", object_type="test.osaka", branch=osaka)
    admin_login(page, reviewer.username, PASSWORD)
    page.goto(f"{page.base_url}/admin/core/auditevent/")
    body = page.locator("#result_list").inner_text()
    assert "test.tokyo" in body
    assert "test.osaka" not in body
    page.goto(f"{page.base_url}/admin/core/auditevent/{theirs.pk}/change/")
    assert "test.osaka" not in page.content()
    page.goto(f"{page.base_url}/admin/core/auditevent/{mine.pk}/change/")
    assert "test.tokyo" in page.content()


def test_wrong_password_shows_an_error_and_locks_after_repeated_failures(
    page, reviewer, settings
):
    settings.LOGIN_MAX_FAILURES = 3
    for _ in range(3):
        admin_login(page, reviewer.username, "wrong-password")
        assert page.locator(".errornote").is_visible()
    admin_login(page, reviewer.username, PASSWORD)
    assert page.locator(".errornote").is_visible()
    reviewer.refresh_from_db()
    assert reviewer.is_locked()
