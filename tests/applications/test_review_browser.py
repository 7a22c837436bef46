"""The reviewer's flow in a real headless Chromium against the running server, and the
applicant seeing the outcome on the member page."""

from __future__ import annotations

import random
import re
from datetime import date

import pytest

from applications.demo import sample_form_data
from applications.forms_catalogue import get_form
from applications.models import ApplicationStatus
from tests.browser import admin_login
from tests.factories.applications import ApplicationFactory
from tests.factories.core import PASSWORD, MemberUserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SCREENSHOTS = "/tmp"
RETURN_REASON = "事業主の証明欄が未記入です。証明を受けて再申請してください。"


def test_reviewer_takes_into_review_then_returns_and_the_member_sees_it(
    page, chromium, reviewer, settings
):
    settings.DEV_MEMBER_SIGNIN = True
    settings.MEMBER_IDP_SHARED_SECRET = "browser-test-secret"
    member = MemberUserFactory(username="member-browser", last_name="協会", first_name="花子")
    form = get_form("shobyo_teate")
    application = ApplicationFactory(
        applicant=member,
        form_code=form.code,
        form_version=form.version,
        data=sample_form_data(form, random.Random(7), date(2026, 3, 10)),
    )
    other = ApplicationFactory(reviewing=True)

    # The reviewer opens the queue and filters by status.
    admin_login(page, reviewer.username, PASSWORD)
    page.goto(f"{page.base_url}/admin/applications/application/")
    queue = page.locator("#result_list")
    assert application.receipt_number in queue.inner_text()
    assert other.receipt_number in queue.inner_text()
    page.locator("#changelist-filter").get_by_role("link", name="受付", exact=True).click()
    page.wait_for_url(re.compile(r"status=received"))
    queue = page.locator("#result_list")
    assert application.receipt_number in queue.inner_text()
    assert other.receipt_number not in queue.inner_text()
    page.screenshot(path=f"{SCREENSHOTS}/review_queue.png", full_page=True)

    # Opens the application: the form as entered, with labels and 和暦.
    page.get_by_role("link", name=application.receipt_number).click()
    page.wait_for_selector("#entered-form")
    entered = page.locator("#entered-form").inner_text()
    assert form.name in page.content()
    assert form.field("leave_from").label in entered
    assert "令和" in entered
    assert page.locator("#current-status").inner_text() == "受付"

    # Takes it into review with a comment.
    page.select_option("#status-form select[name=to_status]", "reviewing")
    page.fill("#status-form textarea[name=comment]", "審査を開始しました。")
    page.click("#status-form input[type=submit]")
    page.wait_for_selector(".messagelist .success")
    assert "審査中" in page.locator(".messagelist").inner_text()
    assert page.locator("#current-status").inner_text() == "審査中"

    # Returns it with a comment.
    page.select_option("#status-form select[name=to_status]", "returned")
    page.fill("#status-form textarea[name=comment]", RETURN_REASON)
    page.click("#status-form input[type=submit]")
    page.wait_for_selector(".messagelist .success")
    assert page.locator("#current-status").inner_text() == "返戻"
    history = page.locator(".inline-group").inner_text()
    assert "返戻" in history and "審査中" in history
    page.screenshot(path=f"{SCREENSHOTS}/review_detail.png", full_page=True)

    application.refresh_from_db()
    assert application.status == ApplicationStatus.RETURNED

    # The member signs in (development sign-in) in another browser and sees 返戻 + comment.
    context = chromium.new_context(locale="ja-JP", timezone_id="Asia/Tokyo")
    try:
        member_page = context.new_page()
        member_page.goto(f"{page.base_url}/accounts/member/dev-signin/")
        member_page.select_option("#member-select", str(member.pk))
        member_page.get_by_role("button", name="ログイン").click()
        member_page.wait_for_url(re.compile(r"/accounts/member/$"))
        member_page.get_by_role("link", name="申請状況の確認").click()
        member_page.wait_for_selector("#my-applications")
        row = member_page.locator(f"[data-receipt='{application.receipt_number}']")  # a card
        text = row.inner_text()
        assert "返戻" in text
        assert "事業主の証明欄が未記入です。" in text
        assert form.name in text
        assert other.receipt_number not in member_page.content()
        member_page.screenshot(path=f"{SCREENSHOTS}/member_list.png", full_page=True)
        row.get_by_role("link").click()
        member_page.wait_for_selector("#history")
        assert "返戻" in member_page.locator("#status").inner_text()
        assert "審査を開始しました。" in member_page.locator("#history").inner_text()
    finally:
        context.close()
