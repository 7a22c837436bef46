"""applications.forms_catalogue: the forms of seed 000 as data, versioned, validated."""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from applications.forms_catalogue import (
    FieldSpec,
    FormDataError,
    FormDefinition,
    UnknownFormError,
    all_forms,
    get_form,
    validate_attachments,
    validate_form_data,
)
from applications.forms_catalogue.registry import FormRegistry
from applications.forms_catalogue.schema import AttachmentSpec

TODAY = date(2026, 3, 10)

#: The list 「電子申請対象の申請書」 of seed 000 (高齡 read as 高齢).
SEED_FORMS = {
    "傷病手当金支給申請書",
    "出産手当金支給申請書",
    "出産育児一時金支給申請書",
    "出産育児一時金内払金支払依頼書",
    "埋葬料(費)支給申請書",
    "療養費支給申請書(立替払等)",
    "療養費支給申請書(治療用装具)",
    "高額療養費支給申請書",
    "任意継続被保険者資格取得申出書",
    "任意継続被保険者資格喪失申出書",
    "限度額適用認定申請書",
    "限度額適用・標準負担額減額認定申請書",
    "任意継続被保険者資格取得申出・保険料納付遅延理由申出書",
    "任意継続被保険者氏名・生年月日・性別・住所・電話番号変更(訂正)届",
    "任意継続被保険者被扶養者(異動)届",
    "任意継続被扶養者変更(訂正)届",
    "高齢受給者証再交付申請書",
    "特定疾病療養受療証交付申請書",
    "高齢受給者基準収入額適用申請書(新規判定用)",
    "高齢受給者基準収入額適用申請書(定期判定用)",
    "海外療養費支給申請書",
    "高額医療費貸付金貸付申込書",
    "出産費貸付金貸付申込書",
    "移送費支給申請書",
    "高額介護合算療養費支給申請書兼自己負担額証明書交付申請書",
    "年間の高額療養費支給申請書兼自己負担額証明書交付申請書",
    "健康保険法第118条第1項該当・非該当届",
    "資格確認書交付申請書",
    "特定健康診査受診券(セット券)申請書",
    "特定保健指導利用券申請書",
}


def errors_of(code: str, data: dict[str, Any], today: date = TODAY) -> dict[str, list[str]]:
    with pytest.raises(FormDataError) as caught:
        validate_form_data(get_form(code), data, today=today)
    return caught.value.errors


# --- the catalogue -----------------------------------------------------------------------------


def test_every_seed_form_and_the_notice_reissue_are_there() -> None:
    forms = all_forms()
    names = {f.name for f in forms}
    assert names == SEED_FORMS | {"資格情報のお知らせ交付申請書"}
    assert len(forms) == len(names) == 31
    assert len({f.code for f in forms}) == 31
    assert get_form("oshirase_kofu").name == "資格情報のお知らせ交付申請書"


def test_categories_and_attorneys() -> None:
    health = {f.code for f in all_forms() if f.category == "health"}
    assert health == {"tokutei_kenshin", "tokutei_hoken_shido"}
    for form in all_forms():
        # Seed 000: 社会保険労務士 may file everything except 保健事業.
        assert form.attorneys_may_file is (form.category != "health"), form.code


def test_dependents_may_file_only_the_documented_forms() -> None:
    allowed = {f.code for f in all_forms() if f.dependents_may_file}
    assert allowed == {
        "gendogaku",
        "gendogaku_gengaku",
        "tokutei_shippei",
        "koreijukyu_saikofu",
        "shikaku_kakuninsho",
        "oshirase_kofu",
        "tokutei_kenshin",
        "tokutei_hoken_shido",
    }
    assert not any(f.pays_money for f in all_forms() if f.dependents_may_file)


def test_cash_benefits_pay_money() -> None:
    for code in ("shobyo_teate", "shussan_teate", "shussan_ikuji_ichijikin", "maisoryo",
                 "ryoyohi_tatekae", "kogaku_ryoyohi", "kaigai_ryoyohi", "isohi"):
        assert get_form(code).pays_money, code
    for code in ("shikaku_kakuninsho", "gendogaku", "nini_keizoku_shutoku", "tokutei_kenshin"):
        assert not get_form(code).pays_money, code


def test_health_form_for_attorneys_is_rejected_by_the_schema() -> None:
    with pytest.raises(ValueError):
        FormDefinition(code="x", name="x", category="health", version=1, fields=(),
                       attorneys_may_file=True)
    with pytest.raises(ValueError):
        FieldSpec("a", "a", "choice")  # a choice without choices
    with pytest.raises(ValueError):
        FieldSpec("a", "a", "colour")  # type: ignore[arg-type]


