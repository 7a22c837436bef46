"""The reviewer returns an application with reasons in the admin and sees the package, its
state and versions; regenerates it; headquarters maintains the reason catalogue."""

from __future__ import annotations

import pytest
from django.urls import reverse

from applications.models import ApplicationStatus
from returns import services
from returns.models import PackageState, ReturnMessage, ReturnReason
from tests.returns.support import built, return_it, reviewing_application

pytestmark = pytest.mark.django_db


def change_url(application) -> str:
    return reverse("admin:applications_application_change", args=[application.pk])


def test_reviewer_returns_with_reasons_in_the_admin(client, reviewer):
    application = reviewing_application()
    client.force_login(reviewer)
    page = client.get(change_url(application))
    assert page.status_code == 200
    assert 'id="return-form"' in page.content.decode()
    response = client.post(
        reverse("admin:applications_application_return", args=[application.pk]),
        {
            "expected_version": application.version,
            "reason_0": "certification_missing",
            "field_0": "",
            "text_0": "事業主の証明欄が未記入です。",
            "reason_1": "entry_error",
            "field_1": "leave_from",
            "text_1": "",
        },
    )
    assert response.status_code == 302
    application.refresh_from_db()
    assert application.status == ApplicationStatus.RETURNED
    message = ReturnMessage.objects.get(application=application)
    assert [r.reason.code for r in message.reasons.all()] == [
        "certification_missing",
        "entry_error",
    ]
    page = client.get(change_url(application)).content.decode()
    assert "作成待ち" in page and "未開封" in page
    assert 'id="return-form"' not in page  # returned: no second return


def test_package_state_and_versions_on_the_page_and_regenerate(client, reviewer):
    application = reviewing_application()
    message = return_it(application, reviewer)
    built(message)
    client.force_login(reviewer)
    response = client.post(
        reverse("admin:applications_application_regenerate", args=[application.pk])
    )
    assert response.status_code == 302
    assert list(message.packages.order_by("version").values_list("state", flat=True)) == [
        PackageState.READY,
        PackageState.PENDING,
    ]
    page = client.get(change_url(application)).content.decode()
    assert "第1版" in page and "第2版" in page and "作成済み" in page


def test_failed_package_is_visible_and_retried_from_the_package_admin(client, reviewer):
    message = return_it(reviewing_application(), reviewer)
    package = message.packages.get()
    package.state = PackageState.FAILED
    package.error = "RuntimeError: boom"
    package.save()
    client.force_login(reviewer)
    listing = client.get(reverse("admin:returns_returnpackage_changelist"))
    assert "作成失敗" in listing.content.decode()
    client.post(
        reverse("admin:returns_returnpackage_changelist"),
        {"action": "retry_failed", "_selected_action": [package.pk]},
    )
    package.refresh_from_db()
    assert package.state == PackageState.PENDING


def test_other_branch_sees_no_package(client, reviewer, osaka_reviewer):
    message = return_it(reviewing_application(), reviewer)
    package = message.packages.get()
    client.force_login(osaka_reviewer)
    listing = client.get(reverse("admin:returns_returnpackage_changelist"))
    assert message.application.receipt_number not in listing.content.decode()
    detail = client.get(reverse("admin:returns_returnpackage_change", args=[package.pk]))
    assert detail.status_code in (302, 404)


def test_only_headquarters_edits_the_reason_catalogue(client, hq_admin, reviewer):
    client.force_login(hq_admin)
    url = reverse("admin:returns_returnreason_add")
    response = client.post(
        url,
        {
            "code": "photo_blurred",
            "label": "写真が不鮮明",
            "order": 5,
            "active": "on",
            "guidance": "",
        },
    )
    assert response.status_code == 302
    assert ReturnReason.objects.filter(code="photo_blurred").exists()
    client.force_login(reviewer)
    assert client.get(url).status_code == 403


def test_return_reasons_service_refuses_inactive_reason(reviewer):
    ReturnReason.objects.filter(code="deadline_passed").update(active=False)
    with pytest.raises(services.ServiceError):
        return_it(
            reviewing_application(), reviewer, reasons=[services.ReasonInput("deadline_passed")]
        )


def test_plain_status_form_return_records_message_in_the_same_transaction(client, reviewer):
    application = reviewing_application()
    client.force_login(reviewer)
    url = reverse("admin:applications_application_status", args=[application.pk])
    empty = client.post(
        url, {"to_status": "returned", "comment": "", "expected_version": application.version},
        follow=True,
    )  # fmt: skip
    assert "状況コメント（理由）を入力してください" in empty.content.decode()
    assert not ReturnMessage.objects.exists()
    client.post(
        url,
        {"to_status": "returned", "comment": "事業主の証明欄が未記入です。",
         "expected_version": application.version},
    )  # fmt: skip
    application.refresh_from_db()
    assert application.status == ApplicationStatus.RETURNED
    assert "事業主の証明欄が未記入です。" in application.status_comment
    assert "電子ポスト" in application.status_comment
    message = ReturnMessage.objects.get(application=application)
    assert message.reasons.get().text == "事業主の証明欄が未記入です。"
    assert message.packages.get().state == PackageState.PENDING
