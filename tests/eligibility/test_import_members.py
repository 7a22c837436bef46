"""Member CSV import: bad input named by row and column, the two modes, idempotence, audit,
the My Number, encodings."""

from __future__ import annotations

import pytest

from core.jp.checkdigits import insurer_number_check_digit
from core.models import AuditEvent
from eligibility.imports.columns import MEMBER_COLUMNS
from eligibility.models import EligibilityRecord, ImportJob, Person
from tests.eligibility.import_helpers import errors_at, report, run
from tests.factories.eligibility import EmployerFactory, InsuredRecordFactory, valid_my_number
from tests.factories.imports import csv_text, dependent_row, member_row

GOOD_ROWS = ImportJob.Mode.GOOD_ROWS
ALL_OR_NOTHING = ImportJob.Mode.ALL_OR_NOTHING
SYMBOL = "13000001"
#: A valid insurer number (組合管掌, 法別番号 06) that is no branch of the association.
OTHER_INSURER = "0613001" + str(insurer_number_check_digit("0613001"))


@pytest.fixture
def employer(tokyo):
    return EmployerFactory(symbol=SYMBOL, branch=tokyo)


def wrong_check_digit(number: str) -> str:
    return number[:11] + str((int(number[11]) + 1) % 10)


# --- each bad input: rejected, nothing written, row and column named -------------------
BAD_CELLS = [
    pytest.param({"個人番号": "wrong-check"}, "個人番号", "検査用数字", id="my-number-check-digit"),
    pytest.param({"フリガナ": "協会　タロウ"}, "フリガナ", "全角カタカナ", id="kana-with-kanji"),
    pytest.param({"フリガナ": "ｷｮｳｶｲ!ﾀﾛｳ"}, "フリガナ", "!", id="kana-half-width-symbol"),
    pytest.param({"生年月日": "2025-02-30"}, "生年月日", "存在しない日付", id="impossible-date"),
    pytest.param(
        {"資格取得年月日": "令和7年2月30日"}, "資格取得年月日", "存在しない", id="wareki-impossible"
    ),
    pytest.param(
        {"生年月日": "2011-04-02", "資格取得年月日": "2010-04-01"},
        "生年月日",
        "資格取得年月日より後",
        id="birth-after-acquisition",
    ),
    pytest.param({"保険者番号": "01130013"}, "保険者番号", "検証番号", id="insurer-check-digit"),
    pytest.param(
        {"保険者番号": OTHER_INSURER}, "保険者番号", "該当する支部がありません", id="unknown-branch"
    ),
    pytest.param(
        {"保険者番号": "48"}, "保険者番号", "該当する支部がありません", id="unknown-branch-code"
    ),
    pytest.param({"記号": "13999999"}, "記号", "該当する事業所がありません", id="unknown-employer"),
    pytest.param({"郵便番号": "100-001"}, "郵便番号", "7桁", id="postal-code"),
    pytest.param({"性別": "3"}, "性別", "性別", id="sex"),
    pytest.param({"資格喪失年月日": "2010-04-01"}, "資格喪失年月日", "より後", id="lost-not-after"),
    pytest.param({"枝番": "01"}, "枝番", "00", id="insured-with-branch-number"),
    pytest.param({"氏名": ""}, "氏名", "入力されていません", id="empty-name"),
]


@pytest.mark.parametrize(("overrides", "column", "message"), BAD_CELLS)
@pytest.mark.parametrize("mode", [ALL_OR_NOTHING, GOOD_ROWS])
def test_bad_cell_is_named_by_row_and_column(tmp_path, employer, overrides, column, message, mode):
    if overrides.get("個人番号") == "wrong-check":
        overrides = {"個人番号": wrong_check_digit(valid_my_number(7))}
    rows = [member_row(SYMBOL, "1"), member_row(SYMBOL, "2", **overrides)]
    job = run(tmp_path, rows, mode=mode)
    found = report(job)
    assert ("3", column) in errors_at(job), found
    assert any(message in r["エラー内容"] for r in found if r["列"] == column), found
    if mode == ALL_OR_NOTHING:
        assert job.status == ImportJob.Status.REJECTED
        assert not EligibilityRecord.objects.exists()
        assert not Person.objects.exists()
    else:
        assert job.status == ImportJob.Status.SUCCEEDED
        assert list(EligibilityRecord.objects.values_list("number", flat=True)) == ["1"]
        assert (job.created_count, job.error_rows) == (1, 1)