def test_shikaku_kakuninsho_reasons_include_cannot_use_my_number_card() -> None:
    form = get_form("shikaku_kakuninsho")
    labels = " ".join(label for _, label in form.field("reason").choices)
    assert "マイナ保険証を利用できない事情" in labels
    assert dict(form.field("send_to").choices)["other"].startswith("別の住所")
    assert form.shows_sex and form.dependents_may_file


# --- versions ----------------------------------------------------------------------------------


def test_get_form_latest_and_unknown() -> None:
    assert get_form("shobyo_teate").version == 1
    assert get_form("shobyo_teate", 1) is get_form("shobyo_teate")
    with pytest.raises(UnknownFormError):
        get_form("no_such_form")
    with pytest.raises(UnknownFormError):
        get_form("shobyo_teate", 99)


def test_old_versions_stay_resolvable() -> None:
    v1 = get_form("oshirase_kofu")
    v2 = dataclasses.replace(
        v1, version=2, fields=(*v1.fields, FieldSpec("note", "備考", "text", required=False))
    )
    registry = FormRegistry([v1, v2])
    assert registry.get("oshirase_kofu") is v2
    assert registry.get("oshirase_kofu", 1) is v1
    assert registry.versions("oshirase_kofu") == (1, 2)
    assert registry.all() == (v2,)
    with pytest.raises(ValueError):
        registry.register(v2)
    # Data filed with v1 is still validated against v1.
    data = {"target": "self", "reason": "lost", "send_to": "registered"}
    assert validate_form_data(registry.get("oshirase_kofu", 1), data, today=TODAY)
    with pytest.raises(FormDataError):
        validate_form_data(registry.get("oshirase_kofu", 1), {**data, "note": "x"}, today=TODAY)
    assert validate_form_data(v2, {**data, "note": "x"}, today=TODAY)["note"] == "x"


# --- every form accepts some valid data --------------------------------------------------------


def _value_for(spec: FieldSpec, today: date) -> Any:
    day = today - timedelta(days=10)
    match spec.type:
        case "text" | "multiline":
            return "あ" * max(spec.min_length or 1, 1)
        case "kana":
            return "テスト"
        case "digits":
            return "1" * (spec.min_length or 7)
        case "integer" | "money":
            return spec.min_value if spec.min_value is not None else 0
        case "date":
            return day.isoformat()
        case "month":
            return day.strftime("%Y-%m")
        case "choice":
            return spec.choices[0][0]
        case "boolean":
            return False
    raise AssertionError(spec.type)


OVERRIDES: dict[str, dict[str, Any]] = {
    "nini_keizoku_henko": {"change_phone": True},
    "nini_keizoku_fuyo_henko": {"change_sex": True},
}


@pytest.mark.parametrize("form", all_forms(), ids=lambda f: f.code)
def test_every_form_accepts_minimal_valid_data(form: FormDefinition) -> None:
    data = {s.name: _value_for(s, TODAY) for s in form.fields if s.required}
    data.update(OVERRIDES.get(form.code, {}))
    # Fill the fields that the chosen values make required.
    for _ in range(3):
        for rule in form.required_when:
            if rule.condition.holds(data) and rule.field not in data:
                data[rule.field] = _value_for(form.field(rule.field), TODAY)
    cleaned = validate_form_data(form, data, today=TODAY)
    assert set(cleaned) == set(form.field_names)
    # And nothing at all is refused with one message per required field.
    with pytest.raises(FormDataError) as caught:
        validate_form_data(form, {}, today=TODAY)
    required = {s.name for s in form.fields if s.required}
    assert required <= set(caught.value.errors)


# --- cleaning and cross-field rules ------------------------------------------------------------

SHOBYO = {
    "leave_from": "2026-02-01",
    "leave_to": "2026-02-28",
    "occupation": "事務",
    "injury_name": "腰椎椎間板ヘルニア",
    "onset_date": "2026-01-28",
    "is_injury": False,
    "salary_paid": False,
    "resigned": False,
    "pension_received": False,
    "workers_comp": False,
    "employer_name": "株式会社サンプル",
    "employer_absent_days": "２８",
    "employer_paid_amount": "0",
    "employer_certified_date": "2026-03-02",
    "doctor_institution": "中央病院",
    "doctor_name": "医師　一郎",
    "first_visit_date": "令和8年1月29日",
    "incapacity_from": "2026/2/1",
    "incapacity_to": "2026年2月28日",
    "doctor_opinion": "安静を要する。\r\n就労困難。",
    "doctor_certified_date": date(2026, 3, 1),
}


