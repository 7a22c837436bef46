"""The review admin with the test client: queue, scope, filters, search, detail, forms."""

from __future__ import annotations

import io
import random
from datetime import date

import pytest
from django.contrib.auth.models import Permission
from django.contrib.messages import get_messages
from django.core.files.base import ContentFile
from django.urls import reverse
from PIL import Image

from applications.forms_catalogue import FormDefinition, all_forms
from applications.models import Application, ApplicationAttachment, ApplicationStatus
from applications.selectors import application_search_q as search_filter
from core.jp.era import format_wareki
from core.models import AuditEvent
from demo.applications import sample_form_data
from tests.factories.applications import ApplicationFactory
from tests.factories.core import MemberUserFactory

S = ApplicationStatus
pytestmark = pytest.mark.django_db
CHANGELIST = reverse("admin:applications_application_changelist")
FILED_ON = date(2026, 3, 10)


def change_url(application: Application) -> str:
    return reverse("admin:applications_application_change", args=[application.pk])


def status_url(application: Application) -> str:
    return reverse("admin:applications_application_status", args=[application.pk])


def png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 30, 30)).save(buffer, format="PNG")
    return buffer.getvalue()


def attach(application: Application, *, kind: str = "receipt", pdf: bool = False):
    content = b"%PDF-1.4\n%test\n" if pdf else png_bytes()
    attachment = ApplicationAttachment(
        application=application,
        kind=kind,
        original_filename="receipt.pdf" if pdf else "receipt.png",
        content_type="application/pdf" if pdf else "image/png",
        size=len(content),
        sha256="0" * 64,
    )
    attachment.file.save("test.pdf" if pdf else "test.png", ContentFile(content), save=False)
    attachment.save()
    return attachment


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def filed(form: FormDefinition, **kwargs) -> Application:
    data = sample_form_data(form, random.Random(form.code), FILED_ON)
    bank = None
    if form.pays_money:
        bank = {
            "bank_code": "0001",
            "bank_name": "みずほ",
            "branch_code": "001",
            "branch_name": "東京営業部",
            "account_type": "1",
            "account_number": "1234567",
            "holder_kana": "ｷﾖｳｶｲ ﾀﾛｳ",
            "account_type_label": "普通",
        }
    return ApplicationFactory(
        form_code=form.code, form_version=form.version, data=data, bank_account=bank, **kwargs
    )


# --- queue ---------------------------------------------------------------------------------------


def test_branch_reviewer_sees_only_the_branch_queue_without_drafts(client, reviewer, osaka):
    mine = ApplicationFactory()
    theirs = ApplicationFactory(record__employer__branch=osaka)
    draft = ApplicationFactory(draft=True)
    client.force_login(reviewer)
    response = client.get(CHANGELIST)
    assert response.status_code == 200
    body = response.content.decode()
    assert mine.receipt_number in body
    assert theirs.receipt_number not in body
    assert f"/{draft.pk}/change/" not in body
    assert "限度額適用認定申請書" in body  # the form name from the catalogue
    assert response.context["cl"].paginator.__class__.__name__ == "EstimatedCountPaginator"


def test_other_branch_detail_is_not_reachable(client, reviewer, osaka):
    theirs = ApplicationFactory(record__employer__branch=osaka)
    client.force_login(reviewer)
    response = client.get(change_url(theirs))
    assert response.status_code == 302  # the admin's "does not exist" redirect
    assert theirs.name not in client.get(response.url).content.decode()
    response = client.post(
        status_url(theirs), {"to_status": S.REVIEWING, "comment": "", "expected_version": 1}
    )
    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == S.RECEIVED


def test_headquarters_sees_every_branch_with_a_branch_column_and_filter(client, hq_admin, osaka):
    tokyo_app = ApplicationFactory()
    osaka_app = ApplicationFactory(record__employer__branch=osaka)
    hq_admin.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_application", "change_application"])
    )
    client.force_login(hq_admin)
    body = client.get(CHANGELIST).content.decode()
    assert tokyo_app.receipt_number in body and osaka_app.receipt_number in body
    assert "大阪支部" in body
    body = client.get(CHANGELIST, {"branch": osaka.pk}).content.decode()
    assert osaka_app.receipt_number in body and tokyo_app.receipt_number not in body