def test_duplicate_key_names_both_rows(tmp_path, employer):
    rows = [member_row(SYMBOL, "1"), member_row(SYMBOL, "2"), member_row(SYMBOL, "１")]
    job = run(tmp_path, rows)
    assert job.status == ImportJob.Status.REJECTED
    [error] = report(job)
    assert (error["行"], error["列"]) == ("4", "記号・番号・枝番")
    assert "2行目と重複" in error["エラー内容"]
    assert not EligibilityRecord.objects.exists()


def test_dependent_without_insured_person(tmp_path, employer):
    job = run(tmp_path, [member_row(SYMBOL, "1"), dependent_row(SYMBOL, "2")])
    assert errors_at(job) == {("3", "番号")}
    assert "枝番00の被保険者が見つかりません" in report(job)[0]["エラー内容"]


def test_dependent_of_a_bad_insured_row_is_not_imported(tmp_path, employer):
    rows = [member_row(SYMBOL, "1", 性別="9"), dependent_row(SYMBOL, "1")]
    job = run(tmp_path, rows, mode=GOOD_ROWS)
    assert errors_at(job) == {("2", "性別"), ("3", "番号")}
    assert not EligibilityRecord.objects.exists()


def test_wrong_encoding_is_rejected_with_a_clear_message(tmp_path, employer):
    data = csv_text([member_row(SYMBOL)]).encode("utf-16")
    job = run(tmp_path, data=data)
    assert job.status == ImportJob.Status.REJECTED
    assert "UTF-8 でも Shift_JIS（CP932）でもありません" in job.message
    assert "UTF-8 でも Shift_JIS" in report(job)[0]["エラー内容"]
    assert not EligibilityRecord.objects.exists()


def test_euc_jp_file_is_rejected_at_line_1(tmp_path, employer):
    data = csv_text([member_row(SYMBOL)]).encode("euc_jp")
    job = run(tmp_path, data=data)
    assert job.status == ImportJob.Status.REJECTED
    assert "UTF-8 でも Shift_JIS（CP932）でもありません" in job.message
    assert report(job)[0]["行"] == "1"


@pytest.mark.parametrize("mode", [ALL_OR_NOTHING, GOOD_ROWS])
def test_truncated_last_row_is_named(tmp_path, employer, mode):
    text = csv_text([member_row(SYMBOL, "1"), member_row(SYMBOL, "2")])
    data = text.encode("utf-8")[: len(text.encode("utf-8")) - 60]
    job = run(tmp_path, data=data, mode=mode)
    [error] = report(job)
    assert error["行"] == "3"
    assert "列が不足" in error["エラー内容"] and "途中で切れている" in error["エラー内容"]
    assert EligibilityRecord.objects.count() == (0 if mode == ALL_OR_NOTHING else 1)


@pytest.mark.parametrize("mode", [ALL_OR_NOTHING, GOOD_ROWS])
def test_file_cut_inside_a_quoted_cell_or_a_character_writes_nothing(tmp_path, employer, mode):
    text = csv_text([member_row(SYMBOL, "1"), member_row(SYMBOL, "2", 住所="東京都港区,芝1-1")])
    cut = text[: text.index('"東京都港区,') + 6].encode("utf-8")  # inside the quoted cell
    job = run(tmp_path, data=cut, mode=mode)
    assert job.status == ImportJob.Status.REJECTED
    assert report(job)[0]["行"] == "3"
    assert not EligibilityRecord.objects.exists()
    # cut in the middle of a multi-byte character
    last = member_row(SYMBOL, "1", 資格確認書交付希望="希望しない")
    raw = csv_text([last]).rstrip("\r\n").encode("utf-8")[:-1]
    job = run(tmp_path, data=raw, mode=mode, name="cut.csv")
    assert job.status == ImportJob.Status.REJECTED
    assert "末尾で文字が途中で切れています" in job.message
    assert not EligibilityRecord.objects.exists()


def test_missing_required_column_is_a_header_error(tmp_path, employer):
    header = [c.header for c in MEMBER_COLUMNS if c.header != "フリガナ"]
    data = csv_text([member_row(SYMBOL)], header=header).encode()
    job = run(tmp_path, data=data)
    assert job.status == ImportJob.Status.REJECTED
    assert errors_at(job) == {("1", "フリガナ")}


