"""Mailing batches on the embedded lane: planning (routes, envelopes, boxes, tracked numbers),
bad input, chunk rendering with its kill-safety, pause and resume, the standing rule,
skips and failures, outputs, scope."""

from __future__ import annotations

import csv
import io
import re
from datetime import date, timedelta

import pytest
from django.db import IntegrityError, transaction
from django.db.models import Count, Sum
from django.utils import timezone
from hypothesis import HealthCheck, given
from hypothesis import settings as settings_hypothesis
from hypothesis import strategies as st

from core.errors import Conflict, NotAllowed
from notices.batches import finishing, planning, rendering, services
from notices.batches.models import Kind, MailingBatch, MailingChunk, MailingItem
from notices.batches.services import BatchInputError
from notices.batches.storage import batch_storage
from tests.factories.eligibility import (
    DependentRecordFactory,
    EmployerFactory,
    InsuredRecordFactory,
    PersonFactory,
    VoluntaryRecordFactory,
)

TODAY = date(2026, 12, 1)
State = MailingItem.State


@pytest.fixture(autouse=True)
def _small_files(settings):
    settings.NOTICE_PART_ITEMS = 3
    settings.NOTICE_CHUNK_PARTS = 2


@pytest.fixture
def members(tokyo):
    """Two employers (3 and 2 insured; the first insured with 2 dependents), a 任意継続."""
    big, small = EmployerFactory(branch=tokyo), EmployerFactory(branch=tokyo, postal_code="1500001")
    first = InsuredRecordFactory(employer=big, postal_code="1600000")
    DependentRecordFactory(insured_record=first)
    DependentRecordFactory(insured_record=first)
    InsuredRecordFactory(employer=big, postal_code="1000001")
    InsuredRecordFactory(employer=big, postal_code="1200000")
    InsuredRecordFactory(employer=small)
    InsuredRecordFactory(employer=small)
    voluntary = VoluntaryRecordFactory(branch=tokyo, postal_code="0600000")
    return {"big": big, "small": small, "first": first, "voluntary": voluntary}


def launched(operator, kind=Kind.NOTICE_ALL, **kwargs) -> MailingBatch:
    batch = services.define_batch(
        actor=operator, kind=kind, as_of=kwargs.pop("as_of", TODAY), today=TODAY, **kwargs
    )
    services.launch(batch.pk, actor=operator, today=TODAY)
    batch.refresh_from_db()
    return batch


def run_all(batch: MailingBatch) -> None:
    for chunk_id in batch.chunks.order_by("number").values_list("pk", flat=True):
        services.render_chunk(chunk_id)
    finishing.run_here(batch.pk)  # the output chunks, in this process
    batch.refresh_from_db()


def test_one_item_per_member_with_route_envelope_and_tracked_number(operator, members):
    batch = launched(operator)
    items = list(batch.items.select_related("record").order_by("seq"))
    assert batch.planned == len(items) == 8
    assert batch.status == MailingBatch.Status.RUNNING
    first = members["first"]
    household = [i for i in items if i.household == first.pk]
    assert len(household) == 3
    assert {i.route for i in household} == {"employer"}
    assert len({i.envelope for i in household}) == 1  # dependents travel with the insured
    assert household[0].record_id == first.pk  # the insured person first
    voluntary = next(i for i in items if i.record_id == members["voluntary"].pk)
    assert voluntary.route == "home" and voluntary.box is None
    numbers = [i.tracked_number for i in items]
    assert numbers == list(range(batch.tracked_first, batch.tracked_first + 8))
    # the employer route comes first, by employer then postal code
    big = [i for i in items if i.employer_id == members["big"].pk]
    assert [i.record.postal_code or "" for i in big if i.record.kind == "insured"] == [
        "1000001",
        "1200000",
        "1600000",
    ]


def test_boxes_never_exceed_the_maximum_weight(operator, members, settings):
    settings.NOTICE_BOX_MAX_G = 100  # 4 items of 25 g; the heaviest envelope holds 3
    batch = launched(operator)
    loads = (
        batch.items.filter(route="employer")
        .values("employer_id", "box")
        .annotate(weight=Sum("weight_g"), envelopes=Count("envelope", distinct=True))
    )
    assert all(row["weight"] <= 100 for row in loads)
    assert max(row["box"] for row in loads) >= 2  # the big employer needed a second box
    # an envelope is never split between boxes
    per_envelope = batch.items.values("envelope").annotate(boxes=Count("box", distinct=True))
    assert all(row["boxes"] <= 1 for row in per_envelope)