def test_shobyo_teate_is_cleaned() -> None:
    cleaned = validate_form_data(get_form("shobyo_teate"), SHOBYO, today=TODAY)
    assert cleaned["leave_from"] == "2026-02-01"
    assert cleaned["first_visit_date"] == "2026-01-29"
    assert cleaned["incapacity_from"] == "2026-02-01"
    assert cleaned["incapacity_to"] == "2026-02-28"
    assert cleaned["doctor_certified_date"] == "2026-03-01"
    assert cleaned["employer_absent_days"] == 28
    assert cleaned["employer_paid_amount"] == 0
    assert cleaned["doctor_opinion"] == "安静を要する。\n就労困難。"
    assert cleaned["doctor_name"] == "医師　一郎"
    assert cleaned["salary_amount"] is None and cleaned["third_party"] is None


def test_period_order_future_dates_and_unknown_fields() -> None:
    errors = errors_of(
        "shobyo_teate",
        {**SHOBYO, "leave_from": "2026-03-01", "leave_to": "2026-02-01", "hobby": "x"},
    )
    assert errors["leave_to"] == [
        "療養のため休んだ期間（終了日）は療養のため休んだ期間（開始日）以降の日付にしてください。"
    ]
    assert errors["hobby"] == ["「hobby」は傷病手当金支給申請書にない項目です。"]

    errors = errors_of("shobyo_teate", {**SHOBYO, "leave_to": "2026-03-11"})
    assert "未来の日付" in errors["leave_to"][0]
    assert "2026年3月10日" in errors["leave_to"][0]

    errors = errors_of("shobyo_teate", {**SHOBYO, "doctor_certified_date": "2026-02-27"})
    assert "これから先の期間は証明できません" in errors["doctor_certified_date"][0]


def test_conditional_fields() -> None:
    errors = errors_of("shobyo_teate", {**SHOBYO, "salary_paid": True})
    assert errors == {
        "salary_amount": [
            "「休んだ期間に事業主から報酬を受けましたか（受ける予定を含む）」が「はい」の場合は、"
            "受けた報酬の額を入力してください。"
        ]
    }
    cleaned = validate_form_data(
        get_form("shobyo_teate"),
        {**SHOBYO, "salary_paid": "true", "salary_amount": "¥１２,０００"},
        today=TODAY,
    )
    assert cleaned["salary_paid"] is True and cleaned["salary_amount"] == 12000

    errors = errors_of("shobyo_teate", {**SHOBYO, "salary_amount": 5000})
    assert "の場合のみ入力してください" in errors["salary_amount"][0]

    errors = errors_of("shobyo_teate", {**SHOBYO, "is_injury": "はい"})
    assert set(errors) == {"third_party"}


def test_required_and_type_messages() -> None:
    errors = errors_of("shobyo_teate", {**SHOBYO, "injury_name": "  ", "is_injury": None,
                                        "employer_paid_amount": "-5",
                                        "employer_absent_days": True,
                                        "leave_from": "2026-02-30"})
    assert errors["injury_name"] == ["傷病名を入力してください。"]
    assert errors["is_injury"] == ["傷病は負傷（けが）ですかを選択してください。"]
    assert "負の金額" in errors["employer_paid_amount"][0]
    assert "整数" in errors["employer_absent_days"][0]
    assert errors["leave_from"] == ["療養のため休んだ期間（開始日）は存在しない日付です。"]


def test_text_limits_and_control_characters() -> None:
    errors = errors_of("shobyo_teate", {**SHOBYO, "injury_name": "あ" * 101})
    assert errors["injury_name"] == ["傷病名は100文字以内で入力してください（現在101文字）。"]
    errors = errors_of("shobyo_teate", {**SHOBYO, "injury_name": "腰痛\n骨折"})
    assert "改行" in errors["injury_name"][0]


