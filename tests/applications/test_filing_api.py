"""Filing through REST: the catalogue, who may file what, member fields, attachments, the
applicant's list and detail, drafts and resubmissions."""

from __future__ import annotations

import io
import json

import pytest
from django.core.files.storage import default_storage
from django.urls import reverse
from PIL import ExifTags, Image

from applications.forms_catalogue import all_forms, get_form
from applications.models import Application, ApplicationStatus, StatusChange
from core.models import AuditEvent
from tests.applications.filing_support import (
    OPEN_AT,
    client_for,
    dependent_member,
    filing_payload,
    identity_of,
    insured_member,
    jpeg_with_gps,
    new_key,
    png_bytes,
    stored_files,
    submit,
)
from tests.factories.applications import ApplicationFactory
from tests.factories.core import AttorneyFactory, MemberUserFactory
from tests.factories.eligibility import InsuredRecordFactory

pytestmark = pytest.mark.django_db

LIST = reverse("api-applications")


def detail_url(pk: int) -> str:
    return reverse("api-application", args=[pk])


# --- every form ----------------------------------------------------------------------------------


@pytest.mark.parametrize("form", all_forms(), ids=lambda f: f.code)
def test_every_catalogue_form_can_be_filed_through_the_api(form) -> None:
    user, record = insured_member()
    payload = filing_payload(form, record=record)
    response = submit(client_for(user), payload)

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "received" and body["status_label"] == "受付"
    assert len(body["receipt_number"]) == 16 and body["receipt_number"].startswith("20260311")
    assert body["form_name"] == form.name
    assert body["insurer_name"] == record.branch.insurer_name
    assert (body["symbol"], body["number"], body["branch_number"]) == (
        record.symbol, record.number, record.branch_number)
    assert body["name"] == record.name and body["name_kana"] == record.name_kana
    assert body["birth_date"] == record.birth_date.isoformat()
    assert body["sex"] == (record.sex if form.shows_sex else "")
    assert len(body["attachments"]) == len(payload.get("attachments", []))
    assert [h["to_status"] for h in body["status_history"]] == ["received"]
    if form.pays_money:
        assert body["bank_account"]["bank_code"] == "0001"
        assert body["bank_account"]["holder_kana"] == "ｷﾖｳｶｲ ﾀﾛｳ"
    else:
        assert body["bank_account"] is None
    application = Application.objects.get(pk=body["id"])
    assert application.applicant == user and application.record == record
    assert AuditEvent.objects.filter(
        action=AuditEvent.Action.CREATE, object_id=str(application.pk)
    ).exists()


# --- who may file --------------------------------------------------------------------------------


def test_attorney_files_for_a_member_named_by_symbol_number_and_birth_date() -> None:
    _, record = insured_member()
    attorney = AttorneyFactory()
    form = get_form("shobyo_teate")
    payload = filing_payload(form, identity=identity_of(record))
    response = submit(client_for(attorney), payload)
    assert response.status_code == 201, response.json()
    application = Application.objects.get(pk=response.json()["id"])
    assert application.applicant == attorney and application.record == record
    assert application.name == record.name


def test_attorney_identity_accepts_full_width_digits_and_a_one_digit_branch_number() -> None:
    _, record = insured_member(symbol="13000123", number="45")
    identity = identity_of(record) | {"symbol": "１３０００１２３", "number": "４５",
                                      "branch_number": "0"}
    form = get_form("gendogaku")
    response = submit(client_for(AttorneyFactory()), filing_payload(form, identity=identity))
    assert response.status_code == 201, response.json()


def test_attorney_with_a_wrong_birth_date_gets_a_clear_error() -> None:
    _, record = insured_member()
    identity = identity_of(record) | {"birth_date": "1980-04-03"}
    form = get_form("gendogaku")
    response = submit(client_for(AttorneyFactory()), filing_payload(form, identity=identity))
    assert response.status_code == 400
    message = response.json()["errors"]["record"][0]
    assert "記号・番号・枝番・生年月日のすべてに一致する" in message
    assert "見つかりません" in message
    assert not Application.objects.exists()


def test_attorney_cannot_file_with_a_record_lost_before_today() -> None:
    from datetime import date

    _, record = insured_member(lost_on=date(2026, 3, 1))
    form = get_form("gendogaku")
    response = submit(client_for(AttorneyFactory()),
                      filing_payload(form, identity=identity_of(record)))
    assert response.status_code == 400
    assert "本日時点で有効な" in response.json()["errors"]["record"][0]