def test_files_are_numbered_densely_and_chunks_are_whole_files_covering_each_item_once(
    operator, members, tokyo
):
    for _ in range(4):  # a third employer's envelopes, and more individual mail
        VoluntaryRecordFactory(branch=tokyo)
    batch = launched(operator)
    items = list(batch.items.order_by("seq"))
    assert [i.seq for i in items] == list(range(1, batch.planned + 1))
    parts = [i.part for i in items]
    assert parts == sorted(parts) and set(parts) == set(range(1, max(parts) + 1))
    chunks = list(batch.chunks.order_by("number"))
    assert [c.number for c in chunks] == list(range(1, len(chunks) + 1))
    assert len(chunks) == -(-max(parts) // 2)  # NOTICE_CHUNK_PARTS = 2
    for chunk in chunks:
        inside = [i for i in items if chunk.first_seq <= i.seq <= chunk.last_seq]
        assert {i.part for i in inside} == {
            p for p in set(parts) if (p - 1) // 2 + 1 == chunk.number
        }
        assert [i.seq for i in inside] == list(range(chunk.first_seq, chunk.last_seq + 1))
    assert sum(c.last_seq - c.first_seq + 1 for c in chunks) == batch.planned


@pytest.mark.postgres
def test_planning_sorts_the_members_once_on_postgresql(operator, members):
    """The statement's levels keep the one order: PostgreSQL sorts the selection once."""
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("the plan of PostgreSQL")
    plans: list[str] = []

    def explain(execute, sql, params, many, context):
        if sql.lstrip().startswith("WITH ins AS"):
            with connection.cursor() as cursor:
                cursor.execute("EXPLAIN " + sql, params)
                plans.append("\n".join(row[0] for row in cursor.fetchall()))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(explain):
        batch = launched(operator)
    assert batch.planned == 8
    (plan,) = plans
    sorts = [
        line
        for line in plan.splitlines()
        if re.search(r"^(->)?\s*(Incremental )?Sort\s+\(", line.strip())
    ]
    assert len(sorts) == 1, plan


def test_a_member_is_in_a_batch_once_and_a_tracked_number_is_never_reused(operator, members):
    batch = launched(operator)
    item = batch.items.first()
    with pytest.raises(IntegrityError), transaction.atomic():
        MailingItem.objects.create(
            batch=batch, record_id=item.record_id, branch_id=item.branch_id, household=1,
            seq=999, part=1, route="home", envelope=1, weight_g=25, tracked_number=1,
        )  # fmt: skip
    other = launched(operator, as_of=TODAY - timedelta(days=1))
    assert other.tracked_first > batch.tracked_last
    with pytest.raises(IntegrityError), transaction.atomic():
        other.items.filter(seq=1).update(tracked_number=item.tracked_number)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"kind": Kind.NOTICE_ACQUIRED, "date_from": TODAY, "date_to": TODAY - timedelta(1)},
         "date_to"),
        ({"kind": Kind.NOTICE_ALL, "as_of": TODAY + timedelta(days=1)}, "as_of"),
        ({"kind": Kind.NOTICE_ALL, "as_of": TODAY, "tracked_first": 10, "tracked_last": 5},
         "tracked_last"),
    ],
)  # fmt: skip
def test_bad_definitions_are_refused_before_anything_is_created(operator, kwargs, field):
    with pytest.raises(BatchInputError) as error:
        services.define_batch(actor=operator, today=TODAY, **kwargs)
    assert field in error.value.field_errors
    assert not MailingBatch.objects.exists()


def test_a_tracked_range_too_small_creates_nothing(operator, members):
    batch = services.define_batch(
        actor=operator, kind=Kind.NOTICE_ALL, as_of=TODAY, today=TODAY,
        tracked_first=500, tracked_last=506,
    )  # fmt: skip
    with pytest.raises(BatchInputError, match=r"7件.*8件"):
        services.launch(batch.pk, actor=operator, today=TODAY)
    batch.refresh_from_db()
    assert batch.status == MailingBatch.Status.DRAFT
    assert not MailingItem.objects.exists() and not MailingChunk.objects.exists()


def test_preview_counts_by_branch_and_route_and_writes_nothing(operator, members, tokyo):
    batch = services.define_batch(actor=operator, kind=Kind.NOTICE_ALL, as_of=TODAY, today=TODAY)
    rows = services.preview(batch.pk, actor=operator, today=TODAY)
    assert [(r.branch_id, r.route, r.count) for r in rows] == [
        (tokyo.pk, "employer", 7),
        (tokyo.pk, "home", 1),
    ]
    assert not MailingItem.objects.exists()


