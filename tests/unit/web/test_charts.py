"""SVG charts: described in words, escaped, drawn inside their box."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from irp.web.charts import HEIGHT, WIDTH, Series, describe, render_chart

START = datetime(2026, 11, 1, tzinfo=UTC)
END = START + timedelta(days=14)


def test_a_chart_says_its_latest_value_and_range_in_words() -> None:
    series = Series("Listed offers", "offers", [(START, 10.0), (END, 1500.0)], START, END, True)
    assert describe(series) == (
        "Listed offers: now 1,500 offers, between 10 and 1,500 since 2026-11-01 00:00 UTC"
    )
    svg = str(render_chart(series))
    assert svg.startswith('<svg class="chart" viewBox="0 0 640 180" role="img" aria-label=')
    for x, y in re.findall(r'<circle cx="([\d.]+)" cy="([\d.]+)"', svg):
        assert 0 <= float(x) <= WIDTH and 0 <= float(y) <= HEIGHT


def test_an_empty_chart_says_so_and_a_title_is_escaped() -> None:
    series = Series("<b>Stock</b>", "units", [], START, END)
    svg = str(render_chart(series))
    assert "no data yet" in svg
    assert "<b>" not in svg and "&lt;b&gt;Stock&lt;/b&gt;" in svg