def test_attorney_must_give_all_four_identity_fields() -> None:
    _, record = insured_member()
    identity = identity_of(record)
    del identity["birth_date"]
    response = submit(client_for(AttorneyFactory()),
                      filing_payload(get_form("gendogaku"), identity=identity))
    assert response.status_code == 400
    assert response.json()["errors"]["birth_date"] == ["生年月日を入力してください。"]


@pytest.mark.parametrize("form", [f for f in all_forms() if f.category == "health"],
                         ids=lambda f: f.code)
def test_attorneys_are_refused_on_health_forms(form) -> None:
    _, record = insured_member()
    response = submit(client_for(AttorneyFactory()),
                      filing_payload(form, identity=identity_of(record)))
    assert response.status_code == 403
    assert "社会保険労務士の方は電子申請できません" in response.json()["detail"]
    assert not Application.objects.exists()


@pytest.mark.parametrize("form", [f for f in all_forms() if not f.dependents_may_file][:4],
                         ids=lambda f: f.code)
def test_dependents_are_refused_on_forms_they_may_not_file(form) -> None:
    user, record = dependent_member()
    response = submit(client_for(user), filing_payload(form, record=record))
    assert response.status_code == 403
    assert "被扶養者" in response.json()["detail"]
    assert not Application.objects.exists()


@pytest.mark.parametrize("form", [f for f in all_forms() if f.dependents_may_file],
                         ids=lambda f: f.code)
def test_dependents_file_the_forms_they_may_file(form) -> None:
    user, record = dependent_member()
    response = submit(client_for(user), filing_payload(form, record=record))
    assert response.status_code == 201, response.json()


def test_a_member_cannot_file_with_someone_elses_record() -> None:
    user, _ = insured_member()
    _, other = insured_member()
    response = submit(client_for(user), filing_payload(get_form("gendogaku"), record=other))
    assert response.status_code == 400
    assert "見つかりません" in response.json()["errors"]["record"][0]


def test_a_member_must_choose_a_record() -> None:
    user, _ = insured_member()
    response = submit(client_for(user), filing_payload(get_form("gendogaku")))
    assert response.status_code == 400
    assert response.json()["errors"]["record"] == ["申請に使う資格情報を選択してください。"]


# --- member fields come from the record ----------------------------------------------------------


@pytest.mark.parametrize(
    "field, value",
    [("name", "偽名　太郎"), ("name_kana", "ギメイ"), ("sex", "2"), ("insurer_name", "偽保険者"),
     ("symbol", "99999999"), ("number", "1"), ("birth_date", "2000-01-01")],
)
def test_member_fields_cannot_be_sent_by_a_member(field, value) -> None:
    user, record = insured_member()
    payload = filing_payload(get_form("gendogaku"), record=record, **{field: value})
    response = submit(client_for(user), payload)
    assert response.status_code == 400
    assert "指定できません" in response.json()["errors"][field][0]
    assert not Application.objects.exists()


def test_member_fields_inside_the_form_data_are_refused() -> None:
    user, record = insured_member()
    form = get_form("gendogaku")
    payload = filing_payload(form, record=record)
    payload["data"] = json.dumps(json.loads(payload["data"]) | {"name": "偽名"})
    response = submit(client_for(user), payload)
    assert response.status_code == 400
    assert "data.name" in response.json()["errors"]


def test_attorney_cannot_override_the_name_either() -> None:
    _, record = insured_member()
    payload = filing_payload(get_form("gendogaku"), identity=identity_of(record), name="偽名")
    response = submit(client_for(AttorneyFactory()), payload)
    assert response.status_code == 400 and "name" in response.json()["errors"]


# --- errors, all at once -------------------------------------------------------------------------


def test_all_field_errors_are_reported_together() -> None:
    user, record = insured_member()
    form = get_form("shobyo_teate")
    payload = filing_payload(
        form,
        record=record,
        data={"leave_from": "2026-99-01"},
        bank_account={"bank_code": "12", "account_type": "1"},
        files=[("no_such_kind", "a.png", png_bytes()), ("doctor_certificate", "x.pdf", b"")],
    )
    response = submit(client_for(user), payload)
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert "data.leave_from" in errors and "data.injury_name" in errors
    assert "bank_account.bank_code" in errors and "bank_account.holder_name" in errors
    assert "attachments.no_such_kind" in errors
    assert any("空" in m for m in errors["attachments"])
    assert not Application.objects.exists()


