"""The electronic application forms (seed 000, 「電子申請対象の申請書」) as data.

Every form of the seed's list is here, plus 資格情報のお知らせ交付申請書 (``oshirase_kofu``).
All are version 1. To change a form, add a NEW definition with ``version=2`` to
:data:`ALL_DEFINITIONS` and keep the old one: stored applications keep the version they were
filed with (:func:`applications.forms_catalogue.registry.get_form`).

Who may file (seed 000: 被保険者; 被扶養者 for some forms only; 社会保険労務士 except 保健事業).
The seed does not say which forms a dependent may file. Interpretation used here:

* Cash benefits and loans are legally claimed by, and paid to, the insured person (家族療養費,
  家族出産育児一時金, 家族埋葬料 included), and the 任意継続 notifications are the insured
  person's: ``dependents_may_file=False``.
* Forms that only issue a document to the member concerned (限度額適用認定証, 特定疾病療養受療証,
  高齢受給者証, 資格確認書, 資格情報のお知らせ, 特定健診受診券, 特定保健指導利用券) may be filed by
  the dependent it is for: ``dependents_may_file=True``. The insured person may file them for
  a dependent too (``target`` = ``dependent``).

``shows_sex`` (seed 000: 性別 is auto-displayed on 「一部申請書のみ」): chosen for the forms
whose outcome records or prints the sex — the 任意継続 enrolment/change forms and the
certificates that print it (資格確認書, 限度額適用認定証, 特定疾病療養受療証, 高齢受給者証) and
特定健診 (sex-specific examination items).

Categories: ``benefit`` for 給付 (cash benefits, loans, and the certificates and ratio
decisions that determine what is paid: 限度額, 特定疾病, 基準収入額); ``eligibility`` for 適用
(任意継続, 資格確認書, 資格情報のお知らせ, 高齢受給者証再交付, 第118条届); ``health`` for 保健事業.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any

from applications.forms_catalogue.schema import (
    AttachmentSpec,
    Condition,
    DateOrder,
    FieldSpec,
    FormDefinition,
    RequiredWhen,
)

F = FieldSpec
A = AttachmentSpec

YES = (True,)
NO = (False,)

# ---------------------------------------------------------------------------------------------
# Reusable field groups
# ---------------------------------------------------------------------------------------------

TARGET_CHOICES = (("self", "本人（ログインした加入者）"), ("dependent", "家族（被扶養者）"))
IS_DEPENDENT = Condition("target", ("dependent",))


def target_fields(subject: str) -> tuple[FieldSpec, ...]:
    """Who the form is about; a family member's identity when it is not the filer."""
    return (
        F("target", subject, "choice", choices=TARGET_CHOICES),
        F("target_name", f"{subject}（家族）の氏名", "text", required=False, max_length=50),
        F("target_kana", f"{subject}（家族）のフリガナ", "kana", required=False, max_length=50),
        F("target_birth_date", f"{subject}（家族）の生年月日", "date", required=False,
          not_future=True),
    )


TARGET_RULES = (
    RequiredWhen("target_name", IS_DEPENDENT),
    RequiredWhen("target_kana", IS_DEPENDENT),
    RequiredWhen("target_birth_date", IS_DEPENDENT),
)

SEND_TO_OTHER = Condition("send_to", ("other",))
SEND_TO_FIELDS = (
    F("send_to", "送付先", "choice",
      choices=(("registered", "登録されている住所"), ("other", "別の住所（入院先など）"))),
    F("send_postal_code", "送付先の郵便番号", "digits", required=False, min_length=7,
      max_length=7, help="7桁の数字（ハイフンなし）"),
    F("send_address", "送付先の住所", "text", required=False, max_length=120),
    F("send_addressee", "送付先の宛名", "text", required=False, max_length=50,
      help="施設・病院あての場合は「〇〇病院 気付」のように記入してください"),
)
SEND_TO_RULES = (
    RequiredWhen("send_postal_code", SEND_TO_OTHER),
    RequiredWhen("send_address", SEND_TO_OTHER),
    RequiredWhen("send_addressee", SEND_TO_OTHER),
)

ADDRESS_FIELDS = (
    F("postal_code", "郵便番号", "digits", min_length=7, max_length=7,
      help="7桁の数字（ハイフンなし）"),
    F("address", "住所", "text", max_length=120),
    F("phone", "電話番号", "digits", min_length=10, max_length=11,
      help="日中に連絡のつく番号（ハイフンなし）"),
)

THIRD_PARTY = F("third_party", "第三者（交通事故の相手方など）の行為によるものですか", "boolean",
                required=False)
THIRD_PARTY_ATTACHMENT = A("third_party_report", "第三者行為による傷病届", required=False,
                           required_when=Condition("third_party", YES))

RECEIPT = A("receipt", "領収書", max_count=20)

RELATIONSHIPS = (
    ("spouse", "配偶者"),
    ("child", "子"),
    ("parent", "父母"),
    ("grandparent", "祖父母"),
    ("grandchild", "孫"),
    ("sibling", "兄弟姉妹"),
    ("other", "その他"),
)
SEXES = (("male", "男"), ("female", "女"))


def employer_fields() -> tuple[FieldSpec, ...]:
    """事業主証明欄: the employer certifies attendance and pay for the period claimed."""
    return (
        F("employer_name", "事業所の名称", "text", max_length=100),
        F("employer_absent_days", "申請期間のうち出勤しなかった日数（事業主証明）", "integer",
          min_value=0, max_value=366),
        F("employer_paid_amount", "申請期間に支払った報酬の額（事業主証明）", "money",
          help="支払っていない場合は0"),
        F("employer_certified_date", "事業主の証明日", "date", not_future=True),
    )


# ---------------------------------------------------------------------------------------------
# Form-specific checks (ExtraCheck: cleaned data, today → errors)
# ---------------------------------------------------------------------------------------------


def _d(value: Any) -> date | None:
    return date.fromisoformat(value) if isinstance(value, str) else None


def check_maternity_window(data: Mapping[str, Any], today: date) -> dict[str, list[str]]:
    """出産手当金: the days off lie within 42 days (98 for multiple births) before the birth
    (the expected date when the birth was later) and 56 days after it (健保法 §102)."""
    birth = _d(data.get("birth_date"))
    expected = _d(data.get("expected_birth_date"))
    start, end = _d(data.get("leave_from")), _d(data.get("leave_to"))
    if birth is None or start is None or end is None:
        return {}
    before = 98 if (data.get("birth_count") or 1) > 1 else 42
    # A late birth counts from the expected date, an early one from the birth date.
    base = min(birth, expected) if expected else birth
    errors: dict[str, list[str]] = {}
    earliest = base - timedelta(days=before - 1)
    if start < earliest:
        errors["leave_from"] = [
            f"出産手当金の対象は出産日（出産予定日より遅れた場合は予定日）以前{before}日からです。"
            f"開始日は{earliest.isoformat()}以降にしてください。"
        ]
    latest = birth + timedelta(days=56)
    if end > latest:
        errors["leave_to"] = [
            f"出産手当金の対象は出産日の翌日から56日目までです。終了日は{latest.isoformat()}"
            "以前にしてください。"
        ]
    return errors


