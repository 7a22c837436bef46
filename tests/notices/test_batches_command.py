"""manage.py mailing_batch: define, preview, launch, run, with its progress bar."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from notices.batches.models import MailingBatch
from tests.factories.eligibility import EmployerFactory, InsuredRecordFactory


def run(*args: str) -> str:
    out = StringIO()
    call_command("mailing_batch", *args, stdout=out)
    return out.getvalue()


def test_the_command_runs_a_batch_end_to_end(tokyo, monkeypatch):
    from notices.batches import services

    monkeypatch.setattr(services, "_enqueue", lambda ids: None)  # rendered here, no broker
    InsuredRecordFactory.create_batch(2, employer=EmployerFactory(branch=tokyo))
    assert "定義しました" in run("define", "notice_all", "--as-of", str(timezone.localdate()))
    batch = MailingBatch.objects.get()
    assert "合計\t2" in run("preview", str(batch.pk))
    assert "計画 2件" in run("launch", str(batch.pk))
    out = run("run-here", str(batch.pk))
    assert "完了" in out and "2/2" in out
    with pytest.raises(CommandError, match="未来"):
        run("define", "notice_all", "--as-of", "2999-01-01")
