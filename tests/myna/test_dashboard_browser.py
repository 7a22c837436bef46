"""The dashboard in a real headless Chromium: the national page and a branch page show their
charts and tables, and a download link answers. Screenshots go to /tmp."""

from __future__ import annotations

import pytest
from django.utils import timezone

from demo import eligibility as demo
from demo import myna as myna_demo
from tests.browser import admin_login
from tests.factories.core import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SCREENSHOTS = "/tmp"


def test_national_and_branch_pages_show_charts_and_tables(page, hq_admin):
    today = timezone.localdate()
    demo.generate(members=1500, seed=7)
    myna_demo.summaries(today=today)
    myna_demo.usage(today=today)
    myna_demo.targets()

    admin_login(page, hq_admin.username, PASSWORD)
    page.goto(f"{page.base_url}/admin/")
    page.get_by_role("link", name="マイナ保険証ダッシュボード").first.click()
    page.wait_for_selector("#registration_by_branch svg.chart")
    for key in ("registration_trend", "registration_by_branch", "registration_by_age",
                "usage_trend", "usage_by_branch", "usage_by_prefecture"):  # fmt: skip
        section = page.locator(f"#{key}")
        assert section.locator("svg.chart").count() == 1, key
        assert section.locator("table tbody tr").count() > 0, key
    assert page.locator("#registration_by_branch tbody tr").count() == 47
    assert page.locator("#registration_by_branch tr.top").count() >= 5
    assert page.locator("#registration_by_branch tr.bottom").count() >= 5
    assert page.locator("#usage_trend svg .kpi").count() >= 1
    assert "%" in page.locator("#headline").inner_text()
    page.screenshot(path=f"{SCREENSHOTS}/myna_national.png", full_page=True)

    with page.expect_download() as download:
        page.locator("#registration_by_branch .myna-downloads a", has_text="Excel").click()
    assert download.value.suggested_filename.endswith(".xlsx")

    page.locator("#branches").get_by_role("link", name="東京支部").click()
    page.wait_for_selector("#registration_trend svg.chart")
    assert "東京支部" in page.locator("h1").inner_text()
    for key in ("registration_trend", "registration_by_age", "registration_by_kind",
                "usage_trend"):  # fmt: skip
        assert page.locator(f"#{key} svg.chart").count() == 1, key
        assert page.locator(f"#{key} table tbody tr").count() > 0, key
    assert page.locator("#registration_trend svg polyline.s2").count() >= 1  # national line
    page.screenshot(path=f"{SCREENSHOTS}/myna_branch.png", full_page=True)

    page.get_by_role("link", name="資格確認書の送付対象をプレビュー").click()
    page.wait_for_selector("#preview-total")
    assert "人です" in page.locator("#preview-total").inner_text()
    page.screenshot(path=f"{SCREENSHOTS}/myna_preview.png", full_page=True)
