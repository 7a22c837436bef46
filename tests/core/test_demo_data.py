"""The demo-data generator: realistic, consistent, set-based, idempotent with --if-empty."""

import io
import re

import pytest
from django.core.management import call_command

from core.models import User
from eligibility.models import EligibilityRecord, Person

pytestmark = pytest.mark.django_db

KATAKANA = re.compile(r"^[ァ-ヶー　]+$")


def test_generates_households_with_consistent_numbers():
    call_command("demo_data", members=300, no_progress=True, stdout=io.StringIO())
    assert Person.objects.count() == 300
    records = list(EligibilityRecord.objects.select_related("insured_record"))
    assert len(records) == 300
    kinds = {r.kind for r in records}
    assert kinds == {"insured", "dependent", "voluntary"}
    for record in records:
        assert KATAKANA.match(record.name_kana), record.name_kana
        assert record.birth_date <= record.acquired_on
        if record.kind == "dependent":
            insured = record.insured_record
            assert (record.symbol, record.number) == (insured.symbol, insured.number)
            assert record.branch_number != "00"
            assert record.branch_id == insured.branch_id
        else:
            assert record.branch_number == "00"
        if record.kind == "voluntary":
            assert record.employer_id is None
        elif record.kind == "insured":
            assert record.employer.branch_id == record.branch_id
        else:  # a dependent follows the insured person's employer (none for 任意継続)
            assert record.employer_id == record.insured_record.employer_id


def test_my_number_is_kept_only_as_last_four_and_keyed_hash():
    call_command("demo_data", members=50, no_progress=True, stdout=io.StringIO())
    for person in Person.objects.exclude(my_number_hash=""):
        assert re.fullmatch(r"\d{4}", person.my_number_last4)
        assert re.fullmatch(r"[0-9a-f]{64}", person.my_number_hash)


def test_if_empty_makes_it_idempotent_and_accounts_are_created_once():
    out = io.StringIO()
    call_command("demo_data", members=100, no_progress=True, stdout=out)
    call_command("demo_data", members=100, no_progress=True, if_empty=True, stdout=out)
    assert Person.objects.count() == 100
    assert User.objects.filter(username="reviewer", branch__code=13).count() == 1
    members = User.objects.filter(kind="member")
    assert members.exists()
    assert all(m.persons.count() == 1 for m in members)


def test_demo_member_has_applications_in_each_state_and_reruns_add_none():
    from applications.models import Application

    out = io.StringIO()
    call_command("demo_data", members=200, applications=0, no_progress=True, stdout=out)
    member = User.objects.get(username="member1")
    statuses = sorted(Application.objects.filter(applicant=member).values_list("status", flat=True))
    assert statuses == ["completed", "received", "returned"]
    returned = Application.objects.get(applicant=member, status="returned")
    assert returned.status_comment
    assert returned.status_changes.count() == 3
    call_command("demo_data", members=200, if_empty=True, no_progress=True, stdout=out)
    assert Application.objects.filter(applicant=member).count() == 3


def test_postal_codes_match_the_prefecture():
    from core.prefectures import postal_prefecture
    from eligibility.models import Employer

    call_command("demo_data", members=200, no_progress=True, stdout=io.StringIO())
    for record in EligibilityRecord.objects.select_related("branch")[:200]:
        if record.postal_code:
            assert postal_prefecture(record.postal_code) == record.branch.code
            assert record.address.startswith(record.branch.prefecture)
    for employer in Employer.objects.select_related("branch")[:100]:
        assert postal_prefecture(employer.postal_code) == employer.branch.code


def test_every_branch_has_an_office_address_for_the_certificates_insurer_block():
    from core.models import Branch
    from core.prefectures import postal_prefecture
    from notices.documents.common import insurer_address

    call_command("demo_data", members=50, no_progress=True, stdout=io.StringIO())
    branches = list(Branch.objects.all())
    assert len(branches) == 47
    for branch in branches:
        assert branch.address.startswith(branch.prefecture)
        assert postal_prefecture(branch.postal_code) == branch.code
        assert insurer_address(branch).startswith("〒")


def test_the_demo_has_a_launched_mailing_batch_for_the_worker_and_only_one():
    from notices.batches.models import MailingBatch, MailingChunk

    out = io.StringIO()
    call_command("demo_data", members=300, no_progress=True, stdout=out)
    batch = MailingBatch.objects.get()
    assert batch.branch.code == 13 and batch.planned > 0
    assert batch.items.count() == batch.planned
    # Queued for the worker, not rendered inside the command.
    assert MailingChunk.objects.filter(batch=batch, state=MailingChunk.State.PENDING).exists()
    assert "発送バッチ" in out.getvalue()
    call_command("demo_data", members=300, no_progress=True, if_empty=True, stdout=out)
    assert MailingBatch.objects.count() == 1