def test_kana_digits_and_month_are_normalised() -> None:
    form = get_form("gendogaku")
    cleaned = validate_form_data(
        form,
        {
            "target": "dependent",
            "target_name": "協会　花子",
            "target_kana": "きょうかい　ﾊﾅｺ",
            "target_birth_date": "H2.4.1",
            "start_month": "令和8年3月",
            "send_to": "other",
            "send_postal_code": "０６０－０００１",
            "send_address": "北海道札幌市中央区北1条西1丁目",
            "send_addressee": "中央病院 気付",
        },
        today=TODAY,
    )
    assert cleaned["target_kana"] == "キョウカイ　ハナコ"
    assert cleaned["target_birth_date"] == "1990-04-01"
    assert cleaned["start_month"] == "2026-03"
    assert cleaned["send_postal_code"] == "0600001"
    assert cleaned["institution_name"] is None

    errors = errors_of("gendogaku", {"target": "dependent", "target_name": "花子",
                                     "target_kana": "花子", "target_birth_date": "2030-01-01",
                                     "start_month": "2026-13", "send_to": "other",
                                     "send_postal_code": "123456", "send_address": "x",
                                     "send_addressee": "x"})
    assert "全角カタカナ" in errors["target_kana"][0]
    assert "未来の日付" in errors["target_birth_date"][0]
    assert errors["start_month"] == ["適用を希望する月の月は1から12で入力してください。"]
    assert errors["send_postal_code"] == ["送付先の郵便番号は7桁で入力してください（現在6桁）。"]


def test_choice_values_not_labels() -> None:
    data = {"target": "本人", "reason": "lost", "send_to": "registered"}
    errors = errors_of("oshirase_kofu", data)
    assert "「本人（ログインした加入者）」" in errors["target"][0]


def test_maiso_dates_and_claim_type() -> None:
    base = {
        "deceased": "dependent",
        "deceased_name": "協会　一郎",
        "deceased_kana": "キョウカイ　イチロウ",
        "deceased_birth_date": "1950-05-05",
        "death_date": "2026-03-01",
        "death_cause_injury": False,
        "claim_type": "maisoryo",
    }
    assert validate_form_data(get_form("maisoryo"), base, today=TODAY)["death_date"] == "2026-03-01"
    errors = errors_of("maisoryo", {**base, "death_date": "2026-03-11"})
    assert "未来の日付" in errors["death_date"][0]
    errors = errors_of("maisoryo", {**base, "deceased_birth_date": "2026-03-05",
                                    "death_date": "2026-03-01"})
    assert "生年月日以降" in errors["death_date"][0]
    errors = errors_of("maisoryo", {**base, "deceased": "insured"})
    assert set(errors) == {"applicant_name", "applicant_relationship"}
    errors = errors_of("maisoryo", {**base, "claim_type": "maisohi", "burial_date": "2026-03-03",
                                    "burial_cost": 300000})
    assert "家族埋葬料" in errors["claim_type"][0]


def test_maternity_window() -> None:
    base = {
        "expected_birth_date": "2026-01-20",
        "birth_date": "2026-01-15",
        "birth_count": 1,
        "leave_from": "2025-12-10",
        "leave_to": "2026-03-01",
        "salary_paid": False,
        "resigned": False,
        "employer_name": "株式会社サンプル",
        "employer_absent_days": 82,
        "employer_paid_amount": 0,
        "employer_certified_date": "2026-03-05",
        "certifier_institution": "産院",
        "certifier_name": "医師",
        "certifier_date": "2026-01-20",
    }
    # 42 days up to the birth, i.e. from 2025-12-05; 56 days after: up to 2026-03-12.
    assert validate_form_data(get_form("shussan_teate"), base, today=TODAY)
    errors = errors_of("shussan_teate", {**base, "leave_from": "2025-12-04",
                                         "leave_to": "2026-03-10"})
    assert "2025-12-05以降" in errors["leave_from"][0]
    # A late birth counts from the expected date: 2026-01-10 − 41 days = 2025-11-30.
    late = {**base, "expected_birth_date": "2026-01-10", "leave_from": "2025-11-30"}
    assert validate_form_data(get_form("shussan_teate"), late, today=TODAY)
    errors = errors_of("shussan_teate", {**late, "leave_from": "2025-11-29"})
    assert "2025-11-30以降" in errors["leave_from"][0]
    errors = errors_of("shussan_teate", {**base, "leave_to": "2026-03-13"},
                       today=date(2026, 4, 1))
    assert "2026-03-12以前" in errors["leave_to"][0]
    # Twins: 98 days before.
    assert validate_form_data(get_form("shussan_teate"), {**base, "birth_count": 2,
                                                          "leave_from": "2025-10-10"},
                              today=TODAY)


