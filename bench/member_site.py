"""Benchmark: the member site's pages, above all the entry page generated from the catalogue.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/kyoukai_bench_member \\
        .venv/bin/python -m bench.member_site [--members 20000] [--requests 100]

In-process through the whole Django stack (middleware, session, templates) with
django.test.Client; prints the server-side time per request (median, p95), the SQL part and
the queries per request. Not a test: nothing is asserted. Target (issue 15): the form page
renders in under 100 ms server time.

The entry page is measured on 傷病手当金 (the largest form: 23 fields, the bank account with
its search, 5 attachments), each request a different member's draft. The database must be
PostgreSQL and its name must contain "bench"; members are loaded first when there are none.
"""

from __future__ import annotations

import argparse
import random
import sys
from collections.abc import Sequence

from bench.common import Result, database_summary, get, logged_in, measure, setup_django

TARGET_MEDIAN_MS = 100.0
FORM = "shobyo_teate"


def _line(result: Result) -> str:
    return (
        f"{result.name:<40} n={len(result.times_ms):<3} median {result.median:6.1f} ms   "
        f"p95 {result.p95:6.1f} ms   SQL (median) {result.sql_median:5.1f} ms   "
        f"queries {result.query_counts}"
    )


def _parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--members", type=int, default=20_000)
    parser.add_argument("--requests", type=int, default=100, help="measured requests per line")
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--seed", type=int, default=15)
    return parser.parse_args(argv)


def _members(count: int, rng: random.Random) -> list:
    """``count`` member accounts ``bench-site-NNN``, each linked to a random insured person
    (created once)."""
    from django.db.models import Max, Min

    from core.models import User
    from eligibility.models import EligibilityRecord, Person

    users = list(
        User.objects.filter(username__startswith="bench-site-", persons__isnull=False)
        .distinct()
        .order_by("username")[:count]
    )
    bounds = Person.objects.aggregate(low=Min("pk"), high=Max("pk"))
    while len(users) < count:
        candidates = rng.sample(range(bounds["low"], bounds["high"] + 1), 50)
        insured = EligibilityRecord.objects.exclude(kind=EligibilityRecord.Kind.DEPENDENT)
        persons = Person.objects.filter(
            pk__in=candidates,
            user__isnull=True,
            id__in=insured.filter(person_id__in=candidates).values("person_id"),
        )
        for person in persons:
            if len(users) >= count:
                break
            user, _ = User.objects.get_or_create(
                username=f"bench-site-{len(users):03d}",
                defaults={"kind": User.Kind.MEMBER, "last_name": "ベンチ"},
            )
            person.user = user
            person.save(update_fields=["user"])
            users.append(user)
    return users


def _drafts(users: list) -> list[tuple]:
    """(user, draft of FORM) for each user with an insured record (created once)."""
    from applications.models import Application
    from applications.services.filing import application_save_draft
    from eligibility.models import EligibilityRecord
    from eligibility.selectors import records_for_member

    out = []
    for user in users:
        draft = Application.objects.filter(applicant=user, form_code=FORM, status="draft").first()
        if draft is None:
            record = (
                records_for_member(user=user)
                .exclude(kind=EligibilityRecord.Kind.DEPENDENT)
                .order_by("-acquired_on")
                .first()
            )
            if record is None:
                continue
            draft = application_save_draft(applicant=user, record=record, form_code=FORM, data={})
        out.append((user, draft))
    return out


def main(argv: Sequence[str] | None = None) -> None:
    args = _parse_args(sys.argv[1:] if argv is None else argv)
    setup_django("kyoukai_bench_member")
    from django.urls import reverse

    from bench.eligibility_lookup import _ensure_data

    _ensure_data(args.members)
    rng = random.Random(args.seed)
    pairs = _drafts(_members(args.requests, rng))
    print(database_summary("eligibility_eligibilityrecord", "eligibility records"))
    print(f"{len(pairs)} members, each with a draft of {FORM}; warm-up {args.warmup}")

    lines = {
        "entry page (傷病手当金, draft)": [
            get(logged_in(u), reverse("applications:file-entry", args=[d.pk])) for u, d in pairs
        ],
        "catalogue": [get(logged_in(u), reverse("applications:file-catalogue")) for u, _ in pairs],
        "資格選択 (record cards)": [
            get(logged_in(u), reverse("applications:file-record", args=[FORM])) for u, _ in pairs
        ],
        "申請状況 (cards and drafts)": [
            get(logged_in(u), reverse("applications:member-list")) for u, _ in pairs
        ],
    }
    results = [measure(name, calls, args.warmup) for name, calls in lines.items()]
    for result in results:
        print(_line(result))
    entry = results[0]
    verdict = "meets" if entry.median < TARGET_MEDIAN_MS else "MISSES"
    print(f"entry page median {entry.median:.1f} ms {verdict} the {TARGET_MEDIAN_MS:.0f} ms target")


if __name__ == "__main__":
    main()
