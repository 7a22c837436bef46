"""Eligibility records for the notices' tests: ordinary, 外字, longest values, dependent,
任意継続, no My Number registered."""

from __future__ import annotations

from datetime import date

import pytest

from eligibility.models import EligibilityRecord
from tests.factories.eligibility import (
    DependentRecordFactory,
    EmployerFactory,
    InsuredRecordFactory,
    PersonFactory,
    VoluntaryRecordFactory,
)

LONG_ADDRESS = (
    "北海道札幌市北区北十条西三丁目二十三番地一号ザ・ピーク札幌協会けんぽマンション"
    "第二棟一二三四号室管理人室気付"
)
LONG_NAME = "髙﨑𠮷之助長長長長長長長長長長長長長長長長長長長長長長長長長"
LONG_EMPLOYER = "株式会社" + "全国健康保険協会関連事業団体連合" * 4 + "札幌支店"
RELATED = ("branch", "person", "insured_record", "employer")


@pytest.fixture
def records(db, tokyo):
    """Ordinary insured, a 外字 name, the longest values, a dependent (70+), 任意継続, no
    My Number; in that order, with their relations selected."""
    employer = EmployerFactory(branch=tokyo)
    ordinary = InsuredRecordFactory(employer=employer)
    gaiji = InsuredRecordFactory(employer=employer, name="髙﨑　𠮷男", name_kana="タカサキ　ヨシオ")
    longest = InsuredRecordFactory(
        employer=EmployerFactory(branch=tokyo, name=LONG_EMPLOYER[:120]),
        name=LONG_NAME[:30],
        name_kana="タカサキヨシノスケナガナガナガナガナガナガナガナガナガナガナガナガナガナガ",
        address=LONG_ADDRESS[:60],
        postal_code="0010010",
    )
    insured70 = InsuredRecordFactory(
        employer=employer, birth_date=date(1954, 8, 20), standard_monthly_remuneration=300_000
    )
    dependent = DependentRecordFactory(
        insured_record=insured70, birth_date=date(1955, 1, 5), acquired_on=date(2019, 5, 1)
    )
    voluntary = VoluntaryRecordFactory(acquired_on=date(2025, 4, 1))
    no_number = InsuredRecordFactory(
        employer=employer, person=PersonFactory(my_number_last4="", my_number_hash="")
    )
    ids = [r.pk for r in (ordinary, gaiji, longest, dependent, voluntary, no_number, insured70)]
    by_id = EligibilityRecord.objects.select_related(*RELATED).in_bulk(ids)
    return [by_id[i] for i in ids]
