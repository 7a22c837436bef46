"""Reads of the dashboard: the figures of the pages, from the summary and usage tables only.

Every function takes the actor and checks scope itself: any staff member sees the national
figures; a branch's staff see their own branch, headquarters every branch. A page reads a
few thousand summary rows at most, whatever the number of members.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Max, Min, Q, Sum

from core.errors import NotAllowed, NotFound
from core.models import Branch
from myna.models import AGE_BANDS, KpiTarget, RegistrationSummary, UsageFigure, UsageScope
from myna.services import month_ends

#: How many branches are marked at each end of the ranking (the seed tables: 上位5・下位5).
MARKED = 5


@dataclass(frozen=True, slots=True)
class Count:
    """A numerator over a denominator: registered / members, or uses / checks."""

    part: int
    whole: int

    @property
    def rate(self) -> Decimal | None:
        """Percent, two decimals; None when there is nothing to divide by."""
        if not self.whole:
            return None
        return (Decimal(self.part) * 100 / Decimal(self.whole)).quantize(Decimal("0.01"))

    @property
    def rest(self) -> int:
        return self.whole - self.part


@dataclass(frozen=True, slots=True)
class Point:
    """One point of a trend: a date (a month's end, or a month for usage) and its count."""

    on: date
    count: Count


@dataclass(frozen=True, slots=True)
class RankedRow:
    branch_id: int
    code: int
    name: str
    count: Count
    change: Decimal | None  # points since the previous month
    mark: str  # "top", "bottom" or ""


# --- scope --------------------------------------------------------------------------------
def require_staff(actor: Any) -> None:
    if not getattr(actor, "is_authenticated", False) or not actor.is_staff:
        raise NotAllowed("このページは職員だけが見られます。")


def branch_for(*, actor: Any, code: int) -> Branch:
    """The branch with prefecture code `code`, if the actor may see it."""
    require_staff(actor)
    branch = Branch.objects.filter(code=code).first()
    if branch is None or not (actor.is_headquarters or actor.branch_id == branch.pk):
        raise NotFound("この支部の集計は表示できません。ご自身の支部の集計をご覧ください。")
    return branch


# --- registration -------------------------------------------------------------------------
def _check_branch(actor: Any, branch: Branch | None) -> None:
    """Any staff member sees national figures; a branch's own staff or 本部 see a branch."""
    require_staff(actor)
    if branch is not None and not (actor.is_headquarters or actor.branch_id == branch.pk):
        raise NotFound("この支部の集計は表示できません。ご自身の支部の集計をご覧ください。")


def latest_date() -> date | None:
    return RegistrationSummary.objects.aggregate(d=Max("as_of"))["d"]


def summary_dates() -> list[date]:
    """The dates the summary holds, newest first (month ends since the start, recent days)."""
    return list(
        RegistrationSummary.objects.order_by("-as_of").values_list("as_of", flat=True).distinct()
    )


def choose_date(requested: date | None) -> date | None:
    """`requested` if the summary holds it, else the latest date (None when empty)."""
    if requested is not None and RegistrationSummary.objects.filter(as_of=requested).exists():
        return requested
    return latest_date()


def previous_month_end(day: date) -> date:
    """The last day of the month before `day`'s month."""
    return day.replace(day=1) - timedelta(days=1)


@dataclass(frozen=True, slots=True)
class Cell:
    """One summary row: a branch, kind and age band on a date."""

    branch_id: int
    kind: str
    age_band: int
    members: int
    registered: int


@dataclass(frozen=True, slots=True)
class Snapshot:
    """The summary of one date (at most 47 × 3 × 8 rows), read in one query; the figures of a
    page are sums over it, national or for one branch."""

    as_of: date
    cells: tuple[Cell, ...]

    def _cells(self, branch: Branch | None) -> list[Cell]:
        if branch is None:
            return list(self.cells)
        return [c for c in self.cells if c.branch_id == branch.pk]

    def total(self, branch: Branch | None = None) -> Count:
        cells = self._cells(branch)
        return Count(sum(c.registered for c in cells), sum(c.members for c in cells))

    def by_age(self, branch: Branch | None = None) -> list[Count]:
        """One count per age band (AGE_BANDS order)."""
        parts, wholes = [0] * len(AGE_BANDS), [0] * len(AGE_BANDS)
        for c in self._cells(branch):
            parts[c.age_band] += c.registered
            wholes[c.age_band] += c.members
        return [Count(p, w) for p, w in zip(parts, wholes, strict=True)]

    def by_kind(self, branch: Branch | None = None) -> dict[str, Count]:
        sums: dict[str, list[int]] = {}
        for c in self._cells(branch):
            pair = sums.setdefault(c.kind, [0, 0])
            pair[0] += c.registered
            pair[1] += c.members
        return {kind: Count(p, w) for kind, (p, w) in sums.items()}

    def by_branch(self) -> dict[int, Count]:
        sums: dict[int, list[int]] = {}
        for c in self.cells:
            pair = sums.setdefault(c.branch_id, [0, 0])
            pair[0] += c.registered
            pair[1] += c.members
        return {pk: Count(p, w) for pk, (p, w) in sums.items()}


def snapshot(*, actor: Any, as_of: date) -> Snapshot:
    """The summary of `as_of` (any staff: the national figures include every branch's)."""
    require_staff(actor)
    rows = RegistrationSummary.objects.filter(as_of=as_of).values_list(
        "branch_id", "kind", "age_band", "members", "registered"
    )
    return Snapshot(as_of, tuple(Cell(*row) for row in rows))


def registration_total(*, actor: Any, as_of: date, branch: Branch | None = None) -> Count:
    """Registered / members on `as_of`, national or for a branch."""
    _check_branch(actor, branch)
    return snapshot(actor=actor, as_of=as_of).total(branch)


def registration_by_age(*, actor: Any, as_of: date, branch: Branch | None = None) -> list[Count]:
    _check_branch(actor, branch)
    return snapshot(actor=actor, as_of=as_of).by_age(branch)


def registration_by_kind(
    *, actor: Any, as_of: date, branch: Branch | None = None
) -> dict[str, Count]:
    _check_branch(actor, branch)
    return snapshot(actor=actor, as_of=as_of).by_kind(branch)


def registration_trend(*, actor: Any, branch: Branch | None = None) -> list[Point]:
    """Month by month (each month's last day held in the summary), then the latest date."""
    _check_branch(actor, branch)
    span = RegistrationSummary.objects.aggregate(first=Min("as_of"), last=Max("as_of"))
    if span["first"] is None:
        return []
    # Only the month ends and the latest date: the daily rows in between are not read.
    wanted = [d for d in month_ends(span["first"], span["last"]) if d < span["last"]]
    qs = RegistrationSummary.objects.filter(as_of__in=[*wanted, span["last"]])
    if branch is not None:
        qs = qs.filter(branch=branch)
    rows = qs.values("as_of").annotate(p=Sum("registered"), w=Sum("members")).order_by("as_of")
    return [Point(r["as_of"], Count(r["p"] or 0, r["w"] or 0)) for r in rows]


def rank(
    now: dict[int, Count], before: dict[int, Count], branches: list[Branch] | None = None
) -> list[RankedRow]:
    """The 47 branches in prefecture order, with the change in points and the top and bottom
    five marked (ties at the edge are all marked)."""
    if branches is None:
        branches = list(Branch.objects.order_by("code"))
    ranked = [r for r in (now.get(b.pk) for b in branches) if r is not None and r.rate is not None]
    ordered = sorted((c.rate for c in ranked), reverse=True)  # type: ignore[type-var]
    top_cut = ordered[MARKED - 1] if len(ordered) >= 2 * MARKED else None
    bottom_cut = ordered[-MARKED] if len(ordered) >= 2 * MARKED else None
    out = []
    for b in branches:
        count = now.get(b.pk, Count(0, 0))
        prev = before.get(b.pk)
        change = None
        if count.rate is not None and prev is not None and prev.rate is not None:
            change = count.rate - prev.rate
        mark = ""
        if count.rate is not None and top_cut is not None and count.rate >= top_cut:
            mark = "top"
        elif count.rate is not None and bottom_cut is not None and count.rate <= bottom_cut:
            mark = "bottom"
        out.append(RankedRow(b.pk, b.code, b.name, count, change, mark))
    return out


def place_of(branch: Branch, counts: dict[int, Count]) -> int | None:
    """The branch's place by rate among `counts` (1 = highest; equal rates share a place)."""
    mine = counts.get(branch.pk, Count(0, 0)).rate
    if mine is None:
        return None
    rates = [c.rate for c in counts.values() if c.rate is not None]
    return 1 + sum(1 for r in rates if r > mine)


def registration_ranking(
    *, actor: Any, as_of: date, branches: list[Branch] | None = None
) -> list[RankedRow]:
    """Registration rate by branch on `as_of`, with the change since the previous month end."""
    now = snapshot(actor=actor, as_of=as_of).by_branch()
    before = snapshot(actor=actor, as_of=previous_month_end(as_of)).by_branch()
    return rank(now, before, branches)


# --- usage --------------------------------------------------------------------------------
def latest_usage_month(scope: str = UsageScope.ASSOCIATION) -> date | None:
    return UsageFigure.objects.filter(scope=scope).aggregate(m=Max("month"))["m"]


def previous_month(month: date) -> date:
    return previous_month_end(month).replace(day=1)


def usage_ranking(
    *, actor: Any, scope: str, month: date, branches: list[Branch] | None = None
) -> list[RankedRow]:
    """利用率 by branch (協会) or prefecture (国全体) for `month`, change since the month before."""
    require_staff(actor)

    def counts(m: date) -> dict[int, Count]:
        return {
            f.branch_id: Count(f.myna_uses, f.online_checks)
            for f in UsageFigure.objects.filter(scope=scope, month=m).only(
                "branch_id", "myna_uses", "online_checks"
            )
        }

    return rank(counts(month), counts(previous_month(month)), branches)


def usage_trend(*, actor: Any, scope: str, branch: Branch | None = None) -> list[Point]:
    """Month by month: the sum over branches (national) or one branch."""
    _check_branch(actor, branch)
    qs = UsageFigure.objects.filter(scope=scope)
    if branch is not None:
        qs = qs.filter(branch=branch)
    rows = qs.values("month").annotate(p=Sum("myna_uses"), w=Sum("online_checks")).order_by("month")
    return [Point(r["month"], Count(r["p"] or 0, r["w"] or 0)) for r in rows]


# --- targets ------------------------------------------------------------------------------
def kpi_targets(*, metric: str, branch: Branch | None = None) -> dict[date, Decimal]:
    """Month → target rate; a branch's own target overrides the national one."""
    where = Q(branch__isnull=True)
    if branch is not None:
        where |= Q(branch=branch)
    rows = KpiTarget.objects.filter(where, metric=metric).values_list("month", "branch_id", "rate")
    targets: dict[date, Decimal] = {}
    for month, _branch, rate in sorted(rows, key=lambda r: r[1] is not None):
        targets[month] = rate  # the branch's own, read last, wins
    return targets


def kpi_for(*, metric: str, month: date, branch: Branch | None = None) -> Decimal | None:
    """The target set for `month` (a target holds for its month only: the seed's KPI is
    「令和6年11月末時点で50%」, and a year may have none)."""
    return kpi_targets(metric=metric, branch=branch).get(month.replace(day=1))


def series_by_branch(points: list[Point]) -> dict[date, Count]:
    return {p.on: p.count for p in points}
