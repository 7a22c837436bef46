"""applications.demo: bulk applications consistent with the receipt counters."""

from __future__ import annotations

import pytest

from applications import demo
from applications.models import Application, ApplicationStatus, ReceiptCounter, StatusChange
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
