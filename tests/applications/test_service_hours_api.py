"""Service hours (seed 000): members and attorneys file on business days 08:00–21:00 JST;
staff at any time; drafts at any time. Outside them: 403 with when filing reopens."""

from __future__ import annotations

from datetime import datetime

import pytest
from django.contrib.auth.models import Group
from django.utils.http import parse_http_date

from applications.forms_catalogue import get_form
from applications.models import Application
from core.jp.calendar import JST
from core.roles import REVIEWER
from tests.applications.filing_support import (
    client_for,
    filing_payload,
    identity_of,
    insured_member,
    submit,
)
from tests.factories.core import AttorneyFactory, BranchStaffFactory

pytestmark = pytest.mark.django_db

FORM = "gendogaku"


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=JST)


@pytest.mark.parametrize(
    "moment, reopens",
    [
        # 勤労感謝の日 (Monday 2026-11-23): next opening Tuesday 8:00.
        (at(2026, 11, 23, 10, 0), "次の受付開始は2026年11月24日（火）8時00分です。"),
        # Year-end closure: 12/30 → Monday 2027-01-04.
        (at(2026, 12, 30, 10, 0), "次の受付開始は2027年1月4日（月）8時00分です。"),
        # Saturday → Monday.
        (at(2026, 3, 14, 10, 0), "次の受付開始は2026年3月16日（月）8時00分です。"),
        # Weekday 21:00 sharp → the next morning.
        (at(2026, 3, 11, 21, 0), "次の受付開始は2026年3月12日（木）8時00分です。"),
        # Weekday 07:59 → 8:00 the same day.
        (at(2026, 3, 11, 7, 59), "次の受付開始は2026年3月11日（水）8時00分です。"),
    ],
)
def test_members_are_refused_outside_service_hours_with_the_reopening_time(moment, reopens):
    user, record = insured_member()
    response = submit(client_for(user), filing_payload(get_form(FORM), record=record), at=moment)
    assert response.status_code == 403
    body = response.json()
    assert body["errors"] == {}
    assert body["detail"].startswith("電子申請の受付時間外です。")
    assert body["detail"].endswith(reopens)
    assert parse_http_date(response["Retry-After"]) > moment.timestamp()
    assert not Application.objects.exists()


def test_attorneys_are_refused_at_night_too():
    _, record = insured_member()
    payload = filing_payload(get_form(FORM), identity=identity_of(record))
    response = submit(client_for(AttorneyFactory()), payload, at=at(2026, 3, 11, 23, 30))
    assert response.status_code == 403
    assert "次の受付開始は2026年3月12日（木）8時00分です。" in response.json()["detail"]


def test_a_weekday_at_20_59_is_accepted():
    user, record = insured_member()
    payload = filing_payload(get_form(FORM), record=record)
    response = submit(client_for(user), payload, at=at(2026, 3, 11, 20, 59, 59))
    assert response.status_code == 201, response.json()
    assert response.json()["receipt_number"].startswith("20260311")


def test_the_receipt_date_is_the_japanese_date():
    # 08:30 JST is still the previous day in UTC.
    user, record = insured_member()
    payload = filing_payload(get_form(FORM), record=record)
    response = submit(client_for(user), payload, at=at(2026, 3, 12, 8, 30))
    assert response.json()["receipt_number"].startswith("20260312")


def test_staff_are_not_limited_by_service_hours():
    _, record = insured_member()
    staff = BranchStaffFactory(branch=record.branch)
    staff.groups.add(Group.objects.get(name=REVIEWER))  # paper intake is the reviewers' work
    payload = filing_payload(get_form(FORM), identity=identity_of(record))
    response = submit(client_for(staff), payload, at=at(2026, 1, 1, 3, 0))
    assert response.status_code == 201, response.json()
    assert response.json()["receipt_number"].startswith("20260101")


def test_staff_only_file_for_records_of_their_branch(osaka):
    _, record = insured_member()
    staff = BranchStaffFactory(branch=osaka)
    staff.groups.add(Group.objects.get(name=REVIEWER))
    payload = filing_payload(get_form(FORM), identity=identity_of(record))
    response = submit(client_for(staff), payload)
    assert response.status_code == 400 and "record" in response.json()["errors"]


@pytest.mark.parametrize("moment", [at(2026, 3, 14, 2, 0), at(2026, 12, 31, 23, 0)])
def test_drafts_are_saved_at_any_time(moment):
    user, record = insured_member()
    payload = filing_payload(get_form(FORM), record=record, files=[], draft="true")
    response = submit(client_for(user), payload, at=moment)
    assert response.status_code == 201, response.json()
    assert response.json()["status"] == "draft" and response.json()["receipt_number"] is None


def test_the_demo_setting_lets_members_file_at_any_hour(settings):
    settings.FILING_ANY_HOUR = True
    user, record = insured_member()
    moment = at(2026, 12, 30, 23, 30)  # year-end closure, at night
    response = submit(client_for(user), filing_payload(get_form(FORM), record=record), at=moment)
    assert response.status_code == 201, response.content
    assert Application.objects.count() == 1


def test_check_deploy_fails_while_the_demo_setting_is_on(settings):
    from django.core.checks import run_checks

    settings.FILING_ANY_HOUR = True
    errors = [e for e in run_checks(include_deployment_checks=True) if e.id == "applications.E001"]
    assert errors and errors[0].is_serious()
    # Not a normal check: `runserver` and `migrate` still run for the demo.
    assert not [e for e in run_checks() if e.id == "applications.E001"]
    settings.FILING_ANY_HOUR = False
    assert not [
        e for e in run_checks(include_deployment_checks=True) if e.id == "applications.E001"
    ]
