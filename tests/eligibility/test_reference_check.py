"""The nightly reference check: scheduled, kept, and shown to headquarters in the admin."""

from __future__ import annotations

from celery.schedules import crontab
from django.conf import settings

from eligibility.models import EligibilityRecord, ReferenceCheck
from eligibility.tasks import check_references
from tests.factories.eligibility import InsuredRecordFactory

ALERT = "資格情報の参照先に不整合があります"


def test_it_is_scheduled_nightly():
    entry = settings.CELERY_BEAT_SCHEDULE["eligibility-check-references"]
    assert entry["task"] == check_references.name
    assert isinstance(entry["schedule"], crontab)
    assert entry["schedule"].hour == {2}


def test_a_clean_table_raises_no_alert(client, hq_admin, tokyo):
    InsuredRecordFactory(employer__branch=tokyo)
    assert not any(check_references().values())
    assert ReferenceCheck.objects.latest("checked_at").broken_total == 0
    client.force_login(hq_admin)
    assert ALERT not in client.get("/admin/").content.decode()


def test_a_broken_reference_alerts_headquarters_only(client, hq_admin, tokyo_admin, tokyo):
    record = InsuredRecordFactory(employer__branch=tokyo)
    EligibilityRecord.objects.filter(pk=record.pk).update(employer_id=record.employer_id + 1000)

    assert check_references()["employer"] == 1

    client.force_login(hq_admin)
    page = client.get("/admin/").content.decode()
    assert ALERT in page and "事業所 1件" in page
    assert client.get("/admin/eligibility/referencecheck/").status_code == 200
    client.force_login(tokyo_admin)
    assert ALERT not in client.get("/admin/").content.decode()
    assert client.get("/admin/eligibility/referencecheck/").status_code == 403


def test_a_later_clean_check_ends_the_alert(client, hq_admin, tokyo):
    ReferenceCheck.objects.create(broken={"employer": 1}, broken_total=1)
    check_references()
    client.force_login(hq_admin)
    assert ALERT not in client.get("/admin/").content.decode()
