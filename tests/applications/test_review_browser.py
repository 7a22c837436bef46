"""The reviewer's flow in a real headless Chromium against the running server, and the
applicant seeing the outcome on the member page."""

from __future__ import annotations

import random
import re
from datetime import date

import pytest

from applications.forms_catalogue import get_form
from applications.models import ApplicationStatus
from demo.applications import sample_form_data
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
    page.locator("#queue-tabs").get_by_role("link", name=re.compile(r"^受付（")).click()
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
    history = page.locator("#history").inner_text()
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
        row.get_by_role("link", name=form.name).click()
        member_page.wait_for_selector("#history")
        assert "返戻" in member_page.locator("#status").inner_text()
        assert "審査を開始しました。" in member_page.locator("#history").inner_text()
    finally:
        context.close()


def test_a_refused_status_form_keeps_the_reviewers_choice(page, reviewer):
    application = ApplicationFactory(reviewing=True, assigned_reviewer=reviewer)
    admin_login(page, reviewer.username, PASSWORD)
    page.goto(f"{page.base_url}/admin/applications/application/{application.pk}/change/")
    select = page.locator("#status-form select[name=to_status]")
    assert select.input_value() == ""  # nothing preselected

    # 返戻 without a comment: the error shows and 返戻 is still chosen.
    select.select_option("returned")
    page.click("#status-form input[type=submit]")
    page.wait_for_selector(".messagelist .error")
    assert "状況コメント" in page.locator(".messagelist").inner_text()
    assert page.locator("#status-form select[name=to_status]").input_value() == "returned"

    # The reviewer types the reason and clicks once more: it is returned, not completed.
    page.fill("#status-form textarea[name=comment]", RETURN_REASON)
    page.click("#status-form input[type=submit]")
    page.wait_for_selector(".messagelist .success")
    assert page.locator("#current-status").inner_text() == "返戻"
    application.refresh_from_db()
    assert application.status == ApplicationStatus.RETURNED
    assert RETURN_REASON in application.status_comment  # the comment, as a 返戻 reason
    assert "電子ポスト" in application.status_comment


@pytest.mark.parametrize(("width", "height"), [(1280, 800), (1366, 768)])
def test_the_queue_is_readable_at_1280_and_1366(chromium, live_server, reviewer, width, height):
    forms = ["kogaku_kaigo_gassan", "nini_keizoku_henko", "shobyo_teate", "gendogaku_gengaku"]
    for i in range(30):
        ApplicationFactory(
            form_code=forms[i % len(forms)],
            name="長谷川　美智子" if i % 2 else "髙橋　一郎",
            reviewing=bool(i % 3 == 0),
        )
    context = chromium.new_context(
        locale="ja-JP", timezone_id="Asia/Tokyo", viewport={"width": width, "height": height}
    )
    try:
        page = context.new_page()
        page.base_url = live_server.url
        admin_login(page, reviewer.username, PASSWORD)
        page.goto(f"{page.base_url}/admin/applications/application/")
        page.wait_for_selector("#result_list")
        page.screenshot(path=f"{SCREENSHOTS}/review_queue_{width}.png")

        # The filter panel starts closed; the tabs with counts are in view.
        assert not page.locator("#changelist-filter").is_visible()
        assert "受付（" in page.locator("#queue-tabs").inner_text()
        # No column is cut: the table fits in the window.
        table = page.locator("#result_list").bounding_box()
        assert table["x"] + table["width"] <= width
        # No text is squeezed: every cell is on one line (rows as high as the header row's
        # line), and the form column shows the short name with the full one on hover.
        heights = page.eval_on_selector_all(
            "#result_list tbody tr", "rows => rows.map(r => r.getBoundingClientRect().height)"
        )
        assert len(heights) == 30 and max(heights) < 2 * min(heights)
        for column in ("field-receipt_number", "field-submitted_short", "field-form_short"):
            cell = page.locator(f"#result_list tbody tr:first-child .{column}")
            line = cell.evaluate("c => parseFloat(getComputedStyle(c).lineHeight) || 20")
            assert cell.bounding_box()["height"] < 2 * line + 12, column
        hover = page.locator("#result_list tbody .field-form_short span").first
        assert len(hover.get_attribute("title")) > len(hover.inner_text())
        # A screenful of rows.
        bottoms = page.eval_on_selector_all(
            "#result_list tbody tr", "rows => rows.map(r => r.getBoundingClientRect().bottom)"
        )
        assert sum(1 for b in bottoms if b <= height) >= 12

        # The panel opens with one click, and stays open on the next page.
        page.click("#toggle-filters")
        assert page.locator("#changelist-filter").is_visible()
        page.reload()
        assert page.locator("#changelist-filter").is_visible()
        table = page.locator("#result_list").bounding_box()
        panel = page.locator("#changelist-filter").bounding_box()
        assert table["x"] + table["width"] <= panel["x"]  # side by side, nothing cut
        page.screenshot(path=f"{SCREENSHOTS}/review_queue_{width}_filters.png")
    finally:
        context.close()