def test_second_round_takes_only_the_acquired_between_two_dates(operator, members):
    late = InsuredRecordFactory(employer=members["big"], acquired_on=date(2026, 10, 5))
    batch = launched(
        operator, Kind.NOTICE_ACQUIRED, date_from=date(2026, 10, 1), date_to=date(2026, 10, 31)
    )
    assert list(batch.items.values_list("record_id", flat=True)) == [late.pk]


def test_certificates_go_home_to_members_without_a_card(operator, tokyo):
    employer = EmployerFactory(branch=tokyo)
    no_card = InsuredRecordFactory(
        employer=employer, person=PersonFactory(mynacard_registered=False)
    )
    asked = InsuredRecordFactory(employer=employer, certificate_requested=True)
    InsuredRecordFactory(employer=employer)  # has a card, did not ask
    without = launched(operator, Kind.CERTIFICATE_CUTOFF, include_requested=False)
    assert set(without.items.values_list("record_id", flat=True)) == {no_card.pk}
    assert set(without.items.values_list("route", flat=True)) == {"home"}
    with_requested = launched(operator, Kind.CERTIFICATE_CUTOFF, as_of=TODAY - timedelta(1))
    assert set(with_requested.items.values_list("record_id", flat=True)) == {no_card.pk, asked.pk}


def test_the_standing_rule_picks_each_member_once_30_to_50_days_after(tokyo):
    employer = EmployerFactory(branch=tokyo)

    def member(days_ago: int, **kwargs):
        return InsuredRecordFactory(
            employer=employer,
            acquired_on=TODAY - timedelta(days=days_ago),
            person=PersonFactory(mynacard_registered=kwargs.pop("card", False)),
            **kwargs,
        )

    due = [member(30), member(40), member(50)]
    tomorrow = member(29)
    member(51), member(40, card=True), member(40, certificate_requested=True)
    batch = services.run_standing(today=TODAY)
    assert set(batch.items.values_list("record_id", flat=True)) == {r.pk for r in due}
    # the next day: only the member who reached 30 days; those taken yesterday never again
    again = services.run_standing(today=TODAY + timedelta(days=1))
    assert list(again.items.values_list("record_id", flat=True)) == [tomorrow.pk]
    assert services.run_standing(today=TODAY + timedelta(days=2)).planned == 0
    assert MailingItem.objects.filter(standing=True).count() == 4


def test_rendering_renders_every_item_once_and_writes_the_outputs(operator, members):
    batch = launched(operator)
    run_all(batch)
    assert batch.status == MailingBatch.Status.DONE
    assert batch.items.filter(state=State.RENDERED, render_count=1).count() == 8
    storage = batch_storage()
    names = [o["name"] for o in batch.outputs]
    assert all(storage.exists(n) for n in names)
    pdfs = sorted({i.file for i in batch.items.all()})
    assert set(pdfs) <= set(names)
    with storage.open(pdfs[0]) as fh:
        assert fh.read(5) == b"%PDF-"
    utf8 = storage.open(f"mailings/{batch.pk}/manifest-utf8.csv").read().decode("utf-8-sig")
    sjis = storage.open(f"mailings/{batch.pk}/manifest-cp932.csv").read().decode("cp932")
    rows = list(csv.reader(io.StringIO(utf8)))
    assert rows[0][0] == "発送物" and len(rows) == 9
    assert list(csv.reader(io.StringIO(sjis)))[1:] == rows[1:]  # no 外字 here: same text
    tracked = {r[12] for r in rows[1:]}
    assert len(tracked) == 8
    assert any(n.endswith(f"list-{members['big'].symbol}.pdf") for n in names)


def test_a_chunk_interrupted_midway_is_taken_again_and_only_its_unfinished_items_rendered(
    operator, members, settings
):
    batch = launched(operator)
    chunk = batch.chunks.order_by("number").first()
    calls = []

    def dies_after_first(batch_, part):
        calls.append(part)
        raise SystemExit("worker killed")  # the process dies; nothing after it runs

    with pytest.raises(SystemExit):
        services.render_chunk(chunk.pk, after_file=dies_after_first)
    chunk.refresh_from_db()
    assert chunk.state == MailingChunk.State.RUNNING
    done_before = set(batch.items.filter(state=State.RENDERED).values_list("pk", flat=True))
    assert done_before
    # the lease has not run out: nobody else takes it
    assert services.render_chunk(chunk.pk) == "busy"
    settings.NOTICE_CHUNK_LEASE = 0
    assert services.sweep(now=timezone.now() + timedelta(seconds=1))["queued"] >= 1
    assert services.render_chunk(chunk.pk) == "done"
    run_all(batch)
    assert batch.items.filter(state=State.RENDERED, render_count=1).count() == 8
    assert batch.status == MailingBatch.Status.DONE