def test_a_text_file_renamed_jpg_is_refused() -> None:
    user, record = insured_member()
    form = get_form("tokutei_shippei")
    files = [("doctor_opinion", "scan.jpg", "これは画像ではありません。\n".encode() * 20)]
    response = submit(client_for(user), filing_payload(form, record=record, files=files))
    assert response.status_code == 400
    (message,) = response.json()["errors"]["attachments"]
    assert message.startswith("「scan.jpg」: ファイルの形式に対応していません")
    assert not Application.objects.exists()


def test_exif_gps_is_stripped_from_the_stored_file_and_the_path_reveals_no_name() -> None:
    user, record = insured_member()
    form = get_form("tokutei_shippei")
    files = [("doctor_opinion", "山田太郎_意見書.jpg", jpeg_with_gps())]
    response = submit(client_for(user), filing_payload(form, record=record, files=files))
    assert response.status_code == 201, response.json()
    attachment = Application.objects.get().attachments.get()
    assert "山田" not in attachment.file.name and "意見書" not in attachment.file.name
    assert attachment.file.name.startswith("applications/2026/03/")
    assert attachment.original_filename == "山田太郎_意見書.jpg"
    with default_storage.open(attachment.file.name) as stored:
        content = stored.read()
    with Image.open(io.BytesIO(content)) as image:
        exif = image.getexif()
        assert not exif.get_ifd(ExifTags.IFD.GPSInfo)
        assert ExifTags.Base.Make not in exif
    assert b"TestCam" not in content
    assert response.json()["attachments"][0]["kind_label"] == "医師の意見欄（記入済みのページ）"


def test_json_body_without_files_files_a_form_without_attachments() -> None:
    user, record = insured_member()
    form = get_form("gendogaku")
    payload = filing_payload(form, record=record)
    body = {"form_code": form.code, "record": record.pk, "data": json.loads(payload["data"])}
    from tests.applications.filing_support import clock_at

    with clock_at(OPEN_AT):
        response = client_for(user).post(LIST, body, format="json",
                                         HTTP_IDEMPOTENCY_KEY=new_key())
    assert response.status_code == 201, response.json()


def test_unknown_form_code() -> None:
    user, record = insured_member()
    payload = filing_payload(get_form("gendogaku"), record=record) | {"form_code": "nope"}
    response = submit(client_for(user), payload)
    assert response.status_code == 400
    assert "申請書「nope」は見つかりません" in response.json()["errors"]["form_code"][0]


def test_files_and_kinds_must_pair_up() -> None:
    user, record = insured_member()
    payload = filing_payload(get_form("tokutei_shippei"), record=record)
    payload["attachment_kinds"] = []
    response = submit(client_for(user), payload)
    assert response.status_code == 400
    assert "attachment_kinds" in response.json()["errors"]


# --- following the status ------------------------------------------------------------------------


def test_list_shows_only_own_applications_with_status_and_comment() -> None:
    user, record = insured_member()
    mine = ApplicationFactory(applicant=user, record=record, returned=True)
    ApplicationFactory()  # someone else's
    response = client_for(user).get(LIST)
    assert response.status_code == 200
    rows = response.json()["results"]
    assert [r["id"] for r in rows] == [mine.pk]
    row = rows[0]
    assert row["form_name"] == "限度額適用認定申請書"
    assert row["receipt_number"] == mine.receipt_number
    assert row["status"] == "returned" and row["status_label"] == "返戻"
    assert row["status_comment"] == "添付書類が不足しています。"
    assert row["submitted_at"]


def test_list_is_cursor_paginated_newest_first_with_constant_queries(django_assert_num_queries):
    user, record = insured_member()
    created = [ApplicationFactory(applicant=user, record=record) for _ in range(3)]
    client = client_for(user)
    with django_assert_num_queries(1):
        response = client.get(LIST + "?page_size=2")
    body = response.json()
    assert [r["id"] for r in body["results"]] == [created[2].pk, created[1].pk]
    assert body["next"]
    assert [r["id"] for r in client.get(body["next"]).json()["results"]] == [created[0].pk]


def test_another_members_application_answers_404() -> None:
    user, _ = insured_member()
    other = ApplicationFactory()
    response = client_for(user).get(detail_url(other.pk))
    assert response.status_code == 404
    assert set(response.json()) == {"detail", "errors"}
    assert client_for(AttorneyFactory()).get(detail_url(other.pk)).status_code == 404