def test_filters(client, reviewer):
    received = ApplicationFactory()
    reviewing = ApplicationFactory(reviewing=True, form_code="shobyo_teate")
    reviewing.assigned_reviewer = reviewer
    reviewing.save()
    client.force_login(reviewer)

    def shown(params):
        body = client.get(CHANGELIST, params).content.decode()
        return {a.receipt_number for a in (received, reviewing) if a.receipt_number in body}

    assert shown({"status": S.REVIEWING}) == {reviewing.receipt_number}
    assert shown({"status": S.RECEIVED}) == {received.receipt_number}
    assert shown({"form": "shobyo_teate"}) == {reviewing.receipt_number}
    assert shown({"reviewer": "me"}) == {reviewing.receipt_number}
    assert shown({"reviewer": "none"}) == {received.receipt_number}
    assert shown({"reviewer": str(reviewer.pk)}) == {reviewing.receipt_number}
    today = received.submitted_at.date()
    # The admin's date filter sends aware datetimes (Japan time), as here.
    assert (
        shown(
            {
                "submitted_at__gte": "2000-01-01 00:00:00+09:00",
                "submitted_at__lt": "2001-01-01 00:00:00+09:00",
            }
        )
        == set()
    )
    assert len(shown({"submitted_at__gte": f"{today.isoformat()} 00:00:00+09:00"})) == 2
    body = client.get(CHANGELIST).content.decode()
    assert "審査担当者" in body and "申請書" in body
    assert "過去 7 日間" in body and "日付なし" not in body
    assert f"{reviewer.last_name} {reviewer.first_name}" in body  # 氏名 in Japanese order


def test_searches(client, reviewer):
    app = ApplicationFactory(name_kana="ヤマダ　タロウ", name="山田　太郎")
    other = ApplicationFactory(name_kana="スズキ　ハナコ", name="鈴木　花子")
    client.force_login(reviewer)

    def found(term):
        body = client.get(CHANGELIST, {"q": term}).content.decode()
        return {a.pk for a in (app, other) if f"/{a.pk}/change/" in body}

    assert found(app.receipt_number) == {app.pk}
    assert found(f"{app.symbol}-{app.number}") == {app.pk}
    assert found(f"{app.symbol}・{app.number}・00") == {app.pk}
    fullwidth = f"{app.symbol}-{app.number}".translate(
        str.maketrans("0123456789-", "０１２３４５６７８９－")
    )
    assert found(fullwidth) == {app.pk}
    assert found("ヤマダ") == {app.pk}
    assert found("やまだ　たろう") == {app.pk}  # hiragana and the space are normalised
    assert found("ﾔﾏﾀﾞ") == {app.pk}
    assert found("山田") == {app.pk}
    assert found("タロウ") == set()  # prefix search on the reading


def test_search_filter_uses_exact_and_prefix_lookups():
    assert "receipt_number__in" in str(search_filter("2026112200000001"))
    assert "symbol" in str(search_filter("12345678-12")) and "number__in" in str(
        search_filter("12345678-12")
    )
    assert "name_kana__startswith" in str(search_filter("たなか"))
    assert search_filter("  ") is None


# --- detail -------------------------------------------------------------------------------------


def test_detail_shows_labels_wareki_attachments_bank_and_history(client, reviewer):
    form = next(f for f in all_forms() if f.code == "shobyo_teate")
    app = filed(form)
    attach(app)
    attach(app, kind="receipt", pdf=True)
    client.force_login(reviewer)
    response = client.get(change_url(app))
    assert response.status_code == 200
    body = response.content.decode()
    for spec in form.fields:
        assert spec.label in body
    leave_from = date.fromisoformat(app.data["leave_from"])
    assert format_wareki(leave_from) in body and leave_from.isoformat() in body
    assert '<img src="/applications/attachments/' in body
    assert "PDFを開く" in body
    assert "振込先口座" in body and "東京営業部" in body and "普通" in body
    assert "状況履歴" in body and "受付" in body
    assert "申請時に選択された資格情報" in body and app.record.symbol_number in body
    assert 'name="expected_version"' in body and f'value="{app.version}"' in body
    # The next statuses only: 受付 → 審査中.
    assert '<option value="reviewing">' in body and '<option value="completed">' not in body
    # Read-only: no save button, and POST to the change page is refused.
    assert 'name="_save"' not in body
    assert client.post(change_url(app), {"status": S.COMPLETED}).status_code == 403
    event = AuditEvent.objects.get(action=AuditEvent.Action.VIEW, object_id=str(app.pk))
    assert event.actor == reviewer and event.branch_id == app.branch_id


