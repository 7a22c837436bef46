"""The employers' 対象者一覧表 in chunk tasks: planned when rendering ends (one chunk for the
manifest, one per NOTICE_LIST_CHUNK_EMPLOYERS employers), claimed with a heartbeat and a
lease, counted per employer, taken again after a killed worker without writing a list twice,
and swept like the rendering chunks."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.utils import timezone

from notices.batches import finishing, outputs, services
from notices.batches.models import Kind, MailingBatch, OutputChunk
from notices.batches.storage import batch_storage
from tests.factories.eligibility import EmployerFactory, InsuredRecordFactory

TODAY = date(2026, 12, 1)
Status = MailingBatch.Status


@pytest.fixture(autouse=True)
def _small(settings, monkeypatch):
    settings.NOTICE_PART_ITEMS = 3
    settings.NOTICE_CHUNK_PARTS = 2
    settings.NOTICE_LIST_CHUNK_EMPLOYERS = 2
    queued: list[int] = []
    monkeypatch.setattr(finishing, "enqueue", lambda ids: queued.extend(ids))
    monkeypatch.setattr(services, "_enqueue", lambda ids: None)
    monkeypatch.setattr(services, "_finish_later", lambda batch_id: None)
    return queued


@pytest.fixture
def employers(tokyo):
    found = [EmployerFactory(branch=tokyo) for _ in range(5)]
    for n, employer in enumerate(found):
        InsuredRecordFactory.create_batch(1 + n % 2, employer=employer, branch=tokyo)
    return found


def rendered(operator) -> MailingBatch:
    batch = services.define_batch(actor=operator, kind=Kind.NOTICE_ALL, as_of=TODAY, today=TODAY)
    services.launch(batch.pk, actor=operator, today=TODAY)
    for chunk_id in batch.chunks.values_list("pk", flat=True):
        services.render_chunk(chunk_id)
    batch.refresh_from_db()
    return batch


def test_lists_are_split_into_chunks_counted_and_collected(operator, employers, _small):
    batch = rendered(operator)
    assert finishing.start(batch.pk)
    batch.refresh_from_db()
    assert batch.status == Status.FINISHING
    chunks = list(batch.output_chunks.order_by("number"))
    assert [(c.kind, c.employers) for c in chunks] == [
        ("manifest", 0),
        ("lists", 2),
        ("lists", 2),
        ("lists", 1),
    ]
    ids = sorted(e.pk for e in employers)
    assert [(c.first_employer, c.last_employer) for c in chunks[1:]] == [
        (ids[0], ids[1]),
        (ids[2], ids[3]),
        (ids[4], ids[4]),
    ]
    assert sorted(_small) == sorted(c.pk for c in chunks)  # queued on commit
    assert finishing.list_progress(batch) == finishing.ListProgress(employers=5, done=0)
    assert not finishing.start(batch.pk)  # once

    for chunk in chunks:
        assert finishing.write_chunk(chunk.pk) == "done"
        assert finishing.write_chunk(chunk.pk) == "busy"  # a redelivered message: nothing
    batch.refresh_from_db()
    assert batch.status == Status.DONE
    assert finishing.list_progress(batch) == finishing.ListProgress(employers=5, done=5)
    names = [o["name"] for o in batch.outputs]
    assert names[:2] == [
        f"mailings/{batch.pk}/manifest-utf8.csv",
        f"mailings/{batch.pk}/manifest-cp932.csv",
    ]
    lists = [n for n in names if "/list-" in n]
    assert lists == [f"mailings/{batch.pk}/list-{e.symbol}.pdf" for e in employers]
    assert all(batch_storage().exists(n) for n in names)
    assert any(n.endswith(".pdf") and "/notice-" in n for n in names)


def test_a_chunk_taken_again_after_a_killed_worker_writes_each_list_once(
    operator, employers, monkeypatch, settings
):
    settings.NOTICE_LIST_CHUNK_EMPLOYERS = 5
    batch = rendered(operator)
    finishing.start(batch.pk)
    chunk = batch.output_chunks.get(kind="lists")
    written: list[int] = []
    real = outputs.write_employer_list

    def dies_on_the_third(batch_, rows):
        if len(written) == 2:
            raise SystemExit("SIGKILL")  # the worker dies in the middle of the chunk
        written.append(rows[0].employer_id)
        return real(batch_, rows)

    monkeypatch.setattr(outputs, "write_employer_list", dies_on_the_third)
    with pytest.raises(SystemExit):
        finishing.write_chunk(chunk.pk)
    chunk.refresh_from_db()
    assert (chunk.state, chunk.done, chunk.last_done) == ("running", 2, written[-1])

    # Within the lease another worker finds it busy; after it, it goes on where it stopped.
    assert finishing.write_chunk(chunk.pk) == "busy"
    monkeypatch.setattr(outputs, "write_employer_list", lambda b, rows: _counted(rows, real, b))
    finishing.OutputChunk.objects.filter(pk=chunk.pk).update(
        heartbeat=timezone.now() - timedelta(seconds=settings.NOTICE_CHUNK_LEASE + 1)
    )
    assert finishing.write_chunk(chunk.pk) == "done"
    chunk.refresh_from_db()
    assert (chunk.done, chunk.attempts) == (5, 2)
    assert _counted.calls == sorted(e.pk for e in employers)[2:]  # only the unfinished ones
    assert [o["name"] for o in chunk.outputs] == [
        f"mailings/{batch.pk}/list-{e.symbol}.pdf" for e in employers
    ]
    finishing.write_chunk(batch.output_chunks.get(kind="manifest").pk)
    batch.refresh_from_db()
    assert batch.status == Status.DONE
    assert len([o for o in batch.outputs if "/list-" in o["name"]]) == 5


def _counted(rows, real, batch):
    _counted.calls.append(rows[0].employer_id)
    return real(batch, rows)


_counted.calls = []


@pytest.fixture(autouse=True)
def _reset_counted():
    _counted.calls.clear()


def test_the_sweep_queues_lost_output_chunks_and_finalizes(operator, employers, _small, settings):
    batch = rendered(operator)
    finishing.start(batch.pk)
    _small.clear()
    # Messages lost (Redis restarted): no chunk shows life for the lease.
    later = timezone.now() + timedelta(seconds=settings.NOTICE_CHUNK_LEASE + 1)
    assert services.sweep(now=later)["outputs"] == 4
    assert sorted(_small) == sorted(batch.output_chunks.values_list("pk", flat=True))
    # Running with a fresh heartbeat: left alone.
    _small.clear()
    first = batch.output_chunks.get(number=1)
    finishing.claim(first.pk)
    assert services.sweep()["outputs"] == 0
    for chunk in batch.output_chunks.exclude(pk=first.pk):
        finishing.write_chunk(chunk.pk)
    OutputChunk.objects.filter(pk=first.pk).update(state="done")  # e.g. written, not collected
    services.sweep()
    batch.refresh_from_db()
    assert batch.status == Status.DONE


def test_a_retried_batch_writes_its_outputs_afresh(operator, employers):
    batch = rendered(operator)
    finishing.run_here(batch.pk)
    batch.refresh_from_db()
    assert batch.status == Status.DONE
    old = set(batch.output_chunks.values_list("pk", flat=True))
    batch.items.filter(seq=1).update(state="failed", reason="x")
    services.retry_failures(batch.pk, actor=operator)
    for chunk_id in batch.chunks.values_list("pk", flat=True):
        services.render_chunk(chunk_id)
    finishing.run_here(batch.pk)
    batch.refresh_from_db()
    assert batch.status == Status.DONE
    assert not old & set(batch.output_chunks.values_list("pk", flat=True))
    assert batch.items.filter(state="rendered").count() == batch.planned


def test_the_admin_shows_the_lists_progress(client, operator, employers):
    from django.urls import reverse

    batch = rendered(operator)
    finishing.start(batch.pk)
    finishing.write_chunk(batch.output_chunks.get(number=1).pk)
    client.force_login(operator)
    page = client.get(reverse("admin:notices_mailingbatch_change", args=[batch.pk]))
    assert "対象者一覧表 2 ／ 5事業所" in page.content.decode()
