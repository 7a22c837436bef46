"""The SVG charts: well-formed, escaped, gaps for missing values, the KPI drawn and labelled."""

from __future__ import annotations

from decimal import Decimal
from xml.etree import ElementTree

from myna.charts import Bar, Series, bar_chart, line_chart

SVG = "{http://www.w3.org/2000/svg}"


def test_line_chart_is_valid_svg_with_gaps_and_a_labelled_kpi():
    svg = line_chart(
        title="推移<script>",
        labels=["25/01", "25/02", "25/03", "25/04"],
        series=[Series("協会全体", [Decimal("10.5"), None, Decimal("20"), Decimal("30")])],
        kpi=[None, None, Decimal("50"), Decimal("50")],
    )
    root = ElementTree.fromstring(str(svg))
    assert root.find(f"{SVG}title").text == "推移<script>"  # escaped in the markup
    assert "<script>" not in str(svg)
    polylines = root.findall(f"{SVG}polyline")
    assert len(polylines) == 1  # the gap splits the line; a lone point is only a dot
    assert len(root.findall(f"{SVG}circle")) == 3
    labels = [t.text for t in root.findall(f"{SVG}text") if t.get("class") == "kpi-label"]
    assert labels == ["目標50%"]
    assert "style=" not in str(svg)


def test_bar_chart_draws_one_bar_per_value_and_the_kpi_line():
    svg = bar_chart(
        title="支部別",
        bars=[Bar("東京", Decimal("70"), "top"), Bar("大阪", None), Bar("沖縄", 30, "bottom")],
        kpi=Decimal("50"),
    )
    root = ElementTree.fromstring(str(svg))
    bars = root.findall(f"{SVG}rect")
    assert [b.get("class") for b in bars] == ["bar top", "bar bottom"]
    assert float(bars[0].get("width")) > float(bars[1].get("width"))
    assert len([x for x in root.findall(f"{SVG}line") if x.get("class") == "kpi"]) == 1
