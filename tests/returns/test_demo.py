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


@pytest.mark.parametrize(
    ("comment", "code"),
    [
        ("送付先の住所の番地が記入されていません。正しい住所で再申請してください。", "entry_error"),
        (
            "医師の意見欄の記載が確認できません。記入を受けて再申請してください。",
            "certification_missing",
        ),
        ("振込先口座の名義が申請者と異なります。", "bank_mismatch"),
        ("所得区分の確認書類が不足しています。添付して再申請してください。", "attachment_missing"),
    ],
)
def test_a_comment_gets_the_catalogue_reason_it_describes(comment, code):
    member = MemberUserFactory(username="member1")
    ApplicationFactory(applicant=member, returned=True, status_comment=comment)
    build_demo_packages(bulk=0)
    message = ReturnMessage.objects.get(recipient=member)
    assert [r.reason.code for r in message.reasons.all()] == [code]