# --- the two modes ------------------------------------------------------------------------
def test_all_or_nothing_writes_nothing_when_one_row_is_bad(tmp_path, employer):
    rows = [member_row(SYMBOL, str(n)) for n in range(1, 6)]
    rows.append(member_row(SYMBOL, "6", 生年月日="1980-13-01"))
    job = run(tmp_path, rows, mode=ALL_OR_NOTHING)
    assert job.status == ImportJob.Status.REJECTED
    assert (job.created_count, job.error_count) == (0, 1)
    assert not EligibilityRecord.objects.exists()
    assert job.error_report


def test_good_rows_writes_only_the_good_rows(tmp_path, employer):
    rows = [
        member_row(SYMBOL, "1"),
        member_row(SYMBOL, "2", フリガナ="ｷｮｳｶｲ ﾀﾛｳ"),  # half-width kana: converted, fine
        member_row(SYMBOL, "3", 生年月日="2025/02/30"),
        dependent_row(SYMBOL, "1", 生年月日="平成27年6月10日"),
        member_row(SYMBOL, "4", 性別="男", 資格取得年月日="R2.4.1"),
    ]
    job = run(tmp_path, rows, mode=GOOD_ROWS)
    assert job.status == ImportJob.Status.SUCCEEDED
    assert (job.created_count, job.error_rows, job.total_rows) == (4, 1, 5)
    assert errors_at(job) == {("4", "生年月日")}
    numbers = set(EligibilityRecord.objects.values_list("number", "branch_number"))
    assert numbers == {("1", "00"), ("2", "00"), ("1", "01"), ("4", "00")}
    assert EligibilityRecord.objects.get(number="2").name_kana == "キョウカイ　タロウ"
    dependent = EligibilityRecord.objects.get(number="1", branch_number="01")
    assert dependent.insured_record.branch_number == "00"
    assert dependent.employer_id == employer.pk


def test_all_or_nothing_rolls_back_written_batches_and_reports_every_error(
    tmp_path, employer, monkeypatch
):
    """全件取込 writes the batches before the first error, then only checks the rest: the
    report names the errors of every batch and nothing stays written."""
    from eligibility.imports import service

    monkeypatch.setattr(service, "BATCH_SIZE_OTHER", 2)
    monkeypatch.setattr(service, "BATCH_SIZE_POSTGRESQL", 2)
    rows = [
        member_row(SYMBOL, "1"),
        dependent_row(SYMBOL, "1"),
        member_row(SYMBOL, "2"),
        member_row(SYMBOL, "3", 生年月日="2025-02-30"),  # line 5: the first error
        dependent_row(SYMBOL, "2"),  # its insured person is in a written batch
        member_row(SYMBOL, "4", フリガナ="協会"),  # line 7
        dependent_row(SYMBOL, "9"),  # line 8: no insured person
    ]
    job = run(tmp_path, rows, mode=ALL_OR_NOTHING)
    assert job.status == ImportJob.Status.REJECTED
    assert errors_at(job) == {("5", "生年月日"), ("7", "フリガナ"), ("8", "番号")}
    assert job.processed_rows == len(rows)
    assert not EligibilityRecord.objects.exists() and not Person.objects.exists()

    good = [row for n, row in enumerate(rows, start=2) if n not in (5, 7, 8)]
    job = run(tmp_path, good, mode=ALL_OR_NOTHING)
    assert job.status == ImportJob.Status.SUCCEEDED, job.message
    assert (job.created_count, job.processed_rows, job.total_rows) == (4, 4, 4)
    dependent = EligibilityRecord.objects.get(number="2", branch_number="01")
    assert dependent.insured_record.number == "2"


