"""applications.bank: the payee account, checked against the 全銀 list."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from applications.bank import (
    HOLDER_MAX_LENGTH,
    BankAccount,
    validate_bank_account,
    yucho_to_zengin,
)
from applications.forms_catalogue import FormDataError

MIZUHO_HEAD_OFFICE = {
    "bank_code": "0001",
    "branch_code": "001",
    "account_type": "1",
    "account_number": "1234567",
    "holder_name": "ヤマダ　タロウ",
}

FULLWIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


def errors_of(data: dict) -> dict[str, list[str]]:
    with pytest.raises(FormDataError) as caught:
        validate_bank_account(data)
    return caught.value.errors


def test_valid_account_with_names_for_display() -> None:
    account = validate_bank_account(MIZUHO_HEAD_OFFICE)
    assert account == BankAccount(
        bank_code="0001",
        branch_code="001",
        account_type="1",
        account_number="1234567",
        holder_kana="ﾔﾏﾀﾞ ﾀﾛｳ",
        bank_name="みずほ",
        bank_kana="ミズホ",
        branch_name="東京営業部",
        branch_kana="トウキヨウ",
    )
    assert account.account_type_label == "普通"
    assert not account.is_yucho


def test_fullwidth_digits_hiragana_and_small_kana() -> None:
    account = validate_bank_account(
        {
            "bank_code": "０００５",
            "branch_code": "００１",
            "account_type": "当座",
            "account_number": "７６５４３２１",
            "holder_name": "きょうかい　しょうたろう",
        }
    )
    assert (account.bank_code, account.branch_code) == ("0005", "001")
    assert account.account_type == "2"
    assert account.account_number == "7654321"
    # Small kana are written large in 全銀 names.
    assert account.holder_kana == "ｷﾖｳｶｲ ｼﾖｳﾀﾛｳ"
    assert account.branch_name == "本店"


@settings(deadline=None)  # the first call loads the 全銀 list
@given(st.text(alphabet="0123456789", min_size=1, max_size=7).filter(lambda s: int(s) > 0))
def test_short_account_numbers_are_zero_padded_to_seven(number: str) -> None:
    for typed in (number, number.translate(FULLWIDTH)):
        account = validate_bank_account({**MIZUHO_HEAD_OFFICE, "account_number": typed})
        assert account.account_number == number.zfill(7)
        assert len(account.account_number) == 7
        assert int(account.account_number) == int(number)


@settings(deadline=None)
@given(st.text(alphabet="0123456789", min_size=8, max_size=12))
def test_account_numbers_longer_than_seven_digits_are_refused(number: str) -> None:
    errors = errors_of({**MIZUHO_HEAD_OFFICE, "account_number": number})
    assert errors == {"account_number": ["口座番号は7桁までの数字で入力してください。"]}


@pytest.mark.parametrize("number", ["0000000", "12a4567", "123.45"])
def test_bad_account_numbers_are_refused(number: str) -> None:
    assert "account_number" in errors_of({**MIZUHO_HEAD_OFFICE, "account_number": number})


@pytest.mark.parametrize(
    ("typed", "code"), [("1", "1"), (1, "1"), ("普通", "1"), ("当座", "2"), ("4", "4"),
                        ("貯蓄預金", "4")]
)
def test_account_types(typed: object, code: str) -> None:
    assert validate_bank_account({**MIZUHO_HEAD_OFFICE, "account_type": typed}).account_type == code


@pytest.mark.parametrize("typed", ["3", "9", "定期"])
def test_unknown_account_type_is_refused(typed: str) -> None:
    errors = errors_of({**MIZUHO_HEAD_OFFICE, "account_type": typed})
    assert errors["account_type"] == [
        "預金種目は「普通」「当座」「貯蓄」のいずれかを選択してください。"
    ]


def test_unknown_bank_and_branch() -> None:
    errors = errors_of({**MIZUHO_HEAD_OFFICE, "bank_code": "0002"})
    assert list(errors) == ["bank_code"]
    assert "0002" in errors["bank_code"][0]

    errors = errors_of({**MIZUHO_HEAD_OFFICE, "branch_code": "999"})
    assert list(errors) == ["branch_code"]
    assert "みずほ" in errors["branch_code"][0] and "999" in errors["branch_code"][0]


def test_code_lengths_are_checked() -> None:
    errors = errors_of({**MIZUHO_HEAD_OFFICE, "bank_code": "001", "branch_code": "01"})
    assert errors["bank_code"] == ["金融機関コードは4桁の数字で入力してください。"]
    assert errors["branch_code"] == ["支店コードは3桁の数字で入力してください。"]


def test_everything_missing_reports_every_field() -> None:
    errors = errors_of({})
    assert set(errors) == {
        "bank_code",
        "branch_code",
        "account_type",
        "account_number",
        "holder_name",
    }


def test_unknown_keys_and_wrong_types_are_refused() -> None:
    errors = errors_of({**MIZUHO_HEAD_OFFICE, "iban": "X", "branch_code": 1.5})
    assert "iban" in errors
    assert errors["branch_code"] == ["数字で入力してください。"]


def test_holder_name_must_be_zengin_kana() -> None:
    errors = errors_of({**MIZUHO_HEAD_OFFICE, "holder_name": "山田太郎"})
    assert "山" in errors["holder_name"][0]
    assert "カタカナ" in errors["holder_name"][0]
    assert errors_of({**MIZUHO_HEAD_OFFICE, "holder_name": "　"})["holder_name"] == [
        "口座名義をカタカナで入力してください。"
    ]


def test_holder_name_length_limit() -> None:
    ok = validate_bank_account({**MIZUHO_HEAD_OFFICE, "holder_name": "ア" * HOLDER_MAX_LENGTH})
    assert len(ok.holder_kana) == HOLDER_MAX_LENGTH
    # ガ is two half-width characters (ｶﾞ): 16 of them are 32 > 30.
    errors = errors_of({**MIZUHO_HEAD_OFFICE, "holder_name": "ガ" * 16})
    assert "30文字以内" in errors["holder_name"][0]


# --- ゆうちょ銀行 -------------------------------------------------------------------------------


def test_yucho_passbook_is_converted() -> None:
    # DOMAIN.md's rule: 店番 = 2nd–3rd digits of 記号 + "8"; 口座番号 = 番号 without its last
    # digit, zero-padded to 7. (DOMAIN.md's worked example says 0199276, which contradicts
    # the rule; ゆうちょ銀行 drops the trailing 1: 19927651 → 1992765.)
    account = validate_bank_account(
        {
            "bank_code": "9900",
            "yucho_symbol": "17300",
            "yucho_number": "19927651",
            "holder_name": "ﾕｳﾁﾖ ﾊﾅｺ",
        }
    )
    assert account.branch_code == "738"
    assert account.account_number == "1992765"
    assert account.account_type == "1"
    assert account.branch_name == "七三八"
    assert account.branch_kana == "ナナサンハチ"
    assert account.bank_name == "ゆうちょ"
    assert (account.yucho_symbol, account.yucho_number) == ("17300", "19927651")
    assert account.is_yucho


def test_yucho_short_number_is_zero_padded() -> None:
    assert yucho_to_zengin("10530", "123451") == ("058", "0012345")
    account = validate_bank_account(
        {"bank_code": "9900", "yucho_symbol": "１０５３０", "yucho_number": "１２３４５１",
         "holder_name": "ア"}
    )
    assert (account.branch_code, account.account_number) == ("058", "0012345")


@given(
    st.text(alphabet="0123456789", min_size=4, max_size=4),
    st.text(alphabet="0123456789", min_size=2, max_size=8),
)
def test_yucho_conversion_rule(symbol_tail: str, number: str) -> None:
    symbol = "1" + symbol_tail
    branch, account = yucho_to_zengin(symbol, number)
    assert branch == symbol[1] + symbol[2] + "8"
    assert len(account) == 7 and account.isdigit()
    assert account == number[:-1].zfill(7)
    assert int(account) == int(number) // 10


@settings(deadline=None)
@given(st.text(alphabet="0123456789", min_size=2, max_size=2))
def test_yucho_branch_must_exist(middle: str) -> None:
    from applications.bank import _banks

    branches = _banks()["9900"].branches
    data = {"bank_code": "9900", "yucho_symbol": f"1{middle}00", "yucho_number": "12345671",
            "holder_name": "ア"}
    if f"{middle}8" in branches:
        assert validate_bank_account(data).branch_code == f"{middle}8"
    else:
        errors = errors_of(data)
        assert list(errors) == ["yucho_symbol"]
        assert f"{middle}8" in errors["yucho_symbol"][0]


def test_yucho_furikae_symbol_is_refused() -> None:
    errors = errors_of({"bank_code": "9900", "yucho_symbol": "00120", "yucho_number": "123456",
                        "holder_name": "ア"})
    assert "振替口座" in errors["yucho_symbol"][0]


@pytest.mark.parametrize(
    ("symbol", "number", "field"),
    [("1730", "19927651", "yucho_symbol"), ("173000", "19927651", "yucho_symbol"),
     ("17300", "199276511", "yucho_number"), ("17300", "1", "yucho_number"),
     ("17300", None, "yucho_number"), (None, "19927651", "yucho_symbol")],
)
def test_yucho_passbook_shape(symbol: str | None, number: str | None, field: str) -> None:
    data = {"bank_code": "9900", "yucho_symbol": symbol, "yucho_number": number,
            "holder_name": "ア"}
    assert field in errors_of(data)


def test_yucho_transfer_form_is_accepted_directly() -> None:
    account = validate_bank_account(
        {"bank_code": "9900", "branch_code": "738", "account_type": "1",
         "account_number": "1992765", "holder_name": "ア"}
    )
    assert (account.branch_code, account.account_number) == ("738", "1992765")
    assert account.yucho_symbol is None


def test_yucho_both_forms_at_once_are_refused() -> None:
    errors = errors_of({"bank_code": "9900", "branch_code": "738", "account_number": "1992765",
                        "yucho_symbol": "17300", "yucho_number": "19927651", "holder_name": "ア"})
    assert "どちらか一方" in errors["yucho_symbol"][0]


def test_passbook_fields_only_for_yucho() -> None:
    errors = errors_of({**MIZUHO_HEAD_OFFICE, "yucho_symbol": "17300"})
    assert errors["yucho_symbol"] == ["記号・番号はゆうちょ銀行の場合のみ入力してください。"]


def test_yucho_passbook_is_always_futsu() -> None:
    errors = errors_of({"bank_code": "9900", "yucho_symbol": "17300", "yucho_number": "19927651",
                        "account_type": "2", "holder_name": "ア"})
    assert errors["account_type"] == ["ゆうちょ銀行の通常貯金の預金種目は「普通」です。"]