def test_detail_has_data_attachments_and_history_with_comments() -> None:
    user, record = insured_member()
    form = get_form("tokutei_shippei")
    created = submit(client_for(user), filing_payload(form, record=record)).json()
    application = Application.objects.get(pk=created["id"])
    StatusChange.objects.create(application=application, from_status="received",
                                to_status="returned", comment="医師の意見書の日付がありません。")
    body = client_for(user).get(detail_url(application.pk)).json()
    assert body["data"]["disease"] == "renal"
    assert body["attachments"][0]["content_type"] == "image/png"
    assert [(h["to_status_label"], h["comment"]) for h in body["status_history"]] == [
        ("受付", ""), ("返戻", "医師の意見書の日付がありません。")]


def test_the_attorney_who_filed_lists_it_and_the_member_does_not() -> None:
    member, record = insured_member()
    attorney = AttorneyFactory()
    submit(client_for(attorney), filing_payload(get_form("gendogaku"),
                                                identity=identity_of(record)))
    assert len(client_for(attorney).get(LIST).json()["results"]) == 1
    assert client_for(member).get(LIST).json()["results"] == []


# --- catalogue -----------------------------------------------------------------------------------


def test_catalogue_is_filtered_to_what_the_user_may_file() -> None:
    insured, _ = insured_member()
    dependent, _ = dependent_member()
    forms = reverse("api-application-forms")
    codes = lambda user: {f["code"] for f in client_for(user).get(forms).json()}  # noqa: E731
    assert codes(insured) == {f.code for f in all_forms()}
    assert codes(dependent) == {f.code for f in all_forms() if f.dependents_may_file}
    assert codes(AttorneyFactory()) == {f.code for f in all_forms() if f.attorneys_may_file}
    assert codes(MemberUserFactory()) == set()


def test_catalogue_entry_describes_fields_attachments_and_who_may_file() -> None:
    user, _ = insured_member()
    body = client_for(user).get(reverse("api-application-form", args=["shobyo_teate"])).json()
    assert body["name"] == "傷病手当金支給申請書" and body["category_label"] == "給付"
    assert body["pays_money"] is True and body["attorneys_may_file"] is True
    fields = {f["name"]: f for f in body["fields"]}
    assert fields["leave_from"]["type"] == "date" and fields["leave_from"]["required"]
    assert fields["salary_amount"]["required_when"] == {"field": "salary_paid", "values": [True]}
    attachments = {a["code"]: a for a in body["attachments"]}
    assert attachments["doctor_certificate"]["max_count"] == 3
    choice = client_for(user).get(reverse("api-application-form", args=["tokutei_shippei"]))
    disease = next(f for f in choice.json()["fields"] if f["name"] == "disease")
    assert disease["choices"][0] == {"value": "renal", "label": "人工腎臓を実施している慢性腎不全"}
    missing = client_for(user).get(reverse("api-application-form", args=["nope"]))
    assert missing.status_code == 404