def test_pause_stops_after_the_current_file_and_resume_finishes(operator, members):
    batch = launched(operator)
    chunk = batch.chunks.order_by("number").first()

    def pauses(batch_, part):
        services.pause(batch_.pk, actor=operator)

    assert services.render_chunk(chunk.pk, after_file=pauses) == "stopped"
    chunk.refresh_from_db()
    assert chunk.state == MailingChunk.State.PENDING
    rendered = batch.items.filter(state=State.RENDERED).count()
    assert 0 < rendered < 8
    assert services.render_chunk(chunk.pk) == "busy"  # a paused batch's chunk is not taken
    services.resume(batch.pk, actor=operator)
    run_all(batch)
    assert batch.status == MailingBatch.Status.DONE
    assert batch.items.filter(state=State.RENDERED, render_count=1).count() == 8


def test_lost_members_are_skipped_bad_data_fails_and_the_batch_goes_on(operator, members):
    lost = InsuredRecordFactory(employer=members["small"], lost_on=TODAY + timedelta(days=3))
    no_address = InsuredRecordFactory(employer=members["small"], address="", postal_code="")
    batch = launched(operator)
    lost.lost_on = timezone.localdate()
    lost.save()
    run_all(batch)
    skipped = batch.items.get(record=lost)
    failed = batch.items.get(record=no_address)
    assert skipped.state == State.SKIPPED and "資格喪失" in skipped.reason
    assert failed.state == State.FAILED and "住所" in failed.reason
    assert batch.items.filter(state=State.RENDERED).count() == 8
    assert batch.status == MailingBatch.Status.DONE
    # retry the failures once the address is fixed
    no_address.address, no_address.postal_code = "東京都港区芝1-1", "1050014"
    no_address.save()
    assert services.retry_failures(batch.pk, actor=operator) == 1
    run_all(batch)
    failed.refresh_from_db()
    assert failed.state == State.RENDERED and failed.file.endswith("-retry1.pdf")
    assert batch.status == MailingBatch.Status.DONE


def test_branch_staff_act_only_on_their_branch(tokyo_operator, osaka, tokyo, members):
    with pytest.raises(NotAllowed):
        services.define_batch(
            actor=tokyo_operator, kind=Kind.NOTICE_ALL, as_of=TODAY, branch_id=osaka.pk
        )
    with pytest.raises(NotAllowed):
        services.define_batch(actor=tokyo_operator, kind=Kind.NOTICE_ALL, as_of=TODAY)
    batch = launched(tokyo_operator, branch_id=tokyo.pk)
    assert batch.planned == 8


def test_a_launched_batch_is_not_launched_twice(operator, members):
    batch = launched(operator)
    with pytest.raises(Conflict):
        services.launch(batch.pk, actor=operator, today=TODAY)


def test_planning_sql_selects_nothing_for_nobody(operator, tokyo):
    batch = services.define_batch(actor=operator, kind=Kind.NOTICE_ALL, as_of=TODAY, today=TODAY)
    assert planning.count_selection(batch, today=TODAY) == 0
    services.launch(batch.pk, actor=operator, today=TODAY)
    batch.refresh_from_db()
    assert batch.status == MailingBatch.Status.DONE and batch.planned == 0


def test_outputs_go_to_the_storage_the_setting_names(operator, members, settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "mailing": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "shared")},
        },
    }
    settings.NOTICE_STORAGE = "mailing"
    batch = launched(operator)
    run_all(batch)
    written = {p.name for p in (tmp_path / "shared" / "mailings" / str(batch.pk)).iterdir()}
    assert {"manifest-utf8.csv", "manifest-cp932.csv"} <= written
    assert {i.file.rsplit("/", 1)[-1] for i in batch.items.all()} <= written


