"""GET /api/v1/notices/batches/<id>/: status and counts, branch-scoped."""

from __future__ import annotations

from django.urls import reverse
from django.utils import timezone

from notices.batches import services
from notices.batches.models import Kind
from tests.factories.eligibility import EmployerFactory, InsuredRecordFactory


def test_status_and_counts_for_the_batch_branch_scoped(
    client, operator, tokyo_operator, reviewer, tokyo, osaka
):
    InsuredRecordFactory.create_batch(3, employer=EmployerFactory(branch=tokyo))
    batch = services.define_batch(actor=operator, kind=Kind.NOTICE_ALL, as_of=timezone.localdate())
    services.launch(batch.pk, actor=operator)
    services.render_chunk(batch.chunks.first().pk)
    url = reverse("api-notices-batch", args=[batch.pk])
    client.force_login(operator)
    body = client.get(url).json()
    assert body["status"] == "running"
    assert body["counts"]["planned"] == 3 and body["counts"]["rendered"] == 3
    assert body["by_branch"][0]["branch_id"] == tokyo.pk
    client.force_login(tokyo_operator)  # an all-branch batch is headquarters'
    assert client.get(url).status_code == 404
    client.force_login(reviewer)  # no permission on batches
    assert client.get(url).status_code == 403
    theirs = services.define_batch(
        actor=operator, kind=Kind.NOTICE_ALL, as_of=timezone.localdate(), branch_id=tokyo.pk
    )
    client.force_login(tokyo_operator)
    assert client.get(reverse("api-notices-batch", args=[theirs.pk])).json()["status"] == "draft"


def test_the_lists_written_so_far(client, operator, tokyo, monkeypatch):
    from notices.batches import finishing

    monkeypatch.setattr(finishing, "enqueue", lambda ids: None)
    for _ in range(2):
        InsuredRecordFactory(employer=EmployerFactory(branch=tokyo))
    batch = services.define_batch(actor=operator, kind=Kind.NOTICE_ALL, as_of=timezone.localdate())
    services.launch(batch.pk, actor=operator)
    url = reverse("api-notices-batch", args=[batch.pk])
    client.force_login(operator)
    assert client.get(url).json()["lists"] == {"employers": 0, "done": 0}
    services.render_chunk(batch.chunks.get().pk)
    finishing.start(batch.pk)
    body = client.get(url).json()
    assert body["status"] == "finishing"
    assert body["lists"] == {"employers": 2, "done": 0}
    finishing.write_chunk(batch.output_chunks.get(kind="lists").pk)
    assert client.get(url).json()["lists"] == {"employers": 2, "done": 2}
