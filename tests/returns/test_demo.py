"""Demo data: the demo's returned applications have catalogue reasons and built packages."""

from __future__ import annotations

import pytest

from demo.returns import build_demo_packages
from returns.models import PackageState, ReturnMessage
from tests.factories.applications import ApplicationFactory
from tests.factories.core import MemberUserFactory

pytestmark = pytest.mark.django_db


def test_member1_finds_a_built_package_and_a_second_run_changes_nothing():
    member = MemberUserFactory(username="member1")
    ApplicationFactory(
        applicant=member,
        returned=True,
        status_comment="所得区分の確認書類が不足しています。添付して再申請してください。",
    )
    ApplicationFactory(returned=True)  # another (bulk) member
    ApplicationFactory(completed=True, applicant=member)
    assert build_demo_packages(bulk=1) == 2
    message = ReturnMessage.objects.get(recipient=member)
    assert message.packages.get().state == PackageState.READY
    assert [r.reason.code for r in message.reasons.all()] == ["attachment_missing"]
    assert build_demo_packages(bulk=1) == 0
    assert ReturnMessage.objects.count() == 2