#: 健保法 §37: the 任意継続 application is due within 20 days of the loss of eligibility.
NINI_KEIZOKU_DEADLINE_DAYS = 20


def check_nini_keizoku_deadline(data: Mapping[str, Any], today: date) -> dict[str, list[str]]:
    loss = _d(data.get("loss_date"))
    if loss is None or (today - loss).days < NINI_KEIZOKU_DEADLINE_DAYS:
        return {}
    return {
        "loss_date": [
            f"資格喪失日から{NINI_KEIZOKU_DEADLINE_DAYS}日を過ぎています。"
            "正当な理由があって遅れた場合は「任意継続被保険者資格取得申出・保険料納付遅延理由申出書」"
            "で申請してください。"
        ]
    }


def check_not_for_treatment(data: Mapping[str, Any], today: date) -> dict[str, list[str]]:
    """海外療養費: care obtained on a trip made for treatment is not paid."""
    if data.get("travel_for_treatment") is True:
        return {
            "travel_for_treatment": [
                "治療を目的として渡航し、海外で受けた診療は海外療養費の支給対象外です。"
            ]
        }
    return {}


def at_least_one(*names: str, target: str, what: str):  # type: ignore[no-untyped-def]
    """An ExtraCheck: at least one of the boolean fields ``names`` is True."""

    def check(data: Mapping[str, Any], today: date) -> dict[str, list[str]]:
        if any(data.get(n) is True for n in names):
            return {}
        return {target: [f"{what}を1つ以上選択してください。"]}

    return check


def check_maiso(data: Mapping[str, Any], today: date) -> dict[str, list[str]]:
    """埋葬費 (no family maintained by the deceased) is claimed by whoever held the burial."""
    if data.get("claim_type") == "maisohi" and data.get("deceased") == "dependent":
        return {
            "claim_type": [
                "被扶養者が亡くなった場合は「家族埋葬料」です。請求の種類で埋葬料を選択してください。"
            ]
        }
    return {}


# ---------------------------------------------------------------------------------------------
# 適用・給付関連申請書 — benefits
# ---------------------------------------------------------------------------------------------

SHOBYO_TEATE = FormDefinition(
    code="shobyo_teate",
    name="傷病手当金支給申請書",
    category="benefit",
    version=1,
    pays_money=True,
    fields=(
        F("leave_from", "療養のため休んだ期間（開始日）", "date", not_future=True),
        F("leave_to", "療養のため休んだ期間（終了日）", "date", not_future=True,
          help="申請できるのは既に経過した期間です"),
        F("occupation", "仕事の内容", "text", max_length=100,
          help="退職後の申請は退職前の仕事の内容"),
        F("injury_name", "傷病名", "text", max_length=100),
        F("onset_date", "発病・負傷の年月日", "date", not_future=True),
        F("is_injury", "傷病は負傷（けが）ですか", "boolean"),
        THIRD_PARTY,
        F("salary_paid", "休んだ期間に事業主から報酬を受けましたか（受ける予定を含む）",
          "boolean"),
        F("salary_amount", "受けた報酬の額", "money", required=False, min_value=1),
        F("resigned", "申請期間中に退職していますか", "boolean"),
        F("pension_received", "障害厚生年金・障害手当金または老齢年金を受給していますか",
          "boolean"),
        F("workers_comp", "労災保険の休業補償給付を受けていますか（請求中を含む）", "boolean"),
        *employer_fields(),
        F("doctor_institution", "医療機関の名称（療養担当者の意見）", "text", max_length=100),
        F("doctor_name", "医師・歯科医師の氏名", "text", max_length=50),
        F("first_visit_date", "初診日（療養担当者の意見）", "date", not_future=True),
        F("incapacity_from", "労務不能と認めた期間（開始日）", "date", not_future=True),
        F("incapacity_to", "労務不能と認めた期間（終了日）", "date", not_future=True),
        F("doctor_opinion", "症状の経過・労務不能と認めた理由（療養担当者の意見）", "multiline",
          max_length=1000),
        F("doctor_certified_date", "療養担当者の意見の記入日", "date", not_future=True),
    ),
    required_when=(
        RequiredWhen("third_party", Condition("is_injury", YES)),
        RequiredWhen("salary_amount", Condition("salary_paid", YES)),
    ),
    date_orders=(
        DateOrder("leave_from", "leave_to"),
        DateOrder("onset_date", "leave_to",
                  "療養のため休んだ期間の終了日は、発病・負傷の年月日以降の日付にしてください。"),
        DateOrder("onset_date", "first_visit_date"),
        DateOrder("incapacity_from", "incapacity_to"),
        DateOrder("incapacity_to", "doctor_certified_date",
                  "療養担当者の意見の記入日は、労務不能と認めた期間の終了日以降の日付にしてください"
                  "（これから先の期間は証明できません）。"),
        DateOrder("leave_to", "employer_certified_date",
                  "事業主の証明日は、療養のため休んだ期間の終了日以降の日付にしてください。"),
    ),
    attachments=(
        A("employer_certificate", "事業主証明欄（記入・証明済みのページ）", required=False,
          max_count=3, help="退職後の期間のみを申請する場合は不要です",
          required_when=Condition("resigned", NO)),
        A("doctor_certificate", "療養担当者記入用のページ（医師の意見）", max_count=3),
        A("injury_report", "負傷原因届", required=False,
          required_when=Condition("is_injury", YES)),
        THIRD_PARTY_ATTACHMENT,
        A("pension_certificate", "年金証書・年金額改定通知書等の写し", required=False,
          required_when=Condition("pension_received", YES)),
    ),
)

SHUSSAN_TEATE = FormDefinition(
    code="shussan_teate",
    name="出産手当金支給申請書",
    category="benefit",
    version=1,
    pays_money=True,
    fields=(
        F("expected_birth_date", "出産予定日", "date"),
        F("birth_date", "出産日", "date", not_future=True),
        F("birth_count", "出生児数", "integer", min_value=1, max_value=6),
        F("leave_from", "出産のため休んだ期間（開始日）", "date", not_future=True),
        F("leave_to", "出産のため休んだ期間（終了日）", "date", not_future=True),
        F("salary_paid", "休んだ期間に事業主から報酬を受けましたか（受ける予定を含む）",
          "boolean"),
        F("salary_amount", "受けた報酬の額", "money", required=False, min_value=1),
        F("resigned", "申請期間中に退職していますか", "boolean"),
        *employer_fields(),
        F("certifier_institution", "医療機関・助産所の名称（医師・助産師の証明）", "text",
          max_length=100),
        F("certifier_name", "医師・助産師の氏名", "text", max_length=50),
        F("certifier_date", "医師・助産師の証明日", "date", not_future=True),
    ),
    required_when=(RequiredWhen("salary_amount", Condition("salary_paid", YES)),),
    date_orders=(
        DateOrder("leave_from", "leave_to"),
        DateOrder("birth_date", "certifier_date",
                  "医師・助産師の証明日は出産日以降の日付にしてください。"),
    ),
    extra_checks=(check_maternity_window,),
    attachments=(
        A("employer_certificate", "事業主証明欄（記入・証明済みのページ）", required=False,
          max_count=3, required_when=Condition("resigned", NO)),
        A("birth_certificate", "医師・助産師の証明欄（記入済みのページ）", max_count=3,
          help="証明を受けられない場合は、出生を確認できる書類（戸籍謄本等）"),
    ),
)

