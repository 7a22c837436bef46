"""Synthetic demo data in bulk: employers, insured persons with dependents, 任意継続 members.

Set-based: rows are built in memory per chunk of households and written with bulk_create
(one INSERT per table and chunk), so a million members load in minutes on PostgreSQL.
Deterministic for a given seed.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta

from django.db import transaction
from django.db.models import Count

from core.jp.checkdigits import my_number_check_digit
from core.models import Branch
from core.personal_ids import keyed_hash
from core.prefectures import random_postal_code
from demo import names
from eligibility.models import EligibilityRecord, Employer, Person, Sex

Kind = EligibilityRecord.Kind

# Shares of branches in the membership, roughly by population: Tokyo, Osaka, Aichi … first.
_BIG_BRANCHES = {13: 12, 27: 7, 23: 6, 14: 5, 11: 4, 12: 4, 1: 4, 40: 4, 28: 4}
MEMBERS_PER_EMPLOYER = 15
VOLUNTARY_SHARE = 0.04
MYNA_REGISTERED_SHARE = 0.7
MY_NUMBER_ON_FILE_SHARE = 0.95
#: The share of registrations made by each date (a piecewise-linear distribution).
_REGISTRATION_CDF: tuple[tuple[float, date], ...] = (
    (0.0, date(2023, 1, 1)),
    (0.35, date(2023, 9, 30)),
    (0.50, date(2024, 9, 30)),
    (0.78, date(2025, 1, 31)),
    (0.93, date(2025, 12, 31)),
    (1.0, date(2026, 11, 30)),  # or the day before today, whichever is later
)


@dataclass
class DemoSummary:
    employers: int = 0
    persons: int = 0
    records: int = 0


@dataclass
class _Household:
    insured: tuple[Person, EligibilityRecord]
    dependents: list[tuple[Person, EligibilityRecord]]


class DemoGenerator:
    def __init__(self, *, seed: int = 2026, today: date | None = None) -> None:
        # A second run continues with other people (other My Numbers), not the same ones.
        self.rng = random.Random(f"{seed}-{Person.objects.count()}")
        self.today = today or date.today()
        self.branches = list(Branch.objects.order_by("code"))
        weights = [_BIG_BRANCHES.get(b.code, 1) for b in self.branches]
        self.branch_weights = weights
        # Continue numbering after what is already there, so a second run adds rows.
        self._employer_serial: dict[int, int] = dict(
            Employer.objects.values_list("branch__code").annotate(n=Count("id"))
        )
        self._next_number: dict[int, int] = {}
        for code, number in EligibilityRecord.objects.filter(kind=Kind.VOLUNTARY).values_list(
            "branch__code", "number"
        ):
            self._next_number[-code] = max(self._next_number.get(-code, 0), int(number))
        self._used_my_numbers: set[str] = set()

    # --- primitives ---------------------------------------------------------------
    def _birth(self, min_age: int, max_age: int) -> date:
        day = min(self.today.day, 28)
        start = date(self.today.year - max_age - 1, self.today.month, day) + timedelta(days=1)
        end = date(self.today.year - min_age, self.today.month, day)
        return start + timedelta(days=self.rng.randrange((end - start).days))

    def _registration_date(self) -> date:
        """A マイナ保険証 registration date from 2023 on, shaped like the association's trend:
        a rush in 2023 (マイナポイント), a slower 2024, a second rush before the paper cards
        stopped (December 2024), then a slow rise."""
        u = self.rng.random()
        last = max(_REGISTRATION_CDF[-1][1], self.today - timedelta(days=1))
        for (f0, d0), (f1, d1) in itertools.pairwise((*_REGISTRATION_CDF[:-1], (1.0, last))):
            if u <= f1:
                day = d0 + timedelta(days=int((d1 - d0).days * (u - f0) / (f1 - f0)))
                break
        else:
            day = last
        return min(day, self.today - timedelta(days=1))

    def _my_number(self) -> tuple[str, str]:
        while True:
            first11 = f"{self.rng.randrange(10**10, 10**11):011d}"
            number = first11 + str(my_number_check_digit(first11))
            if number not in self._used_my_numbers:
                self._used_my_numbers.add(number)
                return number[-4:], keyed_hash(number)

    def _address(self, branch: Branch) -> tuple[str, str]:
        city = self.rng.choice(names.CITIES)
        town = self.rng.choice(names.TOWNS)
        block = f"{self.rng.randint(1, 9)}-{self.rng.randint(1, 30)}-{self.rng.randint(1, 20)}"
        postal = random_postal_code(branch.code, self.rng)
        return postal, f"{branch.prefecture}{city}{town}{block}"

    def _person(self) -> Person:
        person = Person()
        if self.rng.random() < MY_NUMBER_ON_FILE_SHARE:
            person.my_number_last4, person.my_number_hash = self._my_number()
            if self.rng.random() < MYNA_REGISTERED_SHARE:
                person.mynacard_registered = True
                person.mynacard_registered_on = self._registration_date()
        return person

    def _given(self, sex: str) -> tuple[str, str]:
        return self.rng.choice(names.MALE_NAMES if sex == Sex.MALE else names.FEMALE_NAMES)

    # --- employers ----------------------------------------------------------------
    def employers(self, count: int) -> list[Employer]:
        rows = []
        for _ in range(count):
            branch = self.rng.choices(self.branches, self.branch_weights)[0]
            serial = self._employer_serial.get(branch.code, 0) + 1
            self._employer_serial[branch.code] = serial
            surname, surname_kana = self.rng.choice(names.SURNAMES)
            word, word_kana = self.rng.choice(names.EMPLOYER_WORDS)
            postal, address = self._address(branch)
            rows.append(
                Employer(
                    branch=branch,
                    symbol=f"{branch.code:02d}{serial:06d}",
                    name=f"株式会社{surname}{word}",
                    name_kana=f"カブシキガイシャ{surname_kana}{word_kana}",
                    postal_code=postal,
                    address=address,
                    phone=f"0{self.rng.randint(10, 99)}-{self.rng.randint(100, 999)}-"
                    f"{self.rng.randint(1000, 9999)}",
                )
            )
        return rows

    # --- households ---------------------------------------------------------------
    def household(self, employers: list[Employer]) -> _Household:
        voluntary = self.rng.random() < VOLUNTARY_SHARE
        if voluntary:
            branch = self.rng.choices(self.branches, self.branch_weights)[0]
            employer = None
            symbol = f"9{branch.code:02d}00001"
        else:
            employer = self.rng.choice(employers)
            branch = employer.branch
            symbol = employer.symbol
        key = employer.pk if employer else -branch.code
        number = self._next_number.get(key, 0) + 1
        self._next_number[key] = number

        sex = self.rng.choice([Sex.MALE, Sex.FEMALE])
        surname, surname_kana = self.rng.choice(names.SURNAMES)
        given, given_kana = self._given(sex)
        birth = self._birth(60 if voluntary else 18, 74)
        age_years = self.today.year - birth.year
        earliest = date(birth.year + 18, birth.month, min(birth.day, 28))
        acquired = earliest + timedelta(days=self.rng.randrange(max(1, (age_years - 18) * 365)))
        acquired = min(acquired, self.today - timedelta(days=1))
        postal, address = self._address(branch)
        remuneration = self.rng.choice([98_000, 180_000, 240_000, 300_000, 410_000, 620_000])
        insured_person = self._person()
        insured = EligibilityRecord(
            kind=Kind.VOLUNTARY if voluntary else Kind.INSURED,
            branch=branch,
            employer=employer,
            symbol=symbol,
            number=str(number),
            branch_number="00",
            name=f"{surname}　{given}",
            name_kana=f"{surname_kana}　{given_kana}",
            birth_date=birth,
            sex=sex,
            postal_code=postal,
            address=address,
            acquired_on=acquired,
            standard_monthly_remuneration=remuneration,
            certificate_requested=not insured_person.mynacard_registered
            and self.rng.random() < 0.1,
        )
        dependents = []
        count = self.rng.choices([0, 1, 2, 3], [45, 25, 20, 10])[0]
        for i in range(count):
            if i == 0 and age_years >= 25 and self.rng.random() < 0.7:
                dsex = Sex.FEMALE if sex == Sex.MALE else Sex.MALE
                dbirth = self._birth(max(18, age_years - 8), min(74, age_years + 5))
            else:
                dsex = self.rng.choice([Sex.MALE, Sex.FEMALE])
                dbirth = self._birth(0, min(22, max(0, age_years - 20)))
            dgiven, dgiven_kana = self._given(dsex)
            recognised = max(acquired, dbirth)
            person = self._person()
            dependents.append(
                (
                    person,
                    EligibilityRecord(
                        kind=Kind.DEPENDENT,
                        branch=branch,
                        employer=employer,
                        symbol=symbol,
                        number=str(number),
                        branch_number=f"{i + 1:02d}",
                        name=f"{surname}　{dgiven}",
                        name_kana=f"{surname_kana}　{dgiven_kana}",
                        birth_date=dbirth,
                        sex=dsex,
                        postal_code=postal,
                        address=address,
                        acquired_on=recognised,
                    ),
                )
            )
        return _Household(insured=(insured_person, insured), dependents=dependents)

    def households(self, members: int, employers: list[Employer]) -> Iterator[_Household]:
        made = 0
        while made < members:
            household = self.household(employers)
            household.dependents = household.dependents[: max(0, members - made - 1)]
            made += 1 + len(household.dependents)
            yield household


def generate(
    *,
    members: int,
    seed: int = 2026,
    chunk_size: int = 5000,
    progress: Callable[[int], None] | None = None,
) -> DemoSummary:
    """Create about `members` members (insured persons plus dependents) with their employers."""
    gen = DemoGenerator(seed=seed)
    summary = DemoSummary()
    _branch_offices(seed)
    employer_count = max(1, members // MEMBERS_PER_EMPLOYER)
    with transaction.atomic():
        employers = Employer.objects.bulk_create(gen.employers(employer_count), batch_size=5000)
    if not all(e.pk for e in employers):  # backends without RETURNING
        employers = list(Employer.objects.order_by("-id")[:employer_count])
    summary.employers = len(employers)

    batch: list[_Household] = []
    size = 0
    for household in gen.households(members, employers):
        batch.append(household)
        size += 1 + len(household.dependents)
        if size >= chunk_size:
            _write(batch, summary)
            if progress:
                progress(size)
            batch, size = [], 0
    if batch:
        _write(batch, summary)
        if progress:
            progress(size)
    return summary


def _branch_offices(seed: int) -> None:
    """Give each branch without one an office address: the 資格確認書 prints it as
    保険者所在地. Real branches' addresses are entered by headquarters in the admin. Its own
    random generator, so the members generated stay the same."""
    rng = random.Random(seed + 47)
    for branch in Branch.objects.filter(address="").order_by("code"):
        town = rng.choice(names.TOWNS)
        branch.postal_code = random_postal_code(branch.code, rng)
        branch.address = f"{branch.prefecture}{town}{rng.randint(1, 9)}-{rng.randint(1, 20)}-1"
        branch.save(update_fields=["postal_code", "address"])


def _write(batch: list[_Household], summary: DemoSummary) -> None:
    with transaction.atomic():
        pairs = [h.insured for h in batch] + [d for h in batch for d in h.dependents]
        persons = Person.objects.bulk_create([p for p, _ in pairs])
        for person, (_, record) in zip(persons, pairs, strict=True):
            record.person_id = person.pk
        insured = EligibilityRecord.objects.bulk_create([h.insured[1] for h in batch])
        for household, insured_record in zip(batch, insured, strict=True):
            for _, record in household.dependents:
                record.insured_record_id = insured_record.pk
        dependents = EligibilityRecord.objects.bulk_create(
            [r for h in batch for _, r in h.dependents]
        )
    summary.persons += len(persons)
    summary.records += len(insured) + len(dependents)