@pytest.mark.parametrize("form", all_forms(), ids=lambda f: f.code)
def test_every_catalogue_form_can_be_reviewed_to_each_final_status(client, reviewer, form):
    client.force_login(reviewer)
    for final, comment in ((S.COMPLETED, ""), (S.RETURNED, "添付書類が不足しています。")):
        app = filed(form)
        response = client.get(change_url(app))
        assert response.status_code == 200
        body = response.content.decode()
        assert form.name in body
        for spec in form.fields:
            assert spec.label in body
        for step, text in ((S.REVIEWING, "審査を開始します。"), (final, comment)):
            app.refresh_from_db()
            response = client.post(
                status_url(app),
                {"to_status": step, "comment": text, "expected_version": app.version},
            )
            assert response.status_code == 302
        app.refresh_from_db()
        assert app.status == final
        assert app.status_changes.count() == 3


# --- status and assignment forms -----------------------------------------------------------------


def test_status_change_through_the_admin_form_and_stale_form_rejected(client, reviewer):
    app = ApplicationFactory()
    client.force_login(reviewer)
    shown_version = app.version
    response = client.post(
        status_url(app),
        {
            "to_status": S.REVIEWING,
            "comment": "審査を開始しました。",
            "expected_version": shown_version,
        },
    )
    assert response.status_code == 302 and response.url == change_url(app)
    assert any("審査中" in m for m in messages_of(response))
    app.refresh_from_db()
    assert (app.status, app.status_comment) == (S.REVIEWING, "審査を開始しました。")

    # A second tab still showing the old version tries to return it.
    response = client.post(
        status_url(app),
        {"to_status": S.RETURNED, "comment": "不足", "expected_version": shown_version},
    )
    assert any("他の審査担当者" in m for m in messages_of(response))
    app.refresh_from_db()
    assert app.status == S.REVIEWING

    response = client.post(
        status_url(app), {"to_status": S.RETURNED, "comment": "", "expected_version": app.version}
    )
    assert any("状況コメント" in m for m in messages_of(response))
    response = client.post(
        status_url(app),
        {
            "to_status": S.RETURNED,
            "comment": "領収書を添付してください。",
            "expected_version": app.version,
        },
    )
    app.refresh_from_db()
    assert app.status == S.RETURNED
    body = client.get(change_url(app)).content.decode()
    assert "この状況からは変更できません" in body
    assert client.get(status_url(app)).status_code == 405


def test_assign_form(client, reviewer):
    app = ApplicationFactory()
    client.force_login(reviewer)
    url = reverse("admin:applications_application_assign", args=[app.pk])
    response = client.post(url, {"reviewer": reviewer.pk, "expected_version": app.version})
    assert response.status_code == 302
    app.refresh_from_db()
    assert app.assigned_reviewer == reviewer
    body = client.get(change_url(app)).content.decode()
    assert f'<option value="{reviewer.pk}" selected>' in body


def test_actions_take_into_review_and_assign_to_me(client, reviewer):
    apps = ApplicationFactory.create_batch(2)
    done = ApplicationFactory(completed=True)
    client.force_login(reviewer)
    ids = [str(a.pk) for a in [*apps, done]]
    everything = f"{CHANGELIST}?status=all"  # the default view hides what is finished
    response = client.post(
        everything, {"action": "take_into_review", "_selected_action": ids}, follow=True
    )
    texts = [str(m) for m in response.context["messages"]]
    assert any("2件を審査中にしました" in t for t in texts)
    assert any("1件は処理しませんでした" in t and done.receipt_number in t for t in texts)
    assert Application.objects.filter(status=S.REVIEWING).count() == 2
    response = client.post(
        everything, {"action": "assign_to_me", "_selected_action": ids}, follow=True
    )
    assert Application.objects.filter(assigned_reviewer=reviewer).count() == 3


# --- attachments --------------------------------------------------------------------------------


def test_attachment_view_is_scoped_audited_and_staff_only(client, reviewer, osaka_reviewer):
    app = ApplicationFactory()
    attachment = attach(app)
    url = reverse("applications:attachment", args=[attachment.pk])
    client.force_login(reviewer)
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == png_bytes()
    event = AuditEvent.objects.get(action=AuditEvent.Action.DOWNLOAD)
    assert event.object_type == "applications.applicationattachment"
    assert event.branch_id == app.branch_id and event.actor == reviewer

    client.force_login(osaka_reviewer)
    assert client.get(url).status_code == 404
    member = MemberUserFactory()
    client.force_login(member)
    assert client.get(url).status_code == 403
    client.logout()
    assert client.get(url).status_code == 403
    assert AuditEvent.objects.filter(action=AuditEvent.Action.DOWNLOAD).count() == 1