SHUSSAN_IKUJI_ICHIJIKIN = FormDefinition(
    code="shussan_ikuji_ichijikin",
    name="出産育児一時金支給申請書",
    category="benefit",
    version=1,
    pays_money=True,
    fields=(
        *target_fields("出産した方"),
        F("birth_date", "出産日", "date", not_future=True),
        F("birth_count", "出生児数", "integer", min_value=1, max_value=6),
        F("outcome", "出産の別", "choice",
          choices=(("live", "生産"), ("stillbirth", "死産（妊娠85日以上）"))),
        F("pregnancy_weeks", "妊娠週数", "integer", required=False, min_value=12, max_value=45,
          help="死産の場合に記入（妊娠85日＝妊娠12週以上が対象）"),
        F("sanka_iryo_hosho", "産科医療補償制度の対象となる出産ですか", "boolean"),
        F("direct_payment", "直接支払制度", "choice",
          choices=(("not_used", "利用していない"),
                   ("used", "利用した（出産費用が支給額を下回った差額の請求）"))),
        F("institution_name", "出産した医療機関等の名称", "text", max_length=100),
        F("birth_cost", "出産費用の額", "money", min_value=1),
    ),
    required_when=(
        *TARGET_RULES,
        RequiredWhen("pregnancy_weeks", Condition("outcome", ("stillbirth",))),
    ),
    date_orders=(DateOrder("target_birth_date", "birth_date"),),
    attachments=(
        A("direct_payment_agreement", "直接支払制度に係る代理契約に関する文書の写し"),
        A("cost_statement", "出産費用の領収・明細書の写し"),
        A("stillbirth_certificate", "死産証書（死胎検案書）の写し", required=False,
          required_when=Condition("outcome", ("stillbirth",))),
    ),
)

SHUSSAN_IKUJI_UCHIBARAI = FormDefinition(
    code="shussan_ikuji_uchibarai",
    name="出産育児一時金内払金支払依頼書",
    category="benefit",
    version=1,
    pays_money=True,
    note="直接支払制度を利用し、出産費用が支給額を下回ったときの差額を、協会からの支給決定通知を"
    "待たずに請求する。",
    fields=(
        *target_fields("出産した方"),
        F("birth_date", "出産日", "date", not_future=True),
        F("birth_count", "出生児数", "integer", min_value=1, max_value=6),
        F("institution_name", "出産した医療機関等の名称", "text", max_length=100),
        F("birth_cost", "出産費用の額", "money", min_value=1),
    ),
    required_when=TARGET_RULES,
    date_orders=(DateOrder("target_birth_date", "birth_date"),),
    attachments=(
        A("direct_payment_agreement", "直接支払制度に係る代理契約に関する文書の写し"),
        A("cost_statement", "出産費用の領収・明細書の写し"),
    ),
)

MAISORYO = FormDefinition(
    code="maisoryo",
    name="埋葬料(費)支給申請書",
    category="benefit",
    version=1,
    pays_money=True,
    note="被保険者本人が亡くなった場合、申請者は生計を維持されていた家族（埋葬料）または埋葬を"
    "行った方（埋葬費）で、加入者でないこともあるため申請者欄を設ける。",
    fields=(
        F("deceased", "亡くなった方", "choice",
          choices=(("insured", "被保険者"), ("dependent", "被扶養者（家族）"))),
        F("deceased_name", "亡くなった方の氏名", "text", max_length=50),
        F("deceased_kana", "亡くなった方のフリガナ", "kana", max_length=50),
        F("deceased_birth_date", "亡くなった方の生年月日", "date", not_future=True),
        F("death_date", "死亡年月日", "date", not_future=True),
        F("death_cause_injury", "死亡の原因は負傷（けが）ですか", "boolean"),
        THIRD_PARTY,
        F("claim_type", "請求の種類", "choice",
          choices=(("maisoryo", "埋葬料（生計を維持されていた家族）"),
                   ("maisohi", "埋葬費（埋葬を行った方。生計を維持されていた家族がいない場合）"))),
        F("applicant_name", "申請者の氏名", "text", required=False, max_length=50,
          help="被保険者が亡くなった場合に記入"),
        F("applicant_relationship", "申請者と亡くなった方との続柄", "choice", required=False,
          choices=RELATIONSHIPS),
        F("burial_date", "埋葬を行った年月日", "date", required=False, not_future=True),
        F("burial_cost", "埋葬に要した費用の額", "money", required=False, min_value=1),
    ),
    required_when=(
        RequiredWhen("third_party", Condition("death_cause_injury", YES)),
        RequiredWhen("applicant_name", Condition("deceased", ("insured",))),
        RequiredWhen("applicant_relationship", Condition("deceased", ("insured",))),
        RequiredWhen("burial_date", Condition("claim_type", ("maisohi",))),
        RequiredWhen("burial_cost", Condition("claim_type", ("maisohi",))),
    ),
    date_orders=(
        DateOrder("deceased_birth_date", "death_date",
                  "死亡年月日は亡くなった方の生年月日以降の日付にしてください。"),
        DateOrder("death_date", "burial_date",
                  "埋葬を行った年月日は死亡年月日以降の日付にしてください。"),
    ),
    extra_checks=(check_maiso,),
    attachments=(
        A("death_proof", "死亡を確認できる書類（埋葬許可証・火葬許可証・死亡診断書等の写し）"),
        A("livelihood_proof", "生計維持を確認できる書類（住民票等）", required=False,
          help="亡くなった被保険者と申請者が別世帯の場合に必要です"),
        A("burial_receipt", "埋葬に要した費用の領収書・明細書", required=False,
          required_when=Condition("claim_type", ("maisohi",))),
        THIRD_PARTY_ATTACHMENT,
    ),
)