def test_exception_half_way_leaves_no_half_written_batch(tmp_path, employer, monkeypatch):
    from eligibility.imports import member_writer, service

    monkeypatch.setattr(service, "BATCH_SIZE_OTHER", 2)
    monkeypatch.setattr(service, "BATCH_SIZE_POSTGRESQL", 2)
    calls = {"n": 0}
    original = member_writer.MemberWriter.create_records

    def failing(self, rows):
        calls["n"] += 1
        if calls["n"] == 3:  # second batch, after its persons were written
            raise RuntimeError("disk full")
        return original(self, rows)

    monkeypatch.setattr(member_writer.MemberWriter, "create_records", failing)
    rows = [member_row(SYMBOL, str(n)) for n in range(1, 5)]
    job = run(tmp_path, rows, mode=GOOD_ROWS)
    assert job.status == ImportJob.Status.FAILED
    assert EligibilityRecord.objects.count() == 2  # the first batch only
    assert Person.objects.count() == 2  # the second batch's persons were rolled back

    calls["n"] = 0
    EligibilityRecord.objects.all().delete()
    Person.objects.all().delete()
    job = run(tmp_path, rows, mode=ALL_OR_NOTHING)
    assert job.status == ImportJob.Status.FAILED
    assert "一切書き込まれていません" in job.message
    assert not EligibilityRecord.objects.exists() and not Person.objects.exists()


# --- idempotence and the audit trail --------------------------------------------------------
def test_reimport_changes_nothing_and_audits_nothing(tmp_path, employer, hq_admin):
    rows = [
        member_row(SYMBOL, "1", 個人番号=valid_my_number(1), マイナ保険証利用登録日="2024-12-02"),
        dependent_row(SYMBOL, "1"),
        member_row(SYMBOL, "2", 資格確認書交付希望="1", 資格喪失年月日="2024-03-31"),
    ]
    first = run(tmp_path, rows, user=hq_admin)
    assert (first.created_count, first.updated_count) == (3, 0)
    record_events = AuditEvent.objects.filter(object_type="eligibility.eligibilityrecord")
    assert not record_events.exists()
    before = list(EligibilityRecord.objects.order_by("pk").values())
    for mode in (ALL_OR_NOTHING, GOOD_ROWS):
        again = run(tmp_path, rows, user=hq_admin, mode=mode)
        assert again.status == ImportJob.Status.SUCCEEDED
        assert (again.created_count, again.updated_count, again.unchanged_count) == (0, 0, 3)
    assert list(EligibilityRecord.objects.order_by("pk").values()) == before
    assert not record_events.exists()
    job_events = AuditEvent.objects.filter(action=AuditEvent.Action.IMPORT, actor=hq_admin)
    assert job_events.count() == 3
    assert job_events.first().changes["unchanged"] == 3


def test_update_is_audited_with_the_diff(tmp_path, employer, hq_admin):
    run(tmp_path, [member_row(SYMBOL, "1")], user=hq_admin)
    changed = member_row(SYMBOL, "1", 住所="東京都港区芝1-1", 標準報酬月額="410,000")
    job = run(tmp_path, [changed, member_row(SYMBOL, "2")], user=hq_admin)
    assert (job.created_count, job.updated_count, job.unchanged_count) == (1, 1, 0)
    record = EligibilityRecord.objects.get(number="1")
    assert record.address == "東京都港区芝1-1"
    [event] = AuditEvent.objects.filter(object_type="eligibility.eligibilityrecord")
    assert event.action == AuditEvent.Action.UPDATE
    assert event.actor == hq_admin
    assert event.object_id == str(record.pk)
    assert event.branch_id == employer.branch_id
    assert event.changes["address"] == ["東京都千代田区千代田1-1", "東京都港区芝1-1"]
    assert event.changes["standard_monthly_remuneration"] == [300000, 410000]
    assert event.changes["import_job"] == job.pk
    assert "name" not in event.changes


def test_address_with_line_break_and_backslash_is_stored_as_given(tmp_path, employer):
    """A quoted cell may hold a line break; COPY's text format must escape it and a
    backslash (PostgreSQL), and a re-import sees the value unchanged."""
    address = "東京都港区芝1-1\nABCビル\\3F\r\n南棟"
    rows = [member_row(SYMBOL, "1", 住所=address), dependent_row(SYMBOL, "1", 氏名="協会\\花子")]
    job = run(tmp_path, rows)
    assert job.created_count == 2, job.message
    assert EligibilityRecord.objects.get(branch_number="00").address == address
    assert EligibilityRecord.objects.get(branch_number="01").name == "協会\\花子"
    again = run(tmp_path, rows)
    assert again.unchanged_count == 2


def test_existing_record_matched_and_person_kept(tmp_path, employer):
    existing = InsuredRecordFactory(employer=employer, number="7", name="協会　太郎")
    job = run(tmp_path, [member_row(SYMBOL, "7", 個人番号="")])
    assert job.updated_count + job.unchanged_count == 1
    assert EligibilityRecord.objects.get().person_id == existing.person_id