def test_changelist_query_count_is_fixed(client, reviewer, django_assert_max_num_queries):
    ApplicationFactory.create_batch(3)
    client.force_login(reviewer)
    client.get(CHANGELIST)
    with django_assert_max_num_queries(12) as ctx:
        client.get(CHANGELIST)
    few = len(ctx.captured_queries)
    ApplicationFactory.create_batch(20, assigned_reviewer=reviewer)
    with django_assert_max_num_queries(few):
        client.get(CHANGELIST)


def test_kana_search_lists_like_a_phone_book(client, reviewer):
    taro = ApplicationFactory(name_kana="ヤマダ　タロウ")
    akiko = ApplicationFactory(name_kana="ヤマダ　アキコ")
    ApplicationFactory(name_kana="スズキ　ハナコ")
    client.force_login(reviewer)
    rows = list(client.get(CHANGELIST, {"q": "ヤマダ"}).context["cl"].result_list)
    assert [a.pk for a in rows] == [akiko.pk, taro.pk]
    # Other searches list newest first.
    rows = list(client.get(CHANGELIST, {"q": taro.symbol}).context["cl"].result_list)
    assert rows[0].submitted_at >= rows[-1].submitted_at


# --- a reviewer's day: the form remembers, the page says each thing once ------------------------


def test_refused_status_form_keeps_the_chosen_status_and_comment(client, reviewer):
    app = ApplicationFactory(reviewing=True, assigned_reviewer=reviewer)
    client.force_login(reviewer)
    body = client.get(change_url(app)).content.decode()
    # Nothing is preselected: the reviewer picks the status.
    assert '<option value="" selected>（選択してください）</option>' in body

    # 返戻 without a comment: refused, and the page comes back with 返戻 still chosen.
    response = client.post(
        status_url(app), {"to_status": S.RETURNED, "comment": "", "expected_version": app.version}
    )
    assert any("状況コメント" in m for m in messages_of(response))
    body = client.get(response.url).content.decode()
    assert '<option value="returned" selected>返戻</option>' in body
    assert '<option value="completed">審査完了</option>' in body

    # Any error keeps the typed comment too (here a stale version).
    response = client.post(
        status_url(app),
        {"to_status": S.RETURNED, "comment": "証明欄を記入してください。", "expected_version": 99},
    )
    body = client.get(response.url).content.decode()
    assert '<option value="returned" selected>返戻</option>' in body
    assert "証明欄を記入してください。</textarea>" in body
    # Only once: the next visit shows a fresh form.
    body = client.get(change_url(app)).content.decode()
    assert '<option value="" selected>' in body and "証明欄を記入してください。" not in body

    # No status chosen: refused with a Japanese message, nothing changes.
    response = client.post(
        status_url(app), {"to_status": "", "comment": "x", "expected_version": app.version}
    )
    assert "変更後の状況を選んでください。" in messages_of(response)
    app.refresh_from_db()
    assert app.status == S.REVIEWING


def test_detail_shows_status_comment_and_reviewer_once_and_people_not_logins(client, reviewer):
    from tests.factories.core import AttorneyFactory

    attorney = AttorneyFactory(username="sr-login-name", last_name="社労", first_name="太郎")
    app = ApplicationFactory(applicant=attorney)
    ApplicationFactory._meta.model.objects.filter(pk=app.pk).update(status_comment="確認中です。")
    client.force_login(reviewer)
    client.post(
        status_url(app),
        {"to_status": S.REVIEWING, "comment": "審査を開始します。", "expected_version": 1},
    )
    body = client.get(change_url(app)).content.decode()
    assert body.count("審査を開始します。") == 2  # the panel and the history row
    assert body.count('id="current-status"') == 1
    assert "→" not in body  # no "→ 受付" labels in the history
    assert "社会保険労務士 社労 太郎" in body and "sr-login-name" not in body
    assert f"{reviewer.last_name} {reviewer.first_name}" in body
    # 支部 is text, not a link to a page the reviewer may not open; no user links either.
    assert "/admin/core/branch/" not in body and "/admin/core/user/" not in body
    assert "東京支部" in body

    member_app = ApplicationFactory()
    body = client.get(change_url(member_app)).content.decode()
    assert '<td id="applicant-label">本人</td>' in body


def test_returned_straight_from_received_in_the_admin(client, reviewer):
    app = ApplicationFactory()
    client.force_login(reviewer)
    body = client.get(change_url(app)).content.decode()
    assert '<option value="returned">返戻</option>' in body
    client.post(
        status_url(app),
        {"to_status": S.RETURNED, "comment": "添付書類がありません。", "expected_version": 1},
    )
    app.refresh_from_db()
    assert app.status == S.RETURNED