RYOYOHI_TATEKAE = FormDefinition(
    code="ryoyohi_tatekae",
    name="療養費支給申請書(立替払等)",
    category="benefit",
    version=1,
    pays_money=True,
    fields=(
        *target_fields("診療を受けた方"),
        F("reason", "医療費を全額負担した理由", "choice",
          choices=(
              ("no_certificate",
               "資格確認書・マイナ保険証を提示できなかった（資格確認ができなかった）"),
              ("emergency", "旅行先などで急病・けがのため保険医療機関以外で受診した"),
              ("blood", "輸血のための生血代"),
              ("other", "その他"),
          )),
        F("reason_detail", "理由の詳細", "multiline", required=False, max_length=500),
        F("injury_name", "傷病名", "text", max_length=100),
        F("onset_date", "発病・負傷の年月日", "date", not_future=True),
        F("is_injury", "傷病は負傷（けが）ですか", "boolean"),
        THIRD_PARTY,
        F("treatment_from", "診療を受けた期間（開始日）", "date", not_future=True),
        F("treatment_to", "診療を受けた期間（終了日）", "date", not_future=True),
        F("institution_name", "医療機関の名称", "text", max_length=100),
        F("amount_paid", "支払った金額", "money", min_value=1),
    ),
    required_when=(
        *TARGET_RULES,
        RequiredWhen("reason_detail", Condition("reason", ("other",))),
        RequiredWhen("third_party", Condition("is_injury", YES)),
    ),
    date_orders=(
        DateOrder("treatment_from", "treatment_to"),
        DateOrder("target_birth_date", "treatment_from"),
    ),
    attachments=(
        A("itemized_bill", "診療報酬明細書（レセプト）または診療内容が分かる明細", max_count=10),
        RECEIPT,
        A("injury_report", "負傷原因届", required=False,
          required_when=Condition("is_injury", YES)),
        THIRD_PARTY_ATTACHMENT,
    ),
)

RYOYOHI_SOGU = FormDefinition(
    code="ryoyohi_sogu",
    name="療養費支給申請書(治療用装具)",
    category="benefit",
    version=1,
    pays_money=True,
    fields=(
        *target_fields("装具を装着した方"),
        F("device_type", "装具の種類", "choice",
          choices=(
              ("corset", "コルセット・サポーター等の体幹装具"),
              ("limb", "上肢・下肢の装具"),
              ("shoes", "靴型装具"),
              ("compression", "弾性着衣（リンパ浮腫治療用）"),
              ("glasses", "小児弱視等の治療用眼鏡・コンタクトレンズ"),
              ("other", "その他"),
          )),
        F("device_detail", "装具の名称・内容", "text", max_length=100),
        F("injury_name", "傷病名", "text", max_length=100),
        F("onset_date", "発病・負傷の年月日", "date", not_future=True),
        F("is_injury", "傷病は負傷（けが）ですか", "boolean"),
        THIRD_PARTY,
        F("prescribed_date", "医師が装具の装着を指示した日", "date", not_future=True),
        F("fitted_date", "装具を装着した日", "date", not_future=True),
        F("amount_paid", "支払った金額", "money", min_value=1),
    ),
    required_when=(
        *TARGET_RULES,
        RequiredWhen("third_party", Condition("is_injury", YES)),
    ),
    date_orders=(
        DateOrder("prescribed_date", "fitted_date",
                  "装具を装着した日は医師が装着を指示した日以降の日付にしてください。"),
    ),
    attachments=(
        A("doctor_statement", "医師の意見書・装着証明書"),
        A("receipt", "領収書（装具の名称・内訳の記載があるもの）"),
        A("shoes_photo", "靴型装具の写真", required=False, max_count=3,
          required_when=Condition("device_type", ("shoes",))),
        A("injury_report", "負傷原因届", required=False,
          required_when=Condition("is_injury", YES)),
        THIRD_PARTY_ATTACHMENT,
    ),
)

KOGAKU_RYOYOHI = FormDefinition(
    code="kogaku_ryoyohi",
    name="高額療養費支給申請書",
    category="benefit",
    version=1,
    pays_money=True,
    fields=(
        *target_fields("診療を受けた方"),
        F("treatment_month", "診療年月", "month", not_future=True),
        F("institution_name", "医療機関・薬局の名称", "text", max_length=100),
        F("amount_paid", "支払った一部負担金の額", "money", min_value=1),
        F("other_institutions", "同じ月に受診した他の医療機関・薬局と支払額", "multiline",
          required=False, max_length=1000),
        F("injury_name", "傷病名", "text", max_length=100),
        F("is_injury", "傷病は負傷（けが）ですか", "boolean"),
        THIRD_PARTY,
        F("tax_exempt", "被保険者は住民税非課税ですか", "boolean"),
    ),
    required_when=(
        *TARGET_RULES,
        RequiredWhen("third_party", Condition("is_injury", YES)),
    ),
    attachments=(
        A("tax_exempt_certificate", "住民税非課税証明書", required=False,
          required_when=Condition("tax_exempt", YES),
          help="マイナンバーによる情報照会で確認できる場合は不要です"),
        THIRD_PARTY_ATTACHMENT,
    ),
)

GENDOGAKU = FormDefinition(
    code="gendogaku",
    name="限度額適用認定申請書",
    category="benefit",
    version=1,
    shows_sex=True,
    dependents_may_file=True,
    fields=(
        *target_fields("療養を受ける方"),
        F("start_month", "適用を希望する月", "month",
          help="申請月の初日より前には遡れません（申請月の1日から適用）"),
        F("institution_name", "入院・通院予定の医療機関の名称", "text", required=False,
          max_length=100),
        *SEND_TO_FIELDS,
    ),
    required_when=(*TARGET_RULES, *SEND_TO_RULES),
    attachments=(),
)

GENDOGAKU_GENGAKU = FormDefinition(
    code="gendogaku_gengaku",
    name="限度額適用・標準負担額減額認定申請書",
    category="benefit",
    version=1,
    shows_sex=True,
    dependents_may_file=True,
    fields=(
        *target_fields("療養を受ける方"),
        F("start_month", "適用を希望する月", "month"),
        F("long_stay", "過去12か月の入院日数が90日を超えていますか（長期入院該当）", "boolean"),
        F("hospital_days", "過去12か月の入院日数", "integer", required=False, min_value=91,
          max_value=366),
        *SEND_TO_FIELDS,
    ),
    required_when=(
        *TARGET_RULES,
        *SEND_TO_RULES,
        RequiredWhen("hospital_days", Condition("long_stay", YES)),
    ),
    attachments=(
        A("tax_exempt_certificate", "被保険者の住民税非課税証明書", required=False,
          help="マイナンバーによる情報照会で確認できる場合は不要です"),
        A("hospital_days_proof", "入院日数を確認できる書類（領収書等）", required=False,
          required_when=Condition("long_stay", YES)),
    ),
)

TOKUTEI_SHIPPEI = FormDefinition(
    code="tokutei_shippei",
    name="特定疾病療養受療証交付申請書",
    category="benefit",
    version=1,
    shows_sex=True,
    dependents_may_file=True,
    fields=(
        *target_fields("療養を受ける方"),
        F("disease", "特定疾病の種類", "choice",
          choices=(
              ("renal", "人工腎臓を実施している慢性腎不全"),
              ("hemophilia", "血漿分画製剤を投与している先天性血液凝固第VIII因子障害"
                             "または第IX因子障害"),
              ("hiv", "抗ウイルス剤を投与している後天性免疫不全症候群"
                      "（血液凝固因子製剤の投与に起因するHIV感染症を含む）"),
          )),
        F("start_month", "認定を希望する月", "month"),
        F("doctor_institution", "医療機関の名称（医師の意見）", "text", max_length=100),
        F("doctor_name", "医師の氏名", "text", max_length=50),
        F("doctor_certified_date", "医師の意見の記入日", "date", not_future=True),
        *SEND_TO_FIELDS,
    ),
    required_when=(*TARGET_RULES, *SEND_TO_RULES),
    attachments=(A("doctor_opinion", "医師の意見欄（記入済みのページ）"),),
)