def test_person_matched_by_my_number(tmp_path, employer, tokyo):
    other = EmployerFactory(symbol="13000002", branch=tokyo)
    number = valid_my_number(42)
    old = InsuredRecordFactory(employer=other, person__my_number=number, number="3")
    job = run(tmp_path, [member_row(SYMBOL, "1", 個人番号=number)])
    assert job.created_count == 1
    new = EligibilityRecord.objects.get(symbol=SYMBOL)
    assert new.person_id == old.person_id


def test_my_number_of_another_person_is_refused(tmp_path, employer):
    number = valid_my_number(43)
    InsuredRecordFactory(employer=employer, number="9", person__my_number=number)
    InsuredRecordFactory(
        employer=employer, number="8", person__my_number_last4="", person__my_number_hash=""
    )
    job = run(tmp_path, [member_row(SYMBOL, "8", 個人番号=number)])
    assert errors_at(job) == {("2", "個人番号")}
    assert "別の加入者" in report(job)[0]["エラー内容"]


# --- the My Number is never stored or reported in full ---------------------------------------
def test_my_number_is_never_stored_or_reported_in_full(tmp_path, employer, django_db_blocker):
    good = valid_my_number(100)
    bad = wrong_check_digit(valid_my_number(101))
    rows = [
        member_row(SYMBOL, "1", 個人番号=good),
        member_row(SYMBOL, "2", 個人番号=bad),
        member_row(SYMBOL, "3", 個人番号=good[:6] + "-" + good[6:], 生年月日="bad"),
    ]
    job = run(tmp_path, rows, mode=GOOD_ROWS)
    assert job.created_count == 1
    person = EligibilityRecord.objects.get(number="1").person
    assert person.my_number_last4 == good[-4:]
    assert person.my_number_hash and good not in person.my_number_hash
    with job.error_report.open("rb") as stream:
        text = stream.read().decode("utf-8-sig")
    for number in (good, bad, good[:6], bad[:8]):
        assert number not in text
    assert f"********{bad[-4:]}" in text
    from django.db import connection

    for model in (Person, EligibilityRecord, AuditEvent, ImportJob):
        for row in model.objects.values_list():
            assert good not in repr(row) and bad not in repr(row)
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM eligibility_person")
        assert good not in repr(cursor.fetchall())


# --- encodings --------------------------------------------------------------------------
@pytest.mark.parametrize(("encoding", "bom"), [("utf-8", False), ("utf-8", True), ("cp932", False)])
def test_encodings(tmp_path, employer, encoding, bom):
    rows = [member_row(SYMBOL, "1", 氏名="髙橋　﨑子", フリガナ="タカハシ　サキコ")]
    data = (b"\xef\xbb\xbf" if bom else b"") + csv_text(rows).encode(encoding)
    job = run(tmp_path, data=data)
    assert job.status == ImportJob.Status.SUCCEEDED, job.message
    assert job.encoding == ("utf-8-sig" if bom else encoding)
    # 髙 and 﨑 are in CP932 (IBM extensions): they survive a Shift_JIS file unchanged.
    assert EligibilityRecord.objects.get().name == "髙橋　﨑子"


def test_character_outside_cp932_cannot_travel_in_a_cp932_file(tmp_path, employer):
    name = "𠮷田　太郎"  # 𠮷 (U+20BB7) is outside JIS X 0208 and CP932
    with pytest.raises(UnicodeEncodeError):
        name.encode("cp932")
    # What exporters write instead: "?" (errors="replace") or the geta mark 〓.
    for substitute in ("?", "〓"):
        rows = [member_row(SYMBOL, "1", 氏名=name.replace("𠮷", substitute))]
        job = run(tmp_path, data=csv_text(rows).encode("cp932"), name=f"{ord(substitute)}.csv")
        assert job.status == ImportJob.Status.REJECTED
        assert errors_at(job) == {("2", "氏名")}
        assert "UTF-8 のファイルで取り込んでください" in report(job)[0]["エラー内容"]
    # The same name in a UTF-8 file is stored as given.
    job = run(tmp_path, [member_row(SYMBOL, "1", 氏名=name)], name="utf8.csv")
    assert job.status == ImportJob.Status.SUCCEEDED
    assert EligibilityRecord.objects.get().name == name
