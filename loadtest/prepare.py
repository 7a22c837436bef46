"""Accounts and payloads of the load test, written to a JSON file for locust.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/kyoukai_ops_load \\
        .venv/bin/python -m loadtest.prepare --out var/loadtest/fixture.json \\
        [--population 1000000 --applications 200000]

With ``--population N``, an empty database is first migrated and filled with N synthetic
members and ``--applications`` applications (``manage.py demo_data``), and the time this
took is printed; a database that already holds members is left as it is.

Idempotent: links up to ``--members`` persons with an insured record to member accounts
``load-member-NNNN`` with API tokens, gives ``--attorneys`` 社会保険労務士 accounts tokens (the
demo's, which have filings, or new ones ``load-attorney-NN``), makes ``--reviewers`` 東京支部
審査担当 ``load-reviewer-NN`` with a password and a 発送担当 ``load-operator``, and writes
the form data of one filing (a cash benefit with two photos) valid today. Personal data
stays in the database: the file holds tokens, ids and the synthetic form data only.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import secrets
from pathlib import Path

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

OPERATOR = "load-operator"  # the 東京支部 発送担当 who launches the run's mailing batch
FORM = "ryoyohi_tatekae"  # a cash benefit: two photos (itemized bill, receipt), bank account


def use_media_root() -> str:
    """The private files of the load database (the demo's attachments, the packages, the
    batches' PDFs) live in ``var/loadtest/media-<database>`` unless PRIVATE_MEDIA_ROOT is set:
    ids repeat across databases, and the stack, the reconciliation and the data must agree."""
    from urllib.parse import urlparse

    database = urlparse(os.environ.get("DATABASE_URL", "")).path.strip("/") or "default"
    root = Path(__file__).resolve().parent.parent / "var" / "loadtest" / f"media-{database}"
    os.environ.setdefault("PRIVATE_MEDIA_ROOT", str(root))
    return os.environ["PRIVATE_MEDIA_ROOT"]


def populate(members: int, applications: int) -> None:
    """Migrate and fill an empty database with synthetic members; print how long it took."""
    import time

    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    from eligibility.models import Person

    if Person.objects.exists():
        print(f"{connection.settings_dict['NAME']}: members already there, not generated")
        return
    started = time.monotonic()
    call_command(
        "demo_data", members=members, applications=applications, no_progress=True, chunk_size=10000
    )
    elapsed = time.monotonic() - started
    print(
        f"{connection.settings_dict['NAME']}: {members:,} members and {applications:,} "
        f"applications generated in {elapsed:.0f} s ({members / elapsed:,.0f} members/s)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=400)
    parser.add_argument("--attorneys", type=int, default=20)
    parser.add_argument("--reviewers", type=int, default=8)
    parser.add_argument("--out", default="var/loadtest/fixture.json")
    parser.add_argument("--population", type=int, default=0)
    parser.add_argument("--applications", type=int, default=200_000)
    args = parser.parse_args()
    use_media_root()

    import django

    django.setup()
    if args.population:
        populate(args.population, args.applications)
    from django.contrib.auth.models import Group
    from django.db.models import Max, Min
    from rest_framework.authtoken.models import Token

    from applications.forms_catalogue import get_form
    from core.jp.calendar import JST
    from core.models import Branch, User
    from core.roles import BATCH_OPERATOR, REVIEWER
    from eligibility.models import EligibilityRecord, Person
    from tests.applications.filing_support import BANK_ACCOUNT, valid_data

    rng = random.Random(17)
    members = []
    users = list(
        User.objects.filter(username__startswith="load-member-", persons__isnull=False)
        .distinct()
        .order_by("username")[: args.members]
    )
    bounds = Person.objects.aggregate(low=Min("pk"), high=Max("pk"))
    while len(users) < args.members:
        sample = rng.sample(range(bounds["low"], bounds["high"] + 1), 200)
        for person in Person.objects.filter(pk__in=sample, user__isnull=True):
            if len(users) >= args.members:
                break
            if not EligibilityRecord.objects.filter(
                person=person, kind=EligibilityRecord.Kind.INSURED, lost_on__isnull=True
            ).exists():
                continue
            user = User.objects.create(
                username=f"load-member-{len(users):04d}", kind=User.Kind.MEMBER, last_name="負荷"
            )
            person.user = user
            person.save(update_fields=["user"])
            users.append(user)
    for user in users:
        record = (
            EligibilityRecord.objects.filter(
                person__user=user, kind=EligibilityRecord.Kind.INSURED, lost_on__isnull=True
            )
            .order_by("-acquired_on")
            .first()
        )
        token, _ = Token.objects.get_or_create(user=user)
        members.append({"token": token.key, "record": record.pk})

    attorneys = list(
        User.objects.filter(kind=User.Kind.ATTORNEY, is_active=True).order_by("pk")[
            : args.attorneys
        ]
    )
    while len(attorneys) < args.attorneys:
        user, _ = User.objects.get_or_create(
            username=f"load-attorney-{len(attorneys):02d}",
            defaults={"kind": User.Kind.ATTORNEY, "last_name": "負荷"},
        )
        attorneys.append(user)
    attorney_tokens = [Token.objects.get_or_create(user=u)[0].key for u in attorneys]

    tokyo = Branch.objects.get(code=13)
    group = Group.objects.get(name=REVIEWER)
    password = secrets.token_urlsafe(16)
    reviewers = []
    for n in range(args.reviewers):
        user, _ = User.objects.get_or_create(
            username=f"load-reviewer-{n:02d}",
            defaults={
                "kind": User.Kind.STAFF,
                "branch": tokyo,
                "is_staff": True,
                "last_name": "負荷",
                "first_name": f"審査{n}",
            },
        )
        user.set_password(password)
        user.is_staff = True
        user.save()
        user.groups.add(group)
        reviewers.append({"username": user.username, "password": password})

    operator, _ = User.objects.get_or_create(
        username=OPERATOR,
        defaults={"kind": User.Kind.STAFF, "branch": tokyo, "is_staff": True, "last_name": "負荷"},
    )
    operator.groups.add(Group.objects.get(name=BATCH_OPERATOR))

    from django.utils import timezone

    today = timezone.now().astimezone(JST).date()
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(
        json.dumps(
            {
                "form": FORM,
                "data": valid_data(get_form(FORM), today),
                "bank_account": BANK_ACCOUNT,
                "attachment_kinds": ["itemized_bill", "receipt"],
                "members": members,
                "attorneys": attorney_tokens,
                "reviewers": reviewers,
            },
            ensure_ascii=False,
            default=str,
        )
    )
    out.chmod(0o600)
    print(
        f"{out}: {len(members)} members, {len(attorney_tokens)} attorneys, "
        f"{len(reviewers)} reviewers"
    )


if __name__ == "__main__":
    main()