@settings_hypothesis(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    sizes=st.lists(st.integers(min_value=1, max_value=4), min_size=1, max_size=12),
    cap_items=st.integers(min_value=4, max_value=9),
)
def test_packing_boxes_never_overweight_and_envelopes_whole(db, sizes, cap_items):
    """Any households, any box maximum ≥ the heaviest envelope: no box over the maximum, no
    envelope split, every box but the last of an employer holding something."""
    from django.conf import settings as django_settings
    from django.test.utils import override_settings

    from core.models import Branch

    with transaction.atomic():
        tokyo = Branch.objects.get(code=13)
        employer = EmployerFactory(branch=tokyo)
        for size in sizes:
            insured = InsuredRecordFactory(employer=employer)
            for _ in range(size - 1):
                DependentRecordFactory(insured_record=insured)
        weight = django_settings.NOTICE_ITEM_WEIGHT_G
        with override_settings(NOTICE_BOX_MAX_G=cap_items * weight):
            batch = services.define_batch(
                actor=None, kind=Kind.NOTICE_ALL, as_of=TODAY, today=TODAY
            )
            services.launch(batch.pk, actor=None, today=TODAY)
        loads = batch.items.values("box").annotate(w=Sum("weight_g")).order_by("box")
        assert all(row["w"] <= cap_items * weight for row in loads)
        assert [row["box"] for row in loads] == list(range(1, len(loads) + 1))
        per_envelope = batch.items.values("envelope").annotate(b=Count("box", distinct=True))
        assert all(row["b"] == 1 for row in per_envelope)
        assert batch.items.count() == sum(sizes)
        transaction.set_rollback(True)


def test_the_sweep_requeues_a_silent_batch_but_leaves_a_busy_one_alone(
    operator, members, settings, monkeypatch
):
    sent: list[int] = []
    monkeypatch.setattr(services, "_enqueue", lambda ids: sent.extend(ids))
    batch = launched(operator)
    pending = set(batch.chunks.values_list("pk", flat=True))
    first = batch.chunks.order_by("number").first()
    services.claim_chunk(first.pk)  # a worker is on it: the batch is alive
    later = timezone.now() + timedelta(seconds=settings.NOTICE_CHUNK_LEASE - 5)
    assert services.sweep(now=later)["queued"] == 0
    # nothing heard for longer than the lease (the broker lost the messages, the worker died)
    sent.clear()
    much_later = timezone.now() + timedelta(seconds=settings.NOTICE_CHUNK_LEASE + 5)
    assert services.sweep(now=much_later)["queued"] == len(pending)
    assert set(sent) == pending


@pytest.mark.parametrize("which", [0, -1])
def test_a_file_the_engine_refuses_fails_its_items_and_the_others_of_its_chunk_are_rendered(
    operator, members, monkeypatch, which
):
    """A chunk's files are compiled together in one renderer child: when the child fails,
    each file alone tells which one the engine refused; only that file's items fail."""
    batch = launched(operator)
    chunk = next(c for c in batch.chunks.all() if len(parts_of(batch, c)) > 1)
    bad_part = parts_of(batch, chunk)[which]
    bad = set(batch.items.filter(part=bad_part).values_list("record_id", flat=True))
    real = rendering.notice_item

    def corrupt_image(record, **kwargs):
        item = real(record, **kwargs)
        if record.pk in bad:
            item["qr"] = [1, 2, 3]  # not a PNG: Typst cannot decode the image
        return item

    monkeypatch.setattr(rendering, "notice_item", corrupt_image)
    assert services.render_chunk(chunk.pk) == "done"
    in_chunk = batch.items.filter(part__in=parts_of(batch, chunk))
    failed = in_chunk.filter(part=bad_part)
    assert {i.state for i in failed} == {State.FAILED}
    assert all(i.reason.startswith("作成できません") and not i.file for i in failed)
    others = in_chunk.exclude(part=bad_part)
    assert others and {i.state for i in others} == {State.RENDERED}
    storage = batch_storage()
    for name in {i.file for i in others}:
        with storage.open(name) as fh:
            assert fh.read(5) == b"%PDF-"
    # fixed, the failures are retried into a file of their own
    monkeypatch.setattr(rendering, "notice_item", real)
    assert services.retry_failures(batch.pk, actor=operator) == failed.count()
    run_all(batch)
    assert not batch.items.exclude(state=State.RENDERED).exists()
    assert batch.items.filter(render_count=1).count() == batch.planned


def parts_of(batch: MailingBatch, chunk: MailingChunk) -> list[int]:
    items = batch.items.filter(seq__gte=chunk.first_seq, seq__lte=chunk.last_seq)
    return sorted(set(items.values_list("part", flat=True)))
