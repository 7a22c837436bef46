"""Two refreshes of the same date at once (the nightly task and a command) both succeed and
leave one set of rows: the advisory lock serialises the delete-and-insert (PostgreSQL)."""

from __future__ import annotations

import threading
from datetime import date

import pytest
from django.db import connection, connections

from myna.models import RegistrationSummary
from myna.services import refresh_summary
from tests.factories.core import branch
from tests.factories.eligibility import InsuredRecordFactory

AS_OF = date(2025, 8, 31)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_refreshes_of_a_date_leave_one_set_of_rows():
    if connection.vendor != "postgresql":
        pytest.skip("real concurrency needs PostgreSQL")
    InsuredRecordFactory()
    InsuredRecordFactory(branch=branch(27), symbol="27000001")
    errors: list[BaseException] = []
    start = threading.Barrier(6)

    def run() -> None:
        try:
            start.wait()
            refresh_summary(as_of=AS_OF)
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    rows = RegistrationSummary.objects.filter(as_of=AS_OF)
    assert rows.count() == 2
    assert sum(r.members for r in rows) == 2
