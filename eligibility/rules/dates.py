"""Eligibility periods: 資格取得年月日 (first day covered) and 資格喪失年月日 (first day not
covered)."""

from __future__ import annotations

from datetime import date

from core.jp.errors import JapaneseValueError
from eligibility.rules.burden import late_elderly_date


def is_eligible_on(*, acquired: date, lost: date | None, on: date) -> bool:
    """Whether a member is covered on ``on``: from ``acquired`` (inclusive) until ``lost``
    (exclusive: the member is not eligible on the 資格喪失年月日 itself). ``lost`` None = still
    a member. ``lost == acquired`` (same-day acquisition and loss) covers no day.

    Raises code ``"loss_before_acquisition"`` when ``lost`` is before ``acquired``.
    """
    if lost is not None and lost < acquired:
        raise JapaneseValueError(
            "loss_before_acquisition", "資格喪失年月日が資格取得年月日より前です"
        )
    return acquired <= on and (lost is None or on < lost)


def loss_date_at_75(birth: date) -> date:
    """The 資格喪失年月日 on moving to 後期高齢者医療: the 75th birthday itself
    (for a 29 February birth, 1 March in a common year)."""
    return late_elderly_date(birth)
