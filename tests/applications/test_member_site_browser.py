"""The member site in a real headless Chromium at a phone viewport (390×844): three forms
filed end to end (one paying into a bank account, one with ``required_when`` rules in
English, one by an attorney), axe-core on every page (0 serious or critical violations), no
horizontal scrolling. Screenshots go to /tmp/member_site/ (test artifacts, not committed)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from applications.forms_catalogue import get_form
from applications.models import Application, ApplicationStatus
from tests.applications.filing_support import (
    BANK_ACCOUNT,
    OPEN_AT,
    clock_at,
    insured_member,
    png_bytes,
    valid_data,
)
from tests.browser import watch_csp
from tests.factories.core import PASSWORD, AttorneyFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
AXE = Path(__file__).resolve().parents[1] / "vendor" / "axe-core" / "axe.min.js"
SHOTS = Path("/tmp/member_site")
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def phone(chromium, live_server, settings):
    settings.DEV_MEMBER_SIGNIN = True
    SHOTS.mkdir(exist_ok=True)
    context = chromium.new_context(
        locale="ja-JP", timezone_id="Asia/Tokyo", viewport=PHONE, is_mobile=True, has_touch=True
    )
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.base_url = live_server.url
    page.csp_violations = watch_csp(page)
    with clock_at(OPEN_AT):
        yield page
    context.close()
    assert page.csp_violations == [], "Content-Security-Policy violations"


def check_page(page, name: str) -> None:
    """axe-core: no serious or critical violation; no sideways scrolling; a screenshot."""
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)
    # Evaluated through the DevTools protocol, not as a <script> tag: the site's
    # Content-Security-Policy (script-src 'self') rightly refuses inline scripts.
    page.evaluate(AXE.read_text(encoding="utf-8"))
    result = page.evaluate("async () => JSON.stringify(await axe.run(document))")
    violations = [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:3]}
        for v in json.loads(result)["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    assert violations == [], f"{name}: {violations}"
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{name}: scrolls sideways by {overflow}px"


def fill_form(page, form, data: dict) -> None:
    for spec in form.fields:
        if spec.name not in data:
            continue
        value = data[spec.name]
        selector = f'[name="data.{spec.name}"]'
        if spec.type == "boolean":
            page.check(f'{selector}[value="{"true" if value else "false"}"]')
        elif spec.type == "choice":
            if page.locator(f"select{selector}").count():
                page.select_option(selector, str(value))
            else:
                page.check(f'{selector}[value="{value}"]')
        else:
            page.fill(selector, str(value))


def attach_required(page, form, data: dict) -> None:
    cleaned = {k: v for k, v in data.items()}
    for spec in form.attachments:
        needed = spec.required or (spec.required_when and spec.required_when.holds(cleaned))
        if needed:
            page.set_input_files(
                f'[name="file.{spec.code}"]',
                files=[
                    {"name": f"{spec.code}.png", "mimeType": "image/png", "buffer": png_bytes(64)}
                ],
            )


def member_sign_in(page, user, next_path: str) -> None:
    page.goto(f"{page.base_url}{next_path}")
    assert "/accounts/signin/" in page.url  # sent to sign in, with a message
    check_page(page, "01_signin")
    page.click("#dev-signin")
    page.select_option("#member-select", str(user.pk))
    page.click("#dev-signin-submit")
    page.wait_for_url(f"**{next_path}")


def finish(page, name: str) -> str:
    page.click("#to-confirm")
    page.wait_for_url("**/confirm/")
    check_page(page, f"{name}_confirm")
    page.click("#submit-application")
    page.wait_for_url("**/done/")
    check_page(page, f"{name}_done")
    return page.inner_text("#receipt-number").strip()


def test_member_files_a_bank_form_with_attachments(phone):
    page = phone
    user, record = insured_member()
    form = get_form("kogaku_kaigo_gassan")
    member_sign_in(page, user, "/applications/file/")
    check_page(page, "02_catalogue")
    page.click(f'[data-form="{form.code}"]')
    check_page(page, "03_record")
    page.click("#choose-record")
    page.wait_for_url("**/drafts/*/")
    check_page(page, "04_entry_bank")
    data = valid_data(form)
    fill_form(page, form, data)
    for key in ("bank_code", "branch_code", "account_number", "holder_name"):
        page.fill(f'[name="bank_account.{key}"]', BANK_ACCOUNT[key])
    attach_required(page, form, data)
    page.click("#save-draft")  # uploads the files and saves the draft
    page.wait_for_selector("#saved")
    assert page.locator(".thumbs img").count() >= 1
    check_page(page, "05_entry_saved")
    receipt = finish(page, "06_bank")
    application = Application.objects.get(receipt_number=receipt)
    assert application.applicant_id == user.pk and application.record_id == record.pk
    assert application.status == ApplicationStatus.RECEIVED
    assert application.bank_account["bank_code"] == BANK_ACCOUNT["bank_code"]
    assert application.attachments.count() >= 1
    page.goto(f"{page.base_url}/applications/mine/")
    assert receipt in page.inner_text("#my-applications")
    check_page(page, "07_list")


def test_member_files_a_required_when_form_in_english(phone):
    page = phone
    user, _record = insured_member()
    form = get_form("gendogaku")
    member_sign_in(page, user, "/applications/file/")
    page.select_option("#lang-select", "en")
    page.click(".lang-switch button")
    page.wait_for_selector("text=Choose a form")
    page.click(f'[data-form="{form.code}"]')
    page.click("#choose-record")
    page.wait_for_url("**/drafts/*/")
    name_field = page.locator("#wrap-id_data-target_name")
    assert name_field.is_hidden()  # required_when: hidden until "family member" is chosen
    data = valid_data(form)
    data.update(
        target="dependent",
        target_name="協会 花子",
        target_kana="キョウカイ ハナコ",
        target_birth_date="2010-04-01",
    )
    fill_form(page, form, data)
    assert name_field.is_visible()
    assert "Enter this when" in name_field.inner_text()
    check_page(page, "11_entry_required_when_en")
    # An error is shown beside its field and the page says so.
    page.fill('[name="data.target_name"]', "")
    page.click("#to-confirm")
    page.wait_for_selector("#error-summary")
    assert page.locator("#err-id_data-target_name").is_visible()
    check_page(page, "12_entry_error_en")
    page.fill('[name="data.target_name"]', "協会 花子")
    receipt = finish(page, "13_required_when_en")
    assert "Your application has been received" in page.content()
    application = Application.objects.get(receipt_number=receipt)
    assert application.data["target"] == "dependent"
    assert application.data["target_name"] == "協会 花子"


def test_attorney_files_for_a_member(phone):
    page = phone
    attorney = AttorneyFactory()
    _member, record = insured_member()
    form = get_form("shikaku_kakuninsho")
    page.goto(f"{page.base_url}/applications/file/")
    page.click("#attorney-signin-link")
    check_page(page, "21_attorney_signin")
    page.fill("#id_username", attorney.username)
    page.fill("#id_password", PASSWORD)
    page.click("button.primary")
    page.wait_for_url("**/applications/file/")
    assert page.locator('[data-form="tokutei_kenshin"]').count() == 0  # no 保健 forms
    page.click(f'[data-form="{form.code}"]')
    page.fill("#id_symbol", record.symbol)
    page.fill("#id_number", record.number)
    page.fill("#id_branch_number", record.branch_number)
    page.fill("#id_birth_date", record.birth_date.isoformat())
    check_page(page, "22_attorney_record")
    page.click("#choose-record")
    page.wait_for_url("**/drafts/*/")
    data = valid_data(form)
    fill_form(page, form, data)
    receipt = finish(page, "23_attorney")
    application = Application.objects.get(receipt_number=receipt)
    assert application.applicant_id == attorney.pk and application.record_id == record.pk
