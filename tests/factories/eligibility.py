from __future__ import annotations

import random
from datetime import date

import factory

from core.jp.checkdigits import my_number_check_digit
from core.personal_ids import keyed_hash
from eligibility.models import EligibilityRecord, Employer, Person, Sex
from tests.factories.core import branch


def valid_my_number(seed: int) -> str:
    first11 = f"{random.Random(seed).randrange(10**10, 10**11):011d}"
    return first11 + str(my_number_check_digit(first11))


class EmployerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Employer

    branch = factory.LazyFunction(branch)
    symbol = factory.Sequence(lambda n: f"{13:02d}{n:06d}")
    name = factory.Sequence(lambda n: f"株式会社テスト商事{n}")
    name_kana = "カブシキガイシャテストショウジ"
    postal_code = "1000001"
    address = "東京都千代田区千代田1-1"


class PersonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Person

    class Params:
        # Seeds far above those tests pass to valid_my_number() themselves (5, 6, 99 …): a
        # test's own number never equals one the factory gave an earlier person.
        my_number = factory.Sequence(lambda n: valid_my_number(1_000_000 + n))

    my_number_last4 = factory.LazyAttribute(lambda o: o.my_number[-4:])
    my_number_hash = factory.LazyAttribute(lambda o: keyed_hash(o.my_number))
    mynacard_registered = True


class InsuredRecordFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = EligibilityRecord

    person = factory.SubFactory(PersonFactory)
    kind = EligibilityRecord.Kind.INSURED
    employer = factory.SubFactory(EmployerFactory)
    branch = factory.SelfAttribute("employer.branch")
    symbol = factory.SelfAttribute("employer.symbol")
    number = factory.Sequence(lambda n: str(n + 1))
    branch_number = "00"
    name = "協会　太郎"
    name_kana = "キョウカイ　タロウ"
    birth_date = date(1980, 4, 2)
    sex = Sex.MALE
    postal_code = "1000001"
    address = "東京都千代田区千代田1-1"
    acquired_on = date(2010, 4, 1)
    standard_monthly_remuneration = 300_000


class DependentRecordFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = EligibilityRecord

    person = factory.SubFactory(PersonFactory)
    kind = EligibilityRecord.Kind.DEPENDENT
    insured_record = factory.SubFactory(InsuredRecordFactory)
    employer = factory.SelfAttribute("insured_record.employer")
    branch = factory.SelfAttribute("insured_record.branch")
    symbol = factory.SelfAttribute("insured_record.symbol")
    number = factory.SelfAttribute("insured_record.number")
    branch_number = factory.Sequence(lambda n: f"{n % 98 + 1:02d}")
    name = "協会　花子"
    name_kana = "キョウカイ　ハナコ"
    birth_date = date(2015, 6, 10)
    sex = Sex.FEMALE
    acquired_on = date(2015, 6, 10)


class VoluntaryRecordFactory(InsuredRecordFactory):
    kind = EligibilityRecord.Kind.VOLUNTARY
    employer = None
    branch = factory.LazyFunction(branch)
    symbol = "91300001"
