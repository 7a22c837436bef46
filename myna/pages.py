"""What the dashboard pages show: sections of a table and its chart, built from selectors.

The views render these and the download views export the same tables, so a CSV or Excel
file always holds exactly the figures of the page.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.utils.safestring import SafeString

from core.jp.era import format_wareki, format_wareki_year_month
from core.models import Branch
from eligibility.models import EligibilityRecord
from myna import selectors as s
from myna.charts import Bar, Series, bar_chart, line_chart
from myna.exports import Table
from myna.models import AGE_BANDS, Metric, UsageScope

MARK_LABELS = {"top": "上位5", "bottom": "下位5", "": ""}


@dataclass(slots=True)
class Section:
    table: Table
    chart: SafeString | None = None


@dataclass(slots=True)
class Page:
    title: str
    as_of: date | None
    headline: s.Count | None = None
    headline_change: Decimal | None = None
    usage_month: date | None = None
    usage_headline: s.Count | None = None
    branch: Branch | None = None
    national_rate: Decimal | None = None
    rank: int | None = None  # the branch's place among the 47 by registration rate
    sections: list[Section] = field(default_factory=list)

    @property
    def as_of_label(self) -> str:
        return format_wareki(self.as_of) if self.as_of else ""

    @property
    def date_choices(self) -> list[tuple[str, str]]:
        """The dates one may look at: (ISO, 和暦)."""
        return [(d.isoformat(), format_wareki(d)) for d in s.summary_dates()]

    @property
    def usage_month_label(self) -> str:
        return format_wareki_year_month(self.usage_month) if self.usage_month else ""

    def table(self, key: str) -> Table | None:
        return next((x.table for x in self.sections if x.table.key == key), None)


def _axis(d: date) -> str:
    return f"{d:%y/%m}"


def _change(now: s.Count, before: s.Count | None) -> Decimal | None:
    if before is None or now.rate is None or before.rate is None:
        return None
    return now.rate - before.rate


def _trend_section(
    *,
    key: str,
    title: str,
    points: list[s.Point],
    headers: tuple[str, str],
    targets: dict[date, Decimal],
    national: list[s.Point] | None = None,
    monthly: bool,
) -> Section:
    """A trend table (date, part, whole, rate, change in points, target[, national]) and line."""
    nat = s.series_by_branch(national) if national is not None else None
    cols = ["年月" if monthly else "基準日", headers[0], headers[1], "率（%）"]
    cols += ["前月差（ポイント）", "KPI（%）"]
    if nat is not None:
        cols += ["全国（%）", "全国との差（ポイント）"]
    table = Table(key=key, title=title, headers=cols)
    previous: s.Count | None = None
    kpis: list[Decimal | None] = []
    for p in points:
        kpi = targets.get(p.on.replace(day=1))
        kpis.append(kpi)
        label = format_wareki_year_month(p.on) if monthly else format_wareki(p.on)
        row: list[Any] = [label, p.count.part, p.count.whole, p.count.rate]
        row += [_change(p.count, previous), kpi]
        if nat is not None:
            n = nat.get(p.on)
            row += [n.rate if n else None, _change(p.count, n)]
        table.rows.append(row)
        table.marks.append("")
        previous = p.count
    # The legend names what the title's brackets name first: 協会全体, 東京支部 …
    own = title[title.index("（") + 1 :].split("と")[0].rstrip("）")
    series = [Series(own, [p.count.rate for p in points])]
    if nat is not None:
        series.append(
            Series("全国", [nat[p.on].rate if p.on in nat else None for p in points], "s2")
        )
    chart = line_chart(
        title=title,
        labels=[_axis(p.on) for p in points],
        series=series,
        kpi=kpis if any(k is not None for k in kpis) else None,
    )
    return Section(table, chart)


def _ranked_section(
    *, key: str, title: str, rows: list[s.RankedRow], headers: tuple[str, str], kpi: Decimal | None
) -> Section:
    table = Table(
        key=key,
        title=title,
        headers=[
            "支部" if "branch" in key else "都道府県",
            headers[0],
            headers[1],
            "率（%）",
            "前月差（ポイント）",
            "上位・下位",
        ],
        note="上位5・下位5は率の高い順・低い順（同率は含める）。前月差は前月末（前月）からの変化量。",
    )
    for r in rows:
        name = r.name if "branch" in key else _prefecture(r.code)
        table.rows.append(
            [name, r.count.part, r.count.whole, r.count.rate, r.change, MARK_LABELS[r.mark]]
        )
        table.marks.append(r.mark)
    ordered = sorted(
        (r for r in rows if r.count.rate is not None),
        key=lambda r: r.count.rate,  # type: ignore[arg-type,return-value]
        reverse=True,
    )
    bars = [
        Bar(
            r.name.removesuffix("支部") if "branch" in key else _prefecture(r.code),
            r.count.rate,
            r.mark,
        )
        for r in ordered
    ]
    return Section(table, bar_chart(title=title, bars=bars, kpi=kpi))


def _prefecture(code: int) -> str:
    from core.prefectures import PREFECTURES

    return dict(PREFECTURES)[code]


def _age_section(
    *, key: str, title: str, bands: list[s.Count], national: list[s.Count] | None = None
) -> Section:
    cols = ["年代", "加入者数", "利用登録者数", "利用登録率（%）"]
    if national is not None:
        cols.append("全国（%）")
    table = Table(key=key, title=title, headers=cols)
    bars: list[Bar] = []
    for i, (label, c) in enumerate(zip(AGE_BANDS, bands, strict=True)):
        row: list[Any] = [label, c.whole, c.part, c.rate]
        bars.append(Bar(label, c.rate, "s1"))
        if national is not None:
            row.append(national[i].rate)
            bars.append(Bar("（全国）", national[i].rate, "s2"))
        table.rows.append(row)
        table.marks.append("")
    return Section(table, bar_chart(title=title, bars=bars))


def _kind_section(*, key: str, title: str, kinds: dict[str, s.Count]) -> Section:
    table = Table(
        key=key, title=title, headers=["資格区分", "加入者数", "利用登録者数", "利用登録率（%）"]
    )
    bars = []
    for kind, label in EligibilityRecord.Kind.choices:
        c = kinds.get(kind, s.Count(0, 0))
        table.rows.append([str(label), c.whole, c.part, c.rate])
        table.marks.append("")
        bars.append(Bar(str(label)[:5], c.rate, "s1"))
    return Section(table, bar_chart(title=title, bars=bars))


def national_page(*, actor: Any, as_of: date | None = None) -> Page:
    """The national page on `as_of` (a date the summary holds; else the latest)."""
    s.require_staff(actor)
    as_of = s.choose_date(as_of)
    page = Page(title="マイナ保険証 利用登録・利用状況（全国）", as_of=as_of)
    branches = list(Branch.objects.order_by("code"))
    if as_of is not None:
        snap = s.snapshot(actor=actor, as_of=as_of)
        before = s.snapshot(actor=actor, as_of=s.previous_month_end(as_of))
        page.headline = snap.total()
        page.headline_change = _change(page.headline, before.total() if before.cells else None)
        reg_targets = s.kpi_targets(metric=Metric.REGISTRATION)
        page.sections += [
            _trend_section(
                key="registration_trend",
                title="利用登録状況の推移（協会全体）",
                points=s.registration_trend(actor=actor),
                headers=("利用登録者数", "加入者数"),
                targets=reg_targets,
                monthly=True,
            ),
            _ranked_section(
                key="registration_by_branch",
                title=f"支部別利用登録率（{format_wareki(as_of)}時点）",
                rows=s.rank(snap.by_branch(), before.by_branch(), branches),
                headers=("利用登録者数", "加入者数"),
                kpi=reg_targets.get(as_of.replace(day=1)),
            ),
            _age_section(
                key="registration_by_age",
                title=f"年代別利用登録率（{format_wareki(as_of)}時点）",
                bands=snap.by_age(),
            ),
            _kind_section(
                key="registration_by_kind",
                title=f"資格区分別利用登録率（{format_wareki(as_of)}時点）",
                kinds=snap.by_kind(),
            ),
        ]
    month = s.latest_usage_month()
    if month is not None:
        page.usage_month = month
        usage = s.usage_trend(actor=actor, scope=UsageScope.ASSOCIATION)
        page.usage_headline = usage[-1].count
        usage_targets = s.kpi_targets(metric=Metric.USAGE)
        page.sections += [
            _trend_section(
                key="usage_trend",
                title="利用状況の推移（協会全体）",
                points=usage,
                headers=("マイナ保険証利用件数", "オンライン資格確認利用件数"),
                targets=usage_targets,
                monthly=True,
            ),
            _ranked_section(
                key="usage_by_branch",
                title=f"支部別利用率（{format_wareki_year_month(month)}）",
                rows=s.usage_ranking(
                    actor=actor, scope=UsageScope.ASSOCIATION, month=month, branches=branches
                ),
                headers=("マイナ保険証利用件数", "オンライン資格確認利用件数"),
                kpi=usage_targets.get(month),
            ),
        ]
    national_month = s.latest_usage_month(UsageScope.NATIONAL)
    if national_month is not None:
        page.sections.append(
            _ranked_section(
                key="usage_by_prefecture",
                title=f"都道府県別利用率・国全体（{format_wareki_year_month(national_month)}）",
                rows=s.usage_ranking(
                    actor=actor, scope=UsageScope.NATIONAL, month=national_month, branches=branches
                ),
                headers=("マイナ保険証利用件数", "オンライン資格確認利用件数"),
                kpi=None,
            )
        )
    return page


def branch_page(*, actor: Any, code: int, as_of: date | None = None) -> Page:
    branch = s.branch_for(actor=actor, code=code)
    as_of = s.choose_date(as_of)
    page = Page(
        title=f"マイナ保険証 利用登録・利用状況（{branch.name}）", as_of=as_of, branch=branch
    )
    if as_of is not None:
        snap = s.snapshot(actor=actor, as_of=as_of)
        before = s.snapshot(actor=actor, as_of=s.previous_month_end(as_of))
        page.headline = snap.total(branch)
        previous = before.total(branch)
        page.headline_change = _change(page.headline, previous if previous.whole else None)
        page.national_rate = snap.total().rate
        page.rank = s.place_of(branch, snap.by_branch())
        page.sections += [
            _trend_section(
                key="registration_trend",
                title=f"利用登録状況の推移（{branch.name}と全国）",
                points=s.registration_trend(actor=actor, branch=branch),
                national=s.registration_trend(actor=actor),
                headers=("利用登録者数", "加入者数"),
                targets=s.kpi_targets(metric=Metric.REGISTRATION, branch=branch),
                monthly=True,
            ),
            _age_section(
                key="registration_by_age",
                title=f"年代別利用登録率（{format_wareki(as_of)}時点、{branch.name}と全国）",
                bands=snap.by_age(branch),
                national=snap.by_age(),
            ),
            _kind_section(
                key="registration_by_kind",
                title=f"資格区分別利用登録率（{format_wareki(as_of)}時点）",
                kinds=snap.by_kind(branch),
            ),
        ]
    usage = s.usage_trend(actor=actor, scope=UsageScope.ASSOCIATION, branch=branch)
    if usage:
        page.usage_month = usage[-1].on
        page.usage_headline = usage[-1].count
        page.sections.append(
            _trend_section(
                key="usage_trend",
                title=f"利用状況の推移（{branch.name}と協会全体）",
                points=usage,
                national=s.usage_trend(actor=actor, scope=UsageScope.ASSOCIATION),
                headers=("マイナ保険証利用件数", "オンライン資格確認利用件数"),
                targets=s.kpi_targets(metric=Metric.USAGE, branch=branch),
                monthly=True,
            )
        )
    return page


@dataclass(slots=True)
class CertificatePreview:
    branch: Branch
    as_of: date | None
    without: int
    by_kind: list[tuple[str, int]]
    by_age: list[tuple[str, int]]

    @property
    def as_of_label(self) -> str:
        return format_wareki(self.as_of) if self.as_of else ""


def certificate_preview(*, actor: Any, code: int) -> CertificatePreview:
    """Members of the branch without マイナ保険証 on the latest summary date: the people a
    資格確認書 mailing must reach (the same figures as the branch page)."""
    branch = s.branch_for(actor=actor, code=code)
    as_of = s.latest_date()
    if as_of is None:
        return CertificatePreview(branch, None, 0, [], [])
    snap = s.snapshot(actor=actor, as_of=as_of)
    total, kinds, bands = snap.total(branch), snap.by_kind(branch), snap.by_age(branch)
    return CertificatePreview(
        branch=branch,
        as_of=as_of,
        without=total.rest,
        by_kind=[
            (str(label), kinds.get(k, s.Count(0, 0)).rest)
            for k, label in EligibilityRecord.Kind.choices
        ],
        by_age=[(label, c.rest) for label, c in zip(AGE_BANDS, bands, strict=True)],
    )
