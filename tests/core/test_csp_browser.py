"""The Content-Security-Policy in a real Chromium: the admin, member pages and the API docs
work under it, and nothing on them is refused (a refusal is logged to the console)."""

from __future__ import annotations

import pytest

from tests.browser import admin_login
from tests.factories.applications import ApplicationFactory
from tests.factories.core import PASSWORD, HeadquartersStaffFactory, MemberUserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_console_reports_a_violation(page):
    # The watcher itself: an inline script is refused, and the refusal is seen.
    page.goto(f"{page.base_url}/admin/login/")
    page.evaluate(
        "document.body.appendChild(Object.assign(document.createElement('script'),"
        " {textContent: 'window.__inline = 1;'}))"
    )
    assert page.evaluate("window.__inline") is None
    assert page.csp_violations
    page.csp_violations.clear()


def test_swagger_ui_renders_the_schema(page):
    page.goto(f"{page.base_url}/api/docs/")
    page.wait_for_selector(".swagger-ui .info .title")
    assert "協会けんぽ 業務システム API" in page.locator(".swagger-ui .info .title").inner_text()
    page.wait_for_selector(".opblock-tag-section")
    page.locator(".opblock-summary").first.click()
    page.wait_for_selector(".opblock-body")


def test_admin_pages_work_under_the_policy(page):
    superuser = HeadquartersStaffFactory(username="csp-superuser", is_superuser=True)
    admin_login(page, superuser.username, PASSWORD)
    page.wait_for_selector("#site-name")
    for path in (
        "/admin/",
        "/admin/applications/application/",
        "/admin/eligibility/eligibilityrecord/",
        "/admin/core/user/add/",
    ):
        page.goto(f"{page.base_url}{path}")
        page.wait_for_load_state("load")
        assert page.locator("#content").is_visible(), path
    # The admin's own scripts run (the theme toggle is added by theme.js).
    page.goto(f"{page.base_url}/admin/")
    assert page.locator("button.theme-toggle").count() == 1


def test_member_pages_work_under_the_policy(page, settings):
    settings.DEV_MEMBER_SIGNIN = True
    member = MemberUserFactory()
    application = ApplicationFactory(applicant=member)
    page.goto(f"{page.base_url}/accounts/member/dev-signin/")
    page.select_option("#member-select", str(member.pk))
    page.get_by_role("button", name="ログイン").click()
    page.wait_for_url(f"{page.base_url}/accounts/member/")
    page.goto(f"{page.base_url}/applications/mine/")
    row = page.locator(f"[data-receipt='{application.receipt_number}']")
    assert row.is_visible()
    # The stylesheet applies (a refused one would leave the header unstyled).
    colour = page.locator(".site-header").evaluate("e => getComputedStyle(e).backgroundColor")
    assert colour == "rgb(0, 74, 143)"