def test_the_schema_documents_the_filing_api(client) -> None:
    schema = client.get(reverse("schema"), HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    paths = schema["paths"]
    assert "/api/v1/applications/" in paths and "/api/v1/applications/{id}/submit/" in paths
    post = paths["/api/v1/applications/"]["post"]
    assert "multipart/form-data" in post["requestBody"]["content"]
    assert any(p["name"] == "Idempotency-Key" for p in post["parameters"])


# --- drafts --------------------------------------------------------------------------------------


def test_draft_is_saved_updated_and_then_submitted() -> None:
    user, record = insured_member()
    form = get_form("tokutei_shippei")
    client = client_for(user)
    payload = filing_payload(form, record=record, data={"disease": "renal"}, files=[])
    draft = submit(client, payload, query="?draft=1").json()
    assert draft["status"] == "draft" and draft["receipt_number"] is None
    assert not StatusChange.objects.exists()

    full = json.loads(filing_payload(form, record=record)["data"])
    patched = client.patch(detail_url(draft["id"]), {"data": full}, format="json")
    assert patched.status_code == 200, patched.json()
    assert patched.json()["data"]["doctor_name"] == full["doctor_name"]

    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.applications.filing_support import clock_at

    key = new_key()
    body = {"attachments": [SimpleUploadedFile("a.png", png_bytes())],
            "attachment_kinds": ["doctor_opinion"]}
    url = reverse("api-application-submit", args=[draft["id"]])
    with clock_at(OPEN_AT):
        response = client.post(url, body, format="multipart", HTTP_IDEMPOTENCY_KEY=key)
        assert response.status_code == 201, response.json()
        assert response.json()["id"] == draft["id"]
        assert response.json()["receipt_number"].startswith("20260311")
        again = client.post(url, body, format="multipart", HTTP_IDEMPOTENCY_KEY=key)
        assert again.status_code == 200 and again.json()["id"] == draft["id"]
        other = client.post(url, body, format="multipart", HTTP_IDEMPOTENCY_KEY=new_key())
        assert other.status_code == 409
        assert "既に受付済み" in other.json()["detail"]
    assert client.patch(detail_url(draft["id"]), {"data": full}, format="json").status_code == 409
    assert Application.objects.count() == 1


def test_a_draft_with_an_unknown_field_is_refused() -> None:
    user, record = insured_member()
    payload = filing_payload(get_form("gendogaku"), record=record, data={"nope": 1}, files=[])
    response = submit(client_for(user), payload, query="?draft=1")
    assert response.status_code == 400 and "data.nope" in response.json()["errors"]


# --- resubmission --------------------------------------------------------------------------------


def test_resubmission_of_a_returned_application_of_the_same_applicant_and_form() -> None:
    user, record = insured_member()
    returned = ApplicationFactory(applicant=user, record=record, returned=True)
    payload = filing_payload(get_form("gendogaku"), record=record, resubmission_of=returned.pk)
    response = submit(client_for(user), payload)
    assert response.status_code == 201, response.json()
    assert response.json()["resubmission_of"] == returned.pk
    again = submit(client_for(user), payload)
    assert again.status_code == 400
    assert "既に再申請されています" in again.json()["errors"]["resubmission_of"][0]


@pytest.mark.parametrize("case", ["not_returned", "other_form", "other_applicant"])
def test_resubmission_is_refused_otherwise(case) -> None:
    user, record = insured_member()
    original = {
        "not_returned": lambda: ApplicationFactory(applicant=user, record=record),
        "other_form": lambda: ApplicationFactory(applicant=user, record=record, returned=True,
                                                 form_code="shikaku_kakuninsho"),
        "other_applicant": lambda: ApplicationFactory(returned=True),
    }[case]()
    payload = filing_payload(get_form("gendogaku"), record=record, resubmission_of=original.pk)
    response = submit(client_for(user), payload)
    assert response.status_code == 400
    message = response.json()["errors"]["resubmission_of"][0]
    expected = {"not_returned": "「返戻」となった申請のみ", "other_form": "同じ申請書",
                "other_applicant": "見つかりません"}[case]
    assert expected in message
    assert Application.objects.filter(status=ApplicationStatus.RECEIVED,
                                      resubmission_of__isnull=False).count() == 0


def test_no_file_is_left_behind_when_a_submission_is_refused(settings) -> None:
    user, record = insured_member()
    form = get_form("kaigai_ryoyohi")
    payload = filing_payload(form, record=record)
    payload["attachments"][-1] = type(payload["attachments"][0])("bad.pdf", b"%PDF-1.4 broken")
    response = submit(client_for(user), payload)
    assert response.status_code == 400
    assert stored_files(settings.MEDIA_ROOT) == []
    assert not Application.objects.exists() and not StatusChange.objects.exists()


def test_a_second_record_of_the_member_can_be_chosen() -> None:
    user, first = insured_member()
    second = InsuredRecordFactory(person=first.person, symbol="13999999", number="7")
    response = submit(client_for(user), filing_payload(get_form("gendogaku"), record=second))
    assert response.status_code == 201
    assert response.json()["symbol"] == "13999999"


def test_a_draft_with_attachments_is_refused_not_dropped() -> None:
    user, record = insured_member()
    form = get_form("tokutei_shippei")
    payload = filing_payload(form, record=record)  # with its attachment files
    assert payload.get("attachments")
    response = submit(client_for(user), payload, query="?draft=1")
    assert response.status_code == 400, response.json()
    assert "下書きには添付ファイルを保存できません" in response.json()["errors"]["attachments"][0]
    assert not Application.objects.exists()
    # The schema says so.
    schema = client_for(user).get("/api/schema/?format=json").json()
    post = schema["paths"]["/api/v1/applications/"]["post"]
    assert "下書きには添付ファイルを保存できません" in post["description"]