def test_nini_keizoku_twenty_day_deadline() -> None:
    form = get_form("nini_keizoku_shutoku")
    data = {
        "loss_date": (TODAY - timedelta(days=19)).isoformat(),
        "former_symbol": "1234567",
        "former_number": "15",
        "former_employer_name": "株式会社サンプル",
        "former_employer_address": "東京都千代田区",
        "postal_code": "1000001",
        "address": "東京都千代田区千代田1-1",
        "phone": "090-1234-5678",
        "premium_method": "prepay_12",
        "account_transfer": False,
        "has_dependents": False,
        "want_certificate": True,
    }
    assert validate_form_data(form, data, today=TODAY)["phone"] == "09012345678"
    late = {**data, "loss_date": (TODAY - timedelta(days=20)).isoformat()}
    errors = errors_of("nini_keizoku_shutoku", late)
    assert "遅延理由申出書" in errors["loss_date"][0]


def test_kaigai_treatment_trip_is_refused() -> None:
    data = {
        "target": "self", "country": "アメリカ合衆国", "travel_purpose": "travel",
        "travel_for_treatment": True, "injury_name": "骨折", "treatment_from": "2026-01-05",
        "treatment_to": "2026-01-06", "institution_name": "General Hospital",
        "currency": "USD", "amount_foreign": "1200", "inpatient": False,
    }
    errors = errors_of("kaigai_ryoyohi", data)
    assert list(errors) == ["travel_for_treatment"]
    cleaned = validate_form_data(get_form("kaigai_ryoyohi"),
                                 {**data, "travel_for_treatment": "いいえ"}, today=TODAY)
    assert cleaned["amount_foreign"] == 1200


def test_change_forms_need_at_least_one_item() -> None:
    errors = errors_of("nini_keizoku_henko", {
        "change_name": False, "change_birth_date": False, "change_sex": False,
        "change_address": False, "change_phone": False, "change_date": "2026-03-01"})
    assert errors == {"change_name": ["変更・訂正する項目を1つ以上選択してください。"]}


def test_attachments() -> None:
    form = get_form("shobyo_teate")
    cleaned = validate_form_data(form, SHOBYO, today=TODAY)
    validate_attachments(form, cleaned, {"employer_certificate": 1, "doctor_certificate": 2})
    with pytest.raises(FormDataError) as caught:
        validate_attachments(form, cleaned, {"doctor_certificate": 4, "selfie": 1})
    assert caught.value.errors == {
        "selfie": ["「selfie」は傷病手当金支給申請書の添付書類にありません。"],
        "employer_certificate": ["事業主証明欄（記入・証明済みのページ）を添付してください。"],
        "doctor_certificate": [
            "療養担当者記入用のページ（医師の意見）は3件まで添付できます（現在4件）。"
        ],
    }
    # Retired for the whole period: no employer certificate needed.
    retired = {**cleaned, "resigned": True}
    validate_attachments(form, retired, {"doctor_certificate": 1})
    assert isinstance(form.attachments[0], AttachmentSpec)


# --- properties --------------------------------------------------------------------------------


@given(st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 12, 31)))
def test_not_future_dates_round_trip(day: date) -> None:
    form = get_form("oshirase_kofu")
    data = {"target": "dependent", "target_name": "花子", "target_kana": "ハナコ",
            "target_birth_date": day.isoformat(), "reason": "lost", "send_to": "registered"}
    if day <= TODAY:
        assert validate_form_data(form, data, today=TODAY)["target_birth_date"] == day.isoformat()
        slash = {**data, "target_birth_date": f"{day.year}/{day.month}/{day.day}"}
        assert validate_form_data(form, slash, today=TODAY)["target_birth_date"] == day.isoformat()
    else:
        errors = errors_of("oshirase_kofu", data)
        assert list(errors) == ["target_birth_date"]


@given(st.integers(min_value=0, max_value=999_999_999))
def test_money_strings(amount: int) -> None:
    spec = get_form("ryoyohi_tatekae").field("amount_paid")
    form = FormDefinition(code="t", name="テスト", category="benefit", version=1,
                          fields=(dataclasses.replace(spec, min_value=0),))
    for typed in (amount, str(amount), f"{amount:,}円", f"¥{amount:,}".translate(
            str.maketrans("0123456789", "０１２３４５６７８９"))):
        assert validate_form_data(form, {"amount_paid": typed}, today=TODAY) == {
            "amount_paid": amount
        }


@given(st.dictionaries(st.text(min_size=1, max_size=10), st.text(max_size=5), max_size=5))
def test_unknown_keys_are_always_reported(extra: dict[str, str]) -> None:
    form = get_form("oshirase_kofu")
    data = {"target": "self", "reason": "lost", "send_to": "registered"}
    unknown = set(extra) - set(form.field_names)
    merged = {**extra, **data}
    if not unknown:
        return
    with pytest.raises(FormDataError) as caught:
        validate_form_data(form, merged, today=TODAY)
    assert unknown <= set(caught.value.errors)
