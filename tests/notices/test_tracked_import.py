"""特定記録 numbers imported from the post office's file (ranges or single numbers, UTF-8 or
CP932): every row checked, a per-row report in Japanese and nothing written for a rejected
file; a batch of the branch then takes its numbers from the imported pool."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from core.errors import NotAllowed
from core.models import AuditEvent
from notices.batches import services, tracked
from notices.batches.models import Kind, MailingBatch, MailingItem, TrackedRange
from notices.batches.services import BatchInputError
from tests.factories.eligibility import EmployerFactory, InsuredRecordFactory

TODAY = date(2026, 12, 1)
FIRST = 12_345_600_000  # 123-45-60000-0


@pytest.fixture
def tokyo_members(tokyo):
    employer = EmployerFactory(branch=tokyo)
    return InsuredRecordFactory.create_batch(5, employer=employer, branch=tokyo)


def dashed(number: int) -> str:
    d = f"{number:011d}"
    return f"{d[:3]}-{d[3:5]}-{d[5:10]}-{d[10]}"


def import_file(actor, text: str, *, branch=None, encoding="utf-8"):
    return tracked.import_tracked_numbers(
        actor=actor,
        data=text.encode(encoding),
        branch_id=branch.pk if branch else None,
        source="numbers.csv",
    )


def branch_batch(actor, branch) -> MailingBatch:
    batch = services.define_batch(
        actor=actor, kind=Kind.NOTICE_ALL, as_of=TODAY, branch_id=branch.pk, today=TODAY
    )
    return batch


def test_ranges_in_cp932_are_imported_and_a_batch_takes_its_numbers_from_them(
    tokyo_operator, tokyo, tokyo_members
):
    text = (
        "開始番号,終了番号\r\n"
        f"{dashed(FIRST)},{dashed(FIRST + 2)}\r\n"
        f"{FIRST + 3},{FIRST + 9}\r\n"  # consecutive with the row above: one run
        f"{FIRST + 100:011d},{FIRST + 101:011d}\r\n"
    )
    report = import_file(tokyo_operator, text, branch=tokyo, encoding="cp932")
    assert report.errors == []
    assert (report.numbers, report.runs) == (12, 2)
    assert list(TrackedRange.objects.values_list("first", "last", "branch_id")) == [
        (FIRST, FIRST + 9, tokyo.pk),
        (FIRST + 100, FIRST + 101, tokyo.pk),
    ]
    assert AuditEvent.objects.filter(action=AuditEvent.Action.IMPORT).exists()

    batch = branch_batch(tokyo_operator, tokyo)
    services.launch(batch.pk, actor=tokyo_operator, today=TODAY)
    batch.refresh_from_db()
    numbers = sorted(batch.items.values_list("tracked_number", flat=True))
    assert numbers == list(range(FIRST, FIRST + 5))  # the head of the largest free run
    assert (batch.tracked_first, batch.tracked_last) == (FIRST, FIRST + 4)
    runs = list(TrackedRange.objects.order_by("first").values_list("first", "last", "batch_id"))
    assert runs == [
        (FIRST, FIRST + 4, batch.pk),
        (FIRST + 5, FIRST + 9, None),  # the rest stays free
        (FIRST + 100, FIRST + 101, None),
    ]

    second = branch_batch(tokyo_operator, tokyo)
    services.launch(second.pk, actor=tokyo_operator, today=TODAY)
    assert sorted(second.items.values_list("tracked_number", flat=True)) == list(
        range(FIRST + 5, FIRST + 10)
    )


def test_single_numbers_with_bom_and_full_width_digits(operator):
    numbers = [FIRST + n for n in (0, 1, 2, 7)]
    lines = [str(n) for n in numbers[:3]] + ["１２３４５６００００７"]
    report = import_file(operator, "\ufeff特定記録番号\n" + "\n".join(lines) + "\n")
    assert report.errors == [] and report.numbers == 4 and report.runs == 2
    assert list(TrackedRange.objects.values_list("first", "last", "branch_id")) == [
        (FIRST, FIRST + 2, None),
        (FIRST + 7, FIRST + 7, None),
    ]


def test_a_file_with_bad_rows_is_reported_row_by_row_and_nothing_is_written(
    operator, tokyo, tokyo_members
):
    import_file(operator, f"特定記録番号\n{FIRST + 50}\n", branch=tokyo)
    used = services.define_batch(
        actor=operator,
        kind=Kind.NOTICE_ALL,
        as_of=TODAY,
        today=TODAY,
        tracked_first=FIRST + 60,
        tracked_last=FIRST + 69,
    )
    before = TrackedRange.objects.count()
    text = (
        "開始番号,終了番号\n"
        f"{FIRST},{FIRST + 9}\n"  # 2: fine
        "123-45-6789,123-45-67890-1\n"  # 3: ten digits
        f"{FIRST + 30},{FIRST + 20}\n"  # 4: reversed
        f"{FIRST + 5},{FIRST + 12}\n"  # 5: overlaps row 2
        f"{FIRST + 45},{FIRST + 55}\n"  # 6: overlaps an imported number
        f"{FIRST + 65},{FIRST + 65}\n"  # 7: inside a batch's range
        "\n"
        f"{FIRST},{FIRST + 20_000_000}\n"  # 9: too large for one row
    )
    report = import_file(operator, text)
    messages = {e.line: e.message for e in report.errors}
    assert sorted(messages) == [3, 4, 5, 6, 7, 9]
    assert "数字11桁" in messages[3]
    assert "終了番号は開始番号以上" in messages[4]
    assert "ファイル内の2行目" in messages[5]
    assert "取込済みの番号と重なっています" in messages[6]
    assert "123-45-60005-0" in messages[6]
    assert f"発送バッチ#{used.pk}の範囲" in messages[7]
    assert "10,000,000件まで" in messages[9]
    assert TrackedRange.objects.count() == before  # nothing written
    assert report.numbers == 0


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ("特定記録番号\n12345600000\n".encode("utf-16"), "文字コード"),
        ("番号\n12345600000\n".encode(), "見出し"),
        ("特定記録番号\n".encode(), "番号の行がありません"),
    ],
)
def test_file_level_faults_raise_a_clear_error(operator, data, message):
    with pytest.raises(tracked.TrackedFileError, match=message):
        tracked.import_tracked_numbers(actor=operator, data=data, branch_id=None)
    assert not TrackedRange.objects.exists()


def test_a_range_too_small_for_the_batch_refuses_the_launch_and_creates_nothing(
    tokyo_operator, tokyo, tokyo_members
):
    import_file(tokyo_operator, f"開始番号,終了番号\n{FIRST},{FIRST + 3}\n", branch=tokyo)
    batch = branch_batch(tokyo_operator, tokyo)
    with pytest.raises(BatchInputError, match=r"最大の範囲 4件）が対象者数（5件）"):
        services.launch(batch.pk, actor=tokyo_operator, today=TODAY)
    batch.refresh_from_db()
    assert batch.status == MailingBatch.Status.DRAFT and batch.tracked_first is None
    assert not MailingItem.objects.exists()
    assert TrackedRange.objects.get().batch_id is None


def test_a_branch_whose_pool_is_used_up_is_refused_not_given_invented_numbers(
    tokyo_operator, tokyo, tokyo_members
):
    import_file(tokyo_operator, f"開始番号,終了番号\n{FIRST},{FIRST + 4}\n", branch=tokyo)
    services.launch(branch_batch(tokyo_operator, tokyo).pk, actor=tokyo_operator, today=TODAY)
    batch = branch_batch(tokyo_operator, tokyo)
    with pytest.raises(BatchInputError, match="取込済みの特定記録番号の空き"):
        services.launch(batch.pk, actor=tokyo_operator, today=TODAY)


def test_pools_are_per_branch_and_the_setting_pool_stays_above_imported_numbers(
    operator, tokyo_operator, tokyo, osaka, tokyo_members, settings
):
    settings.NOTICE_TRACKED_POOL_START = 10_000_000_000
    import_file(operator, f"開始番号,終了番号\n{FIRST},{FIRST + 99}\n", branch=osaka)
    # 東京 imported nothing: the setting's pool, above every imported number.
    batch = branch_batch(tokyo_operator, tokyo)
    services.launch(batch.pk, actor=tokyo_operator, today=TODAY)
    assert min(batch.items.values_list("tracked_number", flat=True)) == FIRST + 100
    assert TrackedRange.objects.get().batch_id is None


def test_branch_staff_import_only_for_their_branch(tokyo_operator, osaka):
    with pytest.raises(NotAllowed):
        import_file(tokyo_operator, f"特定記録番号\n{FIRST}\n", branch=osaka)
    with pytest.raises(NotAllowed):
        import_file(tokyo_operator, f"特定記録番号\n{FIRST}\n")  # 本部's pool
    assert not TrackedRange.objects.exists()


def test_an_explicit_range_over_imported_numbers_is_refused(operator):
    import_file(operator, f"特定記録番号\n{FIRST + 5}\n")
    with pytest.raises(BatchInputError, match="取込済みの番号と重なっています"):
        services.define_batch(
            actor=operator,
            kind=Kind.NOTICE_ALL,
            as_of=TODAY,
            today=TODAY,
            tracked_first=FIRST,
            tracked_last=FIRST + 9,
        )


def test_the_admin_import_page_for_a_branch_operator(client, tokyo_operator, tokyo, osaka):
    client.force_login(tokyo_operator)
    changelist = client.get(reverse("admin:notices_trackedrange_changelist"))
    assert changelist.status_code == 200
    url = reverse("admin:notices_trackedrange_import")
    assert url in changelist.content.decode()
    page = client.get(url)
    assert page.status_code == 200
    assert list(page.context["form"].fields["branch"].queryset) == [tokyo]

    bad = SimpleUploadedFile("n.csv", f"特定記録番号\n{FIRST}\n12\n".encode("cp932"))
    page = client.post(url, {"file": bad, "branch": tokyo.pk})
    body = page.content.decode()
    assert "何も取り込んでいません" in body and "数字11桁" in body
    assert not TrackedRange.objects.exists()

    other = SimpleUploadedFile("n.csv", f"特定記録番号\n{FIRST}\n".encode())
    page = client.post(url, {"file": other, "branch": osaka.pk})
    assert page.status_code == 200 and not TrackedRange.objects.exists()  # not a choice

    good = SimpleUploadedFile("n.csv", f"開始番号,終了番号\n{FIRST},{FIRST + 9}\n".encode())
    page = client.post(url, {"file": good, "branch": tokyo.pk}, follow=True)
    assert "10件" in page.content.decode()
    assert TrackedRange.objects.get().branch == tokyo
    listed = client.get(reverse("admin:notices_trackedrange_changelist")).content.decode()
    assert f"{FIRST:011d}" in listed