KIJUN_INCOME_FIELDS = (
    F("insured_income", "被保険者の収入額（年額）", "money"),
    F("elderly_dependents", "70歳から74歳までの被扶養者の人数", "integer", min_value=0,
      max_value=10),
    F("dependents_income", "70歳から74歳までの被扶養者の収入額（合計・年額）", "money",
      required=False),
    F("former_dependent_income", "旧被扶養者（後期高齢者医療に移った方）の収入額（年額）",
      "money", required=False,
      help="被扶養者だった方が後期高齢者医療制度に移った場合に記入"),
)
KIJUN_RULES = (RequiredWhen("dependents_income", Condition("elderly_dependents",
                                                           (1, 2, 3, 4, 5, 6, 7, 8, 9, 10))),)
KIJUN_ATTACHMENTS = (
    A("income_certificate", "収入額を確認できる書類（課税（所得）証明書、確定申告書の写し等）",
      max_count=10),
)

KIJUN_SHUNYU_SHINKI = FormDefinition(
    code="kijun_shunyu_shinki",
    name="高齢受給者基準収入額適用申請書(新規判定用)",
    category="benefit",
    version=1,
    note="収入が基準（単身383万円未満、70〜74歳の被扶養者がいる場合は合計520万円未満）未満の"
    "とき、負担割合を3割から2割にする。基準の判定は審査で行う。",
    fields=(
        F("applicable_from", "適用を受ける年月", "month",
          help="負担割合が3割となった月（新たに70歳になった月の翌月等）"),
        *KIJUN_INCOME_FIELDS,
    ),
    required_when=KIJUN_RULES,
    attachments=KIJUN_ATTACHMENTS,
)

KIJUN_SHUNYU_TEIKI = FormDefinition(
    code="kijun_shunyu_teiki",
    name="高齢受給者基準収入額適用申請書(定期判定用)",
    category="benefit",
    version=1,
    note="毎年8月の定期判定用。",
    dev_note="seed の表記「高齡」は変換誤りとみて「高齢」とする。",
    fields=(
        F("fiscal_year", "判定の対象年度（8月1日から始まる年の西暦）", "integer",
          min_value=2000, max_value=2100),
        *KIJUN_INCOME_FIELDS,
    ),
    required_when=KIJUN_RULES,
    attachments=KIJUN_ATTACHMENTS,
)

KAIGAI_RYOYOHI = FormDefinition(
    code="kaigai_ryoyohi",
    name="海外療養費支給申請書",
    category="benefit",
    version=1,
    pays_money=True,
    fields=(
        *target_fields("診療を受けた方"),
        F("country", "診療を受けた国・地域", "text", max_length=50),
        F("travel_purpose", "渡航の目的", "choice",
          choices=(("business", "業務"), ("travel", "観光・旅行"), ("study", "留学"),
                   ("other", "その他"))),
        F("travel_for_treatment", "治療を受けることが渡航の目的ですか", "boolean"),
        F("injury_name", "傷病名", "text", max_length=100),
        F("treatment_from", "診療を受けた期間（開始日）", "date", not_future=True),
        F("treatment_to", "診療を受けた期間（終了日）", "date", not_future=True),
        F("institution_name", "医療機関の名称", "text", max_length=200),
        F("currency", "支払った通貨（ISO 4217 の3文字。例: USD）", "text", min_length=3,
          max_length=3),
        F("amount_foreign", "支払った金額（外国通貨の額。小数点以下は切り捨て）", "integer",
          min_value=1),
        F("inpatient", "入院しましたか", "boolean"),
    ),
    required_when=TARGET_RULES,
    date_orders=(DateOrder("treatment_from", "treatment_to"),),
    extra_checks=(check_not_for_treatment,),
    attachments=(
        A("medical_statement", "診療内容明細書（医科・歯科）", max_count=10),
        A("receipt_statement", "領収明細書", max_count=10),
        A("translation", "上記書類の日本語の翻訳文", max_count=20),
        A("passport", "パスポートの写し（渡航期間が分かるページ）", max_count=10),
        A("consent", "海外の医療機関等に照会することの同意書"),
        RECEIPT,
    ),
)

KOGAKU_KASHITSUKE = FormDefinition(
    code="kogaku_kashitsuke",
    name="高額医療費貸付金貸付申込書",
    category="benefit",
    version=1,
    pays_money=True,
    note="貸付金は高額療養費支給見込額の8割が上限（審査で決定）。",
    fields=(
        *target_fields("診療を受けた方"),
        F("treatment_month", "診療年月", "month", not_future=True),
        F("institution_name", "医療機関の名称", "text", max_length=100),
        F("billed_amount", "医療機関から請求された一部負担金の額", "money", min_value=1),
        F("requested_amount", "貸付を希望する額", "money", min_value=1),
    ),
    required_when=TARGET_RULES,
    attachments=(
        A("bill", "医療機関の発行した請求書（診療報酬点数が分かるもの）", max_count=5),
        A("loan_agreement", "高額医療費貸付金借用書"),
    ),
)

SHUSSANHI_KASHITSUKE = FormDefinition(
    code="shussanhi_kashitsuke",
    name="出産費貸付金貸付申込書",
    category="benefit",
    version=1,
    pays_money=True,
    note="出産予定日まで1か月以内、または妊娠4か月以上で医療機関に一時的な支払が必要な場合。"
    "上限は出産育児一時金支給見込額の8割（審査で決定）。",
    fields=(
        *target_fields("出産する方"),
        F("expected_birth_date", "出産予定日", "date"),
        F("institution_name", "出産予定の医療機関等の名称", "text", max_length=100),
        F("requested_amount", "貸付を希望する額", "money", min_value=10_000,
          help="1万円単位"),
    ),
    required_when=TARGET_RULES,
    attachments=(
        A("expected_date_proof", "出産予定日を確認できる書類（母子健康手帳の写し等）"),
        A("bill", "医療機関等の請求書（妊娠4か月以上で支払が必要な場合）", required=False),
        A("loan_agreement", "出産費貸付金借用書"),
    ),
)

ISOHI = FormDefinition(
    code="isohi",
    name="移送費支給申請書",
    category="benefit",
    version=1,
    pays_money=True,
    fields=(
        *target_fields("移送された方"),
        F("injury_name", "傷病名", "text", max_length=100),
        F("transfer_date", "移送の年月日", "date", not_future=True),
        F("from_place", "移送元（発病・負傷した場所、転院元）", "text", max_length=100),
        F("to_place", "移送先の医療機関の名称", "text", max_length=100),
        F("transport", "移送の方法", "text", max_length=50, help="例: 民間救急車、ヘリコプター"),
        F("doctor_instruction", "医師の指示による移送ですか", "boolean"),
        F("reason", "移送が必要だった理由", "multiline", max_length=500),
        F("amount_paid", "移送に要した費用の額", "money", min_value=1),
    ),
    required_when=TARGET_RULES,
    attachments=(
        A("doctor_statement", "医師の意見書（移送の必要性）"),
        A("receipt", "移送に要した費用の領収書（区間・距離の分かるもの）"),
    ),
)

