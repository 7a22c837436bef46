"""References the database does not check itself, checked over the whole table.

A record's branch, person, employer and insured person's record are foreign keys without
a database constraint (see ``EligibilityRecord.person``); the code that writes records
checks them. :func:`dangling_references` finds any that is broken anyway, one anti-join
per reference over the indexes: for an operator after a restore or a manual repair, and
for the tests and the import benchmark. :func:`record_reference_check` runs it nightly
(CELERY_BEAT_SCHEDULE) and keeps the result, which the admin's index shows headquarters
when a reference is broken.
"""

from __future__ import annotations

import logging

from django.db import connection

from core.models import Branch
from eligibility.models import EligibilityRecord, Employer, Person, ReferenceCheck

logger = logging.getLogger(__name__)

#: Reference → what it refers to, in messages (the import's, the command's).
LABELS = {
    "branch": "支部",
    "person": "加入者",
    "employer": "事業所",
    "insured_record": "被保険者の資格情報",
}
#: Reference → (its column on the record, the table it refers to).
REFERENCES = {
    "branch": ("branch_id", Branch._meta.db_table),
    "person": ("person_id", Person._meta.db_table),
    "employer": ("employer_id", Employer._meta.db_table),
    "insured_record": ("insured_record_id", EligibilityRecord._meta.db_table),
}


def dangling_references() -> dict[str, int]:
    """Per reference, how many records refer to a row that does not exist."""
    records = EligibilityRecord._meta.db_table
    counts: dict[str, int] = {}
    with connection.cursor() as cursor:
        for name, (column, target) in REFERENCES.items():
            cursor.execute(
                f"SELECT count(*) FROM {records} r WHERE r.{column} IS NOT NULL AND NOT EXISTS "
                f"(SELECT 1 FROM {target} t WHERE t.id = r.{column})"
            )
            counts[name] = cursor.fetchone()[0]
    return counts


def record_reference_check() -> ReferenceCheck:
    """Run :func:`dangling_references` and keep its result (logged as an error when a
    reference is broken: headquarters sees it on the admin's index)."""
    counts = dangling_references()
    check = ReferenceCheck.objects.create(broken=counts, broken_total=sum(counts.values()))
    if check.broken_total:
        logger.error("reference check %s: broken references %s", check.pk, counts)
    return check


def latest_broken_check() -> ReferenceCheck | None:
    """The latest check, when it found a broken reference (None when it found none)."""
    latest = ReferenceCheck.objects.order_by("-checked_at", "-pk").first()
    return latest if latest is not None and latest.broken_total else None
