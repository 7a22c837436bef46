"""一部負担金の割合 (co-payment ratio) as of a date, per DOMAIN.md.

- 未就学 (until the first 31 March on or after the day the child reaches 6): 2割;
- then until the end of the month in which the member reaches 70: 3割;
- from the first day of the following month (高齢受給者, ages 70–74): 2割, or 3割 with
  income like the working population (現役並み所得);
- from the 75th birthday: 後期高齢者医療, no longer covered by the association.

Ages follow the 年齢計算ニ関スル法律: one *reaches* an age at the end of the day before the
birthday, so "the day one reaches N" is the eve of the Nth birthday. A person born on 29
February reaches each age at the end of 28 February, leap year or not.

Ratios are returned in tenths (2 = 2割, 3 = 3割). These are the rules in force now; historical
ratios (e.g. the 1割 special measure for 70–74 before April 2014) are not modelled.
"""

from __future__ import annotations

from datetime import date, timedelta

from core.jp.errors import JapaneseValueError

#: 現役並み所得: a 70–74 insured person with 標準報酬月額 at or above this pays 3割.
GENERAL_RATIO_THRESHOLD_REMUNERATION = 280_000
#: 基準収入額適用申請: annual income below which the 現役並み 3割 goes back to 2割 (alone) …
INCOME_REDUCTION_THRESHOLD_SINGLE = 3_830_000
#: … or with 70–74 dependents. The caller decides; see ``income_reduction_applied``.
INCOME_REDUCTION_THRESHOLD_WITH_DEPENDENTS = 5_200_000

PRESCHOOL_AGE = 6
SEVENTY_PLUS_AGE = 70
LATE_ELDERLY_AGE = 75

RATIO_REDUCED = 2
RATIO_GENERAL = 3

KIND_INSURED = "insured"
KIND_DEPENDENT = "dependent"
KIND_VOLUNTARY = "voluntary"
KINDS = frozenset({KIND_INSURED, KIND_DEPENDENT, KIND_VOLUNTARY})


def birthday_in(birth: date, year: int) -> date:
    """The birthday in ``year``; for a 29 February birth in a common year, 1 March.

    (The legal reading: such a person completes a year at the end of 28 February, so the
    first day of the new age is 1 March.)
    """
    try:
        return birth.replace(year=year)
    except ValueError:  # 29 February in a common year
        return date(year, 3, 1)


def reaches_age_on(birth: date, age: int) -> date:
    """The day a person "reaches" ``age`` (年齢に達する日): the eve of that birthday."""
    return birthday_in(birth, birth.year + age) - timedelta(days=1)


def age_on(birth: date, on: date) -> int:
    """Legal age on a date: the age counts from the eve of each birthday.

    Raises code ``"before_birth"`` when ``on`` is before the birth date.
    """
    if on < birth:
        raise JapaneseValueError("before_birth", "基準日が生年月日より前です")
    # The eve of a 1 January birthday falls in the previous year: start one year up.
    age = on.year - birth.year + 1
    while on < reaches_age_on(birth, age):
        age -= 1
    return age


def preschool_end(birth: date) -> date:
    """The last day as 未就学: the first 31 March on or after the day the child reaches 6."""
    reached = reaches_age_on(birth, PRESCHOOL_AGE)
    end = date(reached.year, 3, 31)
    return end if end >= reached else date(reached.year + 1, 3, 31)


def _first_of_next_month(d: date) -> date:
    return date(d.year + d.month // 12, d.month % 12 + 1, 1)


def seventy_plus_start(birth: date) -> date:
    """First day of the 70–74 ratio: the 1st of the month after the day one reaches 70.

    Someone born on the 1st reaches 70 on the last day of the previous month, so the ratio
    starts on the 70th birthday itself.
    """
    return _first_of_next_month(reaches_age_on(birth, SEVENTY_PLUS_AGE))


def late_elderly_date(birth: date) -> date:
    """The 75th birthday, first day of 後期高齢者医療 (and loss of the association's cover).

    Born on 29 February: in a common year the 75th birthday is taken as 1 March, the day
    after the person reaches 75 (end of 28 February).
    """
    return birthday_in(birth, birth.year + LATE_ELDERLY_AGE)


def _is_seventy_plus(birth: date, on: date) -> bool:
    return seventy_plus_start(birth) <= on


def burden_ratio(
    *,
    birth: date,
    on: date,
    kind: str,
    standard_monthly_remuneration: int | None,
    insured_birth: date | None = None,
    insured_standard_monthly_remuneration: int | None = None,
    income_reduction_applied: bool = False,
) -> int | None:
    """The co-payment ratio in tenths (2 or 3) of a member on ``on``, or None when the
    association does not cover the member that day (75th birthday reached, or a dependent
    whose insured person has reached his or her 75th birthday).

    ``kind``: ``"insured"``, ``"dependent"`` or ``"voluntary"`` (任意継続, treated as insured).
    ``standard_monthly_remuneration``: the insured person's 標準報酬月額 in force on ``on``;
    required for a 70–74 insured person, ignored for a dependent. For a dependent,
    ``insured_birth`` and ``insured_standard_monthly_remuneration`` describe the insured person
    and are required when the dependent is 70–74. ``income_reduction_applied``: a
    基準収入額適用申請 was accepted (income under the thresholds above), bringing 現役並み back
    to 2割.

    Raises :class:`JapaneseValueError`: ``"kind"``, ``"before_birth"``,
    ``"remuneration_required"``, ``"insured_required"``, ``"remuneration"`` (negative).
    """
    if kind not in KINDS:
        raise JapaneseValueError("kind", "加入者の区分が正しくありません")
    if on < birth:
        raise JapaneseValueError("before_birth", "基準日が生年月日より前です")
    for value in (standard_monthly_remuneration, insured_standard_monthly_remuneration):
        if value is not None and value < 0:
            raise JapaneseValueError("remuneration", "標準報酬月額が正しくありません")

    if on >= late_elderly_date(birth):
        return None
    if (
        kind == KIND_DEPENDENT
        and insured_birth is not None
        and on >= late_elderly_date(insured_birth)
    ):
        return None
    if on <= preschool_end(birth):
        return RATIO_REDUCED
    if not _is_seventy_plus(birth, on):
        return RATIO_GENERAL

    if kind == KIND_DEPENDENT:
        if insured_birth is None:
            raise JapaneseValueError(
                "insured_required", "70歳以上の被扶養者の負担割合には被保険者の情報が必要です"
            )
        if not _is_seventy_plus(insured_birth, on):
            working_income = False
        elif insured_standard_monthly_remuneration is None:
            raise JapaneseValueError("remuneration_required", "被保険者の標準報酬月額が必要です")
        else:
            working_income = (
                insured_standard_monthly_remuneration >= GENERAL_RATIO_THRESHOLD_REMUNERATION
            )
    else:
        if standard_monthly_remuneration is None:
            raise JapaneseValueError(
                "remuneration_required", "70歳以上の被保険者の負担割合には標準報酬月額が必要です"
            )
        working_income = standard_monthly_remuneration >= GENERAL_RATIO_THRESHOLD_REMUNERATION

    if working_income and not income_reduction_applied:
        return RATIO_GENERAL
    return RATIO_REDUCED