KOGAKU_KAIGO_GASSAN = FormDefinition(
    code="kogaku_kaigo_gassan",
    name="高額介護合算療養費支給申請書兼自己負担額証明書交付申請書",
    category="benefit",
    version=1,
    pays_money=True,
    note="計算期間は毎年8月1日から翌年7月31日。介護保険の自己負担額証明書を添付する。",
    fields=(
        F("calc_year", "計算期間（8月1日から始まる年の西暦）", "integer", min_value=2008,
          max_value=2100),
        F("certificate_only", "自己負担額証明書の交付のみを希望しますか", "boolean",
          help="他の医療保険に移った等で、合算の申請先が協会でない場合"),
        F("kaigo_insurer_number", "介護保険の保険者番号", "digits", min_length=6, max_length=6),
        F("kaigo_insured_number", "介護保険の被保険者番号", "digits", min_length=10,
          max_length=10),
        F("household_members", "合算の対象となる世帯の方（氏名・続柄）", "multiline",
          max_length=500),
        F("other_insurers", "計算期間中に加入していた他の医療保険（保険者名・期間）", "multiline",
          required=False, max_length=500),
    ),
    attachments=(
        A("kaigo_certificate", "介護保険の自己負担額証明書", max_count=10),
        A("other_insurer_certificate", "他の医療保険の自己負担額証明書", required=False,
          max_count=10),
    ),
)

NENKAN_KOGAKU = FormDefinition(
    code="nenkan_kogaku",
    name="年間の高額療養費支給申請書兼自己負担額証明書交付申請書",
    category="benefit",
    version=1,
    pays_money=True,
    note="70歳以上の一般・低所得区分の外来年間合算（8月1日〜翌年7月31日、上限144,000円）。",
    fields=(
        *target_fields("対象の方"),
        F("calc_year", "計算期間（8月1日から始まる年の西暦）", "integer", min_value=2017,
          max_value=2100),
        F("certificate_only", "自己負担額証明書の交付のみを希望しますか", "boolean"),
        F("other_insurers", "計算期間中に加入していた他の医療保険（保険者名・期間）", "multiline",
          required=False, max_length=500),
    ),
    required_when=TARGET_RULES,
    attachments=(
        A("other_insurer_certificate", "他の医療保険の自己負担額証明書", required=False,
          max_count=10),
    ),
)

# ---------------------------------------------------------------------------------------------
# 適用・給付関連申請書 — eligibility (任意継続 and certificates)
# ---------------------------------------------------------------------------------------------

PREMIUM_METHOD = F("premium_method", "保険料の納付方法", "choice",
                   choices=(("monthly", "毎月納付"), ("prepay_6", "6か月前納"),
                            ("prepay_12", "12か月前納")))

NINI_KEIZOKU_ENROL_FIELDS = (
    F("loss_date", "資格喪失年月日（退職日の翌日）", "date"),
    F("former_symbol", "退職前の記号", "digits", min_length=1, max_length=8),
    F("former_number", "退職前の番号", "digits", min_length=1, max_length=10),
    F("former_employer_name", "退職前の事業所の名称", "text", max_length=100),
    F("former_employer_address", "退職前の事業所の所在地", "text", max_length=120),
    *ADDRESS_FIELDS,
    PREMIUM_METHOD,
    F("account_transfer", "保険料の口座振替を希望しますか", "boolean",
      help="希望する場合は別途、口座振替依頼書の提出が必要です"),
    F("has_dependents", "被扶養者となる家族がいますか", "boolean"),
    F("want_certificate", "資格確認書の交付を希望しますか", "boolean",
      help="マイナ保険証を利用できない場合は希望しなくても交付されます"),
)

NINI_KEIZOKU_SHUTOKU = FormDefinition(
    code="nini_keizoku_shutoku",
    name="任意継続被保険者資格取得申出書",
    category="eligibility",
    version=1,
    shows_sex=True,
    note="資格喪失日から20日以内（健保法§37）。退職前の申出も受け付けるため喪失日は未来でもよい。",
    fields=NINI_KEIZOKU_ENROL_FIELDS,
    extra_checks=(check_nini_keizoku_deadline,),
    attachments=(
        A("dependent_documents", "被扶養者の続柄・収入を確認できる書類", required=False,
          max_count=10, required_when=Condition("has_dependents", YES)),
    ),
)

NINI_KEIZOKU_SHUTOKU_CHIEN = FormDefinition(
    code="nini_keizoku_shutoku_chien",
    name="任意継続被保険者資格取得申出・保険料納付遅延理由申出書",
    category="eligibility",
    version=1,
    shows_sex=True,
    note="20日の期限または初回保険料の納付期日を過ぎたことに正当な理由（天災地変等）がある場合。",
    fields=(
        *NINI_KEIZOKU_ENROL_FIELDS,
        F("delay_kind", "遅れた手続", "choice",
          choices=(("application", "資格取得の申出"), ("premium", "初回保険料の納付"),
                   ("both", "申出と初回保険料の納付の両方"))),
        F("delay_reason", "遅れた理由", "choice",
          choices=(("disaster", "天災地変"), ("traffic", "交通・通信関係のスト等"),
                   ("illness", "本人の病気・けが（入院等）"), ("other", "その他"))),
        F("delay_detail", "遅れた理由の詳細", "multiline", max_length=1000),
    ),
    date_orders=(),
    attachments=(
        A("delay_proof", "遅れた理由を確認できる書類（入院証明等）", required=False, max_count=5),
        A("dependent_documents", "被扶養者の続柄・収入を確認できる書類", required=False,
          max_count=10, required_when=Condition("has_dependents", YES)),
    ),
)

NINI_KEIZOKU_SOSHITSU = FormDefinition(
    code="nini_keizoku_soshitsu",
    name="任意継続被保険者資格喪失申出書",
    category="eligibility",
    version=1,
    fields=(
        F("reason", "喪失の理由", "choice",
          choices=(
              ("request", "任意継続をやめることを希望する（申出による喪失）"),
              ("employed", "就職して他の健康保険に加入した"),
              ("late_elderly", "後期高齢者医療制度の被保険者となった"),
              ("other", "その他"),
          )),
        F("event_date", "就職・加入した年月日", "date", required=False, not_future=True),
        F("new_insurer_name", "加入した健康保険の保険者名称", "text", required=False,
          max_length=100),
        F("reason_detail", "理由の詳細", "multiline", required=False, max_length=500),
        F("return_certificate", "交付済みの資格確認書を返却しますか", "boolean",
          help="有効な資格確認書は喪失後に返却してください"),
    ),
    required_when=(
        RequiredWhen("event_date", Condition("reason", ("employed", "late_elderly"))),
        RequiredWhen("new_insurer_name", Condition("reason", ("employed",))),
        RequiredWhen("reason_detail", Condition("reason", ("other",))),
    ),
    attachments=(
        A("new_eligibility_proof", "新しい健康保険の資格を確認できる書類（資格情報のお知らせ等）",
          required=False, required_when=Condition("reason", ("employed",))),
    ),
)

