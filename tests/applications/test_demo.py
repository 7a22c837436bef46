"""demo.applications: bulk applications consistent with the receipt counters."""

from __future__ import annotations

import pytest

from applications.models import Application, ApplicationStatus, ReceiptCounter, StatusChange
from demo import applications as demo
from tests.factories.eligibility import InsuredRecordFactory, VoluntaryRecordFactory

pytestmark = pytest.mark.django_db


def test_generate_applications_with_history_and_counters(reviewer):
    InsuredRecordFactory.create_batch(5)
    VoluntaryRecordFactory()
    assert demo.generate(count=300, seed=1, chunk_size=120) == 300
    filed = Application.objects.exclude(status=ApplicationStatus.DRAFT)
    assert Application.objects.count() == 300
    assert filed.filter(receipt_number__isnull=True).count() == 0
    assert len(set(filed.values_list("receipt_number", flat=True))) == filed.count()
    for counter in ReceiptCounter.objects.all():
        numbers = filed.filter(receipt_number__startswith=f"{counter.day:%Y%m%d}")
        assert numbers.count() == counter.last
    assert set(Application.objects.values_list("status", flat=True)) >= {
        ApplicationStatus.COMPLETED,
        ApplicationStatus.RETURNED,
    }
    assert StatusChange.objects.filter(to_status=ApplicationStatus.RECEIVED).count() == (
        filed.count()
    )
    assert Application.objects.filter(applicant__kind="member").exists()
    # A second run continues the serials.
    demo.generate(count=50, seed=2)
    assert Application.objects.count() == 350
    assert (
        Application.objects.exclude(status="draft").values("receipt_number").distinct().count()
        == Application.objects.exclude(status="draft").count()
    )


def test_the_demo_shows_a_working_day(reviewer):
    from datetime import timedelta

    from django.utils import timezone

    from applications.forms_catalogue import get_form
    from applications.models import ApplicationAttachment
    from core.jp.calendar import JST, is_business_day
    from core.prefectures import postal_prefecture

    InsuredRecordFactory.create_batch(8)
    VoluntaryRecordFactory()
    demo.generate(count=600, seed=3)
    S = ApplicationStatus
    today = timezone.localdate()

    # Open applications are recent.
    open_apps = Application.objects.filter(status__in=[S.RECEIVED, S.REVIEWING])
    assert open_apps.exists()
    oldest = min(a.submitted_at for a in open_apps).astimezone(JST).date()
    assert today - oldest <= timedelta(days=demo.OPEN_WITHIN_DAYS)

    # Reviews happen on business days in working hours, after filing.
    reviews = StatusChange.objects.exclude(to_status=S.RECEIVED).select_related("application")
    assert reviews.exists()
    for change in reviews:
        local = change.at.astimezone(JST)
        assert is_business_day(local.date()), change.at
        assert demo.REVIEW_DAY_START <= local.time() < demo.REVIEW_DAY_END, change.at
        assert change.at >= change.application.submitted_at

    # A 返戻 asks for something the form carries.
    returned = Application.objects.filter(status=S.RETURNED)
    assert returned.exists()
    for app in returned:
        assert app.status_comment in demo.return_reasons(get_form(app.form_code, app.form_version))

    # Postal codes of the member's prefecture; letters addressed to the member.
    for app in Application.objects.select_related("branch"):
        for key, value in app.data.items():
            if not isinstance(value, str) or not value:
                continue
            if key.endswith("postal_code"):
                assert postal_prefecture(value) == app.branch.code, (key, value)
            if key.endswith("addressee"):
                assert value == app.name and value != "会社員"
            if key.endswith("address"):
                assert value.startswith(app.branch.prefecture), value

    # Some applications carry a sample image the reviewer can preview.
    attachments = ApplicationAttachment.objects.all()
    assert attachments.exists()
    first = attachments.first()
    assert first.content_type == "image/png"
    with first.file.open("rb") as handle:
        assert handle.read(8) == b"\x89PNG\r\n\x1a\n"


def test_return_reasons_name_only_what_the_form_carries():
    from applications.forms_catalogue import all_forms, get_form

    assert all(demo.return_reasons(form) for form in all_forms())
    gendogaku = demo.return_reasons(get_form("gendogaku"))  # no attachments, no money
    assert not any("添付" in r or "口座" in r for r in gendogaku)
    shobyo = demo.return_reasons(get_form("shobyo_teate"))
    assert any("事業主の証明欄" in r for r in shobyo)
    assert all("事業主" not in r for r in demo.return_reasons(get_form("kogaku_ryoyohi")))


def test_a_demo_branch_has_open_work(reviewer):
    InsuredRecordFactory.create_batch(5)
    demo.generate(count=500, seed=5)
    filed = Application.objects.exclude(status=ApplicationStatus.DRAFT).count()
    still_open = Application.objects.filter(
        status__in=[ApplicationStatus.RECEIVED, ApplicationStatus.REVIEWING]
    ).count()
    # About a fifth is recent and most recent ones are open: a queue, not 3 in 113.
    assert still_open >= filed * 0.08
