"""Server-rendered SVG charts: a trend line and horizontal bars.

No JavaScript and no inline style: colours and fonts come from classes in
static/myna/dashboard.css, so the charts work under a strict Content-Security-Policy. Values
are percentages (0–100); a missing value leaves a gap. Every chart is drawn beside its table,
which carries the exact figures.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

Number = Decimal | float | int


@dataclass(frozen=True, slots=True)
class Series:
    name: str
    values: Sequence[Number | None]
    css: str = "s1"


@dataclass(frozen=True, slots=True)
class Bar:
    label: str
    value: Number | None
    css: str = ""


def _scale_max(values: Sequence[Number | None], kpi: Number | None = None) -> float:
    """A round upper bound for the axis: the next multiple of 10 (20 above 50), at most 100."""
    top = max([float(v) for v in values if v is not None] + [float(kpi or 0), 1.0])
    step = 10 if top <= 50 else 20
    return float(min(100, max(10, -(-top // step) * step)))


def _ticks(maximum: float) -> list[float]:
    """Grid lines every 10 % (every 20 % above 50 %)."""
    step = 10 if maximum <= 50 else 20
    return [float(v) for v in range(0, int(maximum) + 1, step)]


def _open(width: int, height: int, title: str, css: str) -> list[str]:
    t = escape(title)
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart {css}" role="img" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" aria-label="{t}">',
        f"<title>{t}</title>",
    ]


def line_chart(
    *,
    title: str,
    labels: Sequence[str],
    series: Sequence[Series],
    kpi: Sequence[Number | None] | None = None,
) -> SafeString:
    """A trend: one polyline per series over the labels; `kpi` a target per label (dashed)."""
    width, height, left, right, top, bottom = 720, 300, 48, 150, 16, 46
    plot_w, plot_h = width - left - right, height - top - bottom
    values = [v for s in series for v in s.values]
    y_max = _scale_max(values, max((float(k) for k in kpi or [] if k is not None), default=0))
    n = max(len(labels), 1)

    def x(i: int) -> float:
        return left + (plot_w * (i + 0.5) / n)

    def y(v: Number) -> float:
        return top + plot_h * (1 - float(v) / y_max)

    out = _open(width, height, title, "line")
    for v in _ticks(y_max):
        out.append(
            f'<line class="grid" x1="{left}" x2="{left + plot_w}" y1="{y(v):.1f}" y2="{y(v):.1f}"/>'
            f'<text class="axis" x="{left - 6}" y="{y(v) + 4:.1f}" '
            f'text-anchor="end">{v:.0f}%</text>'
        )
    every = max(1, -(-n // 12))
    for i, label in enumerate(labels):
        if i % every == 0 or (i == n - 1 and i % every > every // 2):
            out.append(
                f'<text class="axis" x="{x(i):.1f}" y="{height - bottom + 16}" '
                f'text-anchor="middle">{escape(label)}</text>'
            )
    if kpi:
        for i, k in enumerate(kpi):
            if k is None:
                continue
            out.append(
                f'<line class="kpi" x1="{x(i) - plot_w / n / 2:.1f}" '
                f'x2="{x(i) + plot_w / n / 2:.1f}" y1="{y(k):.1f}" y2="{y(k):.1f}"/>'
            )
            if i == 0 or kpi[i - 1] != k:  # label where a target starts or changes
                out.append(
                    f'<text class="kpi-label" x="{x(i):.1f}" y="{y(k) - 5:.1f}" '
                    f'text-anchor="middle">目標{float(k):g}%</text>'
                )
    for s_index, s in enumerate(series):
        runs: list[list[str]] = [[]]
        for i, v in enumerate(s.values):
            if v is None:
                runs.append([])
            else:
                runs[-1].append(f"{x(i):.1f},{y(v):.1f}")
        for run in runs:
            if len(run) > 1:
                out.append(f'<polyline class="series {s.css}" points="{" ".join(run)}"/>')
            for point in run:
                px, py = point.split(",")
                out.append(f'<circle class="dot {s.css}" cx="{px}" cy="{py}" r="2.5"/>')
        ly = top + 14 + 18 * s_index
        out.append(
            f'<line class="series {s.css}" x1="{width - right + 12}" x2="{width - right + 32}" '
            f'y1="{ly - 4}" y2="{ly - 4}"/><text class="legend" x="{width - right + 38}" '
            f'y="{ly}">{escape(s.name)}</text>'
        )
    if kpi and any(k is not None for k in kpi):
        ly = top + 14 + 18 * len(series)
        out.append(
            f'<line class="kpi" x1="{width - right + 12}" x2="{width - right + 32}" '
            f'y1="{ly - 4}" y2="{ly - 4}"/><text class="legend" x="{width - right + 38}" '
            f'y="{ly}">KPI（目標）</text>'
        )
    out.append("</svg>")
    return mark_safe("".join(out))  # every text above is escaped


def bar_chart(
    *, title: str, bars: Sequence[Bar], kpi: Number | None = None, reference: Number | None = None
) -> SafeString:
    """Horizontal bars, one per label, in the order given; `kpi` a dashed target line,
    `reference` a solid line (the national rate on a branch's chart)."""
    row, left, right, top, bottom = 16, 88, 56, 8, 24
    width = 520
    height = top + bottom + row * max(len(bars), 1)
    plot_w = width - left - right
    x_max = _scale_max([b.value for b in bars], kpi)

    def x(v: Number) -> float:
        return left + plot_w * float(v) / x_max

    out = _open(width, height, title, "bars")
    for v in _ticks(x_max):
        out.append(
            f'<line class="grid" x1="{x(v):.1f}" x2="{x(v):.1f}" y1="{top}" '
            f'y2="{height - bottom}"/><text class="axis" x="{x(v):.1f}" '
            f'y="{height - bottom + 14}" text-anchor="middle">{v:.0f}%</text>'
        )
    for i, bar in enumerate(bars):
        by = top + row * i
        out.append(
            f'<text class="label" x="{left - 6}" y="{by + row - 4}" '
            f'text-anchor="end">{escape(bar.label)}</text>'
        )
        if bar.value is None:
            continue
        w = x(bar.value) - left
        out.append(
            f'<rect class="bar {escape(bar.css)}" x="{left}" y="{by + 2}" width="{w:.1f}" '
            f'height="{row - 4}"/><text class="value" x="{left + w + 4:.1f}" '
            f'y="{by + row - 4}">{float(bar.value):.1f}</text>'
        )
    for value, css in ((reference, "reference"), (kpi, "kpi")):
        if value is not None:
            out.append(
                f'<line class="{css}" x1="{x(value):.1f}" x2="{x(value):.1f}" y1="{top}" '
                f'y2="{height - bottom}"/>'
            )
    out.append("</svg>")
    return mark_safe("".join(out))  # every text above is escaped