NINI_KEIZOKU_HENKO = FormDefinition(
    code="nini_keizoku_henko",
    name="任意継続被保険者氏名・生年月日・性別・住所・電話番号変更(訂正)届",
    category="eligibility",
    version=1,
    shows_sex=True,
    fields=(
        F("change_name", "氏名を変更・訂正する", "boolean"),
        F("change_birth_date", "生年月日を訂正する", "boolean"),
        F("change_sex", "性別を訂正する", "boolean"),
        F("change_address", "住所を変更する", "boolean"),
        F("change_phone", "電話番号を変更する", "boolean"),
        F("new_name", "新しい氏名", "text", required=False, max_length=50),
        F("new_kana", "新しいフリガナ", "kana", required=False, max_length=50),
        F("new_birth_date", "正しい生年月日", "date", required=False, not_future=True),
        F("new_sex", "正しい性別", "choice", required=False, choices=SEXES),
        F("new_postal_code", "新しい郵便番号", "digits", required=False, min_length=7,
          max_length=7),
        F("new_address", "新しい住所", "text", required=False, max_length=120),
        F("new_phone", "新しい電話番号", "digits", required=False, min_length=10, max_length=11),
        F("change_date", "変更年月日", "date", not_future=True),
        F("reason", "変更・訂正の理由", "text", required=False, max_length=200),
    ),
    required_when=(
        RequiredWhen("new_name", Condition("change_name", YES)),
        RequiredWhen("new_kana", Condition("change_name", YES)),
        RequiredWhen("new_birth_date", Condition("change_birth_date", YES)),
        RequiredWhen("new_sex", Condition("change_sex", YES)),
        RequiredWhen("new_postal_code", Condition("change_address", YES)),
        RequiredWhen("new_address", Condition("change_address", YES)),
        RequiredWhen("new_phone", Condition("change_phone", YES)),
    ),
    extra_checks=(
        at_least_one("change_name", "change_birth_date", "change_sex", "change_address",
                     "change_phone", target="change_name", what="変更・訂正する項目"),
    ),
    attachments=(
        A("correction_proof", "訂正内容を確認できる書類（戸籍謄本・住民票等）", required=False,
          help="生年月日・性別の訂正の場合に必要です",
          required_when=Condition("change_birth_date", YES)),
        A("sex_correction_proof", "性別の訂正を確認できる書類（戸籍謄本等）", required=False,
          required_when=Condition("change_sex", YES)),
    ),
)

NINI_KEIZOKU_FUYO_IDO = FormDefinition(
    code="nini_keizoku_fuyo_ido",
    name="任意継続被保険者被扶養者(異動)届",
    category="eligibility",
    version=1,
    shows_sex=True,
    fields=(
        F("action", "異動の種類", "choice",
          choices=(("add", "被扶養者にする（追加）"), ("remove", "被扶養者から外す（削除）"))),
        F("dependent_name", "家族の氏名", "text", max_length=50),
        F("dependent_kana", "家族のフリガナ", "kana", max_length=50),
        F("dependent_birth_date", "家族の生年月日", "date", not_future=True),
        F("dependent_sex", "家族の性別", "choice", choices=SEXES),
        F("relationship", "被保険者との続柄", "choice", choices=RELATIONSHIPS),
        F("lives_together", "被保険者と同居していますか", "boolean"),
        F("annual_income", "家族の年間収入（見込額）", "money", required=False),
        F("event_date", "異動の年月日（被扶養者になった日・外れた日）", "date"),
        F("reason", "異動の理由", "text", max_length=200,
          help="例: 結婚、出生、退職による収入減、就職、死亡"),
    ),
    required_when=(RequiredWhen("annual_income", Condition("action", ("add",))),),
    date_orders=(
        DateOrder("dependent_birth_date", "event_date",
                  "異動の年月日は家族の生年月日以降の日付にしてください。"),
    ),
    attachments=(
        A("relationship_proof", "続柄を確認できる書類（戸籍謄本等）", required=False,
          required_when=Condition("action", ("add",))),
        A("income_proof", "収入を確認できる書類（課税証明書・退職証明書等）", required=False,
          max_count=10, required_when=Condition("action", ("add",))),
        A("residence_proof", "住民票（同居していない場合は仕送りを確認できる書類）",
          required=False, max_count=10),
    ),
)

NINI_KEIZOKU_FUYO_HENKO = FormDefinition(
    code="nini_keizoku_fuyo_henko",
    name="任意継続被扶養者変更(訂正)届",
    category="eligibility",
    version=1,
    shows_sex=True,
    fields=(
        F("dependent_name", "家族の氏名（現在登録されているもの）", "text", max_length=50),
        F("dependent_birth_date", "家族の生年月日（現在登録されているもの）", "date",
          not_future=True),
        F("change_name", "氏名を変更・訂正する", "boolean"),
        F("change_birth_date", "生年月日を訂正する", "boolean"),
        F("change_sex", "性別を訂正する", "boolean"),
        F("new_name", "新しい氏名", "text", required=False, max_length=50),
        F("new_kana", "新しいフリガナ", "kana", required=False, max_length=50),
        F("new_birth_date", "正しい生年月日", "date", required=False, not_future=True),
        F("new_sex", "正しい性別", "choice", required=False, choices=SEXES),
        F("change_date", "変更年月日", "date", not_future=True),
        F("reason", "変更・訂正の理由", "text", required=False, max_length=200),
    ),
    required_when=(
        RequiredWhen("new_name", Condition("change_name", YES)),
        RequiredWhen("new_kana", Condition("change_name", YES)),
        RequiredWhen("new_birth_date", Condition("change_birth_date", YES)),
        RequiredWhen("new_sex", Condition("change_sex", YES)),
    ),
    extra_checks=(
        at_least_one("change_name", "change_birth_date", "change_sex", target="change_name",
                     what="変更・訂正する項目"),
    ),
    attachments=(
        A("correction_proof", "訂正内容を確認できる書類（戸籍謄本等）", required=False,
          help="生年月日・性別の訂正の場合に必要です"),
    ),
)

KOREIJUKYU_SAIKOFU = FormDefinition(
    code="koreijukyu_saikofu",
    name="高齢受給者証再交付申請書",
    category="eligibility",
    version=1,
    shows_sex=True,
    dependents_may_file=True,
    fields=(
        *target_fields("対象の方"),
        F("reason", "再交付の理由", "choice",
          choices=(("lost", "紛失"), ("damaged", "破損・汚損"), ("other", "その他"))),
        F("reason_detail", "理由の詳細", "text", required=False, max_length=200),
        *SEND_TO_FIELDS,
    ),
    required_when=(
        *TARGET_RULES,
        *SEND_TO_RULES,
        RequiredWhen("reason_detail", Condition("reason", ("other",))),
    ),
    attachments=(),
)

