"""Resubmission on a phone (390×844, headless Chromium), in Japanese and in English: the member
opens their list, follows the returned application to its message, presses 「この申請を修正して
再申請する」, corrects the draft (bank account, a missing attachment; the returned attachments
carried over), confirms and gets a new 受付番号; the new application is linked to the returned
one. axe-core and the CSP watch on every page, as on the rest of the member site."""

from __future__ import annotations

import pytest

from applications.models import Application, ApplicationStatus
from tests.applications.filing_support import BANK_ACCOUNT, png_bytes
from tests.applications.test_member_site_browser import (  # noqa: F401 (phone is a fixture)
    check_page,
    finish,
    member_sign_in,
    phone,
)
from tests.returns.support import built, return_it, reviewing_application

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def returned_for_member(reviewer):
    from eligibility.models import Person
    from tests.factories.core import MemberUserFactory

    member = MemberUserFactory()
    application = reviewing_application(applicant=member)
    Person.objects.filter(pk=application.record.person_id).update(user=member)
    message = return_it(application, reviewer)
    built(message)
    return member, message


@pytest.mark.parametrize("language", ["ja", "en"])
def test_member_resubmits_a_returned_application(phone, reviewer, language):  # noqa: F811
    page = phone
    member, message = returned_for_member(reviewer)
    member_sign_in(page, member, "/applications/mine/")
    if language == "en":
        page.select_option("#lang-select", "en")
        page.click(".lang-switch button")
        page.wait_for_selector("html[lang=en]")
    check_page(page, f"31_list_{language}")
    page.click(f'[data-return-message="{message.pk}"]')
    page.wait_for_url(f"**/returns/{message.pk}/")
    check_page(page, f"32_message_{language}")
    page.click("#resubmit")
    page.wait_for_url("**/drafts/*/")
    assert message.application.receipt_number in page.inner_text("#resubmission-note")
    assert page.locator("#wrap-id_file-employer_certificate .thumbs li").count() == 2
    check_page(page, f"33_entry_{language}")
    # The correction: the bank account the return asked for, and the doctor's page.
    for key in ("bank_code", "branch_code", "account_number", "holder_name"):
        page.fill(f'[name="bank_account.{key}"]', BANK_ACCOUNT[key])
    page.set_input_files(
        '[name="file.doctor_certificate"]',
        files=[{"name": "doctor.png", "mimeType": "image/png", "buffer": png_bytes(64)}],
    )
    receipt = finish(page, f"34_resubmit_{language}")
    assert receipt and receipt != message.application.receipt_number
    filed = Application.objects.get(receipt_number=receipt)
    assert filed.status == ApplicationStatus.RECEIVED
    assert filed.resubmission_of_id == message.application_id
    assert filed.applicant_id == member.pk
    assert filed.attachments.count() == 3
