"""Pure eligibility rules (no Django): co-payment ratio, eligibility dates."""

from eligibility.rules.burden import (
    age_on,
    burden_ratio,
    late_elderly_date,
    preschool_end,
    seventy_plus_start,
)
from eligibility.rules.dates import is_eligible_on, loss_date_at_75

__all__ = [
    "age_on",
    "burden_ratio",
    "is_eligible_on",
    "late_elderly_date",
    "loss_date_at_75",
    "preschool_end",
    "seventy_plus_start",
]