HO118 = FormDefinition(
    code="ho118",
    name="健康保険法第118条第1項該当・非該当届",
    category="eligibility",
    version=1,
    note="刑事施設・少年院等に収容された期間は保険給付が行われず（§118）、任意継続被保険者の"
    "保険料も免除される（§158）。",
    fields=(
        F("status", "届出の種類", "choice",
          choices=(("applicable", "該当（収容された）"),
                   ("not_applicable", "非該当（出所・退院した）"))),
        F("facility", "施設の種類", "choice",
          choices=(("prison", "刑事施設（刑務所・拘置所等）"), ("juvenile", "少年院"),
                   ("detention", "労役場・その他これらに準ずる施設"))),
        F("facility_name", "施設の名称", "text", max_length=100),
        F("from_date", "収容された年月日", "date", not_future=True),
        F("to_date", "出所・退院した年月日", "date", required=False, not_future=True),
    ),
    required_when=(RequiredWhen("to_date", Condition("status", ("not_applicable",))),),
    date_orders=(DateOrder("from_date", "to_date",
                           "出所・退院した年月日は収容された年月日以降の日付にしてください。"),),
    attachments=(A("stay_certificate", "在所証明書（収容・出所の期間を証明する書類）"),),
)

SHIKAKU_KAKUNINSHO = FormDefinition(
    code="shikaku_kakuninsho",
    name="資格確認書交付申請書",
    category="eligibility",
    version=1,
    shows_sex=True,
    dependents_may_file=True,
    fields=(
        *target_fields("交付を受ける方"),
        F("reason", "交付を申請する理由", "choice",
          choices=(
              ("no_card",
               "マイナンバーカードを持っていない、または健康保険証として利用登録していない"),
              ("card_lost", "マイナンバーカードを紛失した、または更新中である"),
              ("needs_assistance", "マイナ保険証での受診が困難である"
                                   "（高齢者・障害者等で、介助者による支援が必要など）"),
              ("cannot_use", "その他、マイナ保険証を利用できない事情がある"),
              ("reissue_lost", "交付された資格確認書を紛失した（再交付）"),
              ("reissue_damaged", "交付された資格確認書が破損・汚損した（再交付）"),
          )),
        F("reason_detail", "マイナ保険証を利用できない事情", "multiline", required=False,
          max_length=500),
        *SEND_TO_FIELDS,
    ),
    required_when=(
        *TARGET_RULES,
        *SEND_TO_RULES,
        RequiredWhen("reason_detail", Condition("reason", ("cannot_use",))),
    ),
    attachments=(),
)

OSHIRASE_KOFU = FormDefinition(
    code="oshirase_kofu",
    name="資格情報のお知らせ交付申請書",
    category="eligibility",
    version=1,
    dependents_may_file=True,
    dev_note="seed 000 の一覧にはないが、資格情報のお知らせの再交付（DOMAIN.md）のために加える。",
    fields=(
        *target_fields("交付を受ける方"),
        F("reason", "交付を申請する理由", "choice",
          choices=(("lost", "紛失した"), ("damaged", "破損・汚損した"),
                   ("not_received", "届いていない"), ("other", "その他"))),
        F("reason_detail", "理由の詳細", "text", required=False, max_length=200),
        *SEND_TO_FIELDS,
    ),
    required_when=(
        *TARGET_RULES,
        *SEND_TO_RULES,
        RequiredWhen("reason_detail", Condition("reason", ("other",))),
    ),
    attachments=(),
)

# ---------------------------------------------------------------------------------------------
# 保健関連申請書 — health (社会保険労務士 may not file: seed 000)
# ---------------------------------------------------------------------------------------------

TOKUTEI_KENSHIN = FormDefinition(
    code="tokutei_kenshin",
    name="特定健康診査受診券(セット券)申請書",
    category="health",
    version=1,
    shows_sex=True,
    dependents_may_file=True,
    attorneys_may_file=False,
    note="被扶養者（と任意継続被保険者）の40〜74歳が対象。",
    fields=(
        *target_fields("受診する方"),
        F("fiscal_year", "受診する年度（西暦）", "integer", min_value=2008, max_value=2100),
        F("reason", "申請の理由", "choice",
          choices=(("not_received", "受診券が届いていない"), ("lost", "紛失した"),
                   ("newly_eligible", "年度の途中で対象になった"), ("other", "その他"))),
        F("with_cancer_screening", "市区町村のがん検診とのセット券を希望しますか", "boolean"),
        *SEND_TO_FIELDS,
    ),
    required_when=(*TARGET_RULES, *SEND_TO_RULES),
    attachments=(),
)

TOKUTEI_HOKEN_SHIDO = FormDefinition(
    code="tokutei_hoken_shido",
    name="特定保健指導利用券申請書",
    category="health",
    version=1,
    dependents_may_file=True,
    attorneys_may_file=False,
    fields=(
        *target_fields("指導を受ける方"),
        F("fiscal_year", "利用する年度（西暦）", "integer", min_value=2008, max_value=2100),
        F("checkup_date", "特定健康診査を受診した日", "date", not_future=True),
        F("checkup_institution", "特定健康診査を受診した機関の名称", "text", max_length=100),
        *SEND_TO_FIELDS,
    ),
    required_when=(*TARGET_RULES, *SEND_TO_RULES),
    attachments=(
        A("checkup_result", "特定健康診査の結果の写し", required=False, max_count=5),
    ),
)

#: Every form and version, in the order of the seed's list (oshirase_kofu last but one group).
ALL_DEFINITIONS: tuple[FormDefinition, ...] = (
    SHOBYO_TEATE,
    SHUSSAN_TEATE,
    SHUSSAN_IKUJI_ICHIJIKIN,
    SHUSSAN_IKUJI_UCHIBARAI,
    MAISORYO,
    RYOYOHI_TATEKAE,
    RYOYOHI_SOGU,
    KOGAKU_RYOYOHI,
    NINI_KEIZOKU_SHUTOKU,
    NINI_KEIZOKU_SOSHITSU,
    GENDOGAKU,
    GENDOGAKU_GENGAKU,
    NINI_KEIZOKU_SHUTOKU_CHIEN,
    NINI_KEIZOKU_HENKO,
    NINI_KEIZOKU_FUYO_IDO,
    NINI_KEIZOKU_FUYO_HENKO,
    KOREIJUKYU_SAIKOFU,
    TOKUTEI_SHIPPEI,
    KIJUN_SHUNYU_SHINKI,
    KIJUN_SHUNYU_TEIKI,
    KAIGAI_RYOYOHI,
    KOGAKU_KASHITSUKE,
    SHUSSANHI_KASHITSUKE,
    ISOHI,
    KOGAKU_KAIGO_GASSAN,
    NENKAN_KOGAKU,
    HO118,
    SHIKAKU_KAKUNINSHO,
    OSHIRASE_KOFU,
    TOKUTEI_KENSHIN,
    TOKUTEI_HOKEN_SHIDO,
)
