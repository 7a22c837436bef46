"""The mailbox in a real headless Chromium: a demo member signs in, opens the message and
downloads the PDF, which is a PDF with the expected text."""

from __future__ import annotations

import io
import re
from pathlib import Path
from unittest import mock

import pytest
from pypdf import PdfReader

from tests.factories.core import MemberUserFactory
from tests.returns.support import built, return_it, reviewing_application

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SCREENSHOTS = "/tmp"


def test_member_opens_the_message_and_downloads_the_notice_pdf(page, chromium, reviewer, settings):
    settings.DEV_MEMBER_SIGNIN = True
    settings.MEMBER_IDP_SHARED_SECRET = "browser-test-secret"
    member = MemberUserFactory(username="member-mailbox", last_name="協会", first_name="花子")
    application = reviewing_application(applicant=member)
    with mock.patch("returns.tasks.build_package.delay"):  # built here, not by a worker
        message = return_it(application, reviewer)
    built(message)

    page.set_viewport_size({"width": 390, "height": 844})  # a phone
    page.goto(f"{page.base_url}/accounts/member/dev-signin/")
    page.select_option("#member-select", str(member.pk))
    page.get_by_role("button", name="ログイン").click()
    page.wait_for_url(re.compile(r"/accounts/member/$"))
    page.get_by_role("link", name="電子ポスト（返戻書類）").click()
    page.wait_for_selector("#mailbox")
    item = page.locator(f"li[data-message='{message.pk}']")
    assert "未読" in item.inner_text()
    assert application.receipt_number in item.inner_text()
    page.screenshot(path=f"{SCREENSHOTS}/returns_mailbox.png", full_page=True)

    item.get_by_role("link").click()
    page.wait_for_selector("#files")
    assert "添付書類の不足" in page.locator("#reasons").inner_text()
    page.screenshot(path=f"{SCREENSHOTS}/returns_message.png", full_page=True)
    with page.expect_download() as download_info:
        page.locator("#files a[data-kind='notice']").click()
    download = download_info.value
    assert download.suggested_filename.endswith(".pdf")
    content = Path(download.path()).read_bytes()
    assert content.startswith(b"%PDF")
    text = PdfReader(io.BytesIO(content)).pages[0].extract_text()
    assert "返戻理由のお知らせ" in text
    assert application.receipt_number in text
    assert "事業主の証明書類が添付されていません。" in text

    message.refresh_from_db()
    assert message.opened_at is not None
    page.goto(f"{page.base_url}/returns/")
    assert "未読" not in page.locator(f"li[data-message='{message.pk}']").inner_text()
