"""Small server-rendered SVG line charts: no JavaScript, no CDN, readable without colour.

A chart is a list of (time, value) points drawn as a line over a fixed window (the
last :data:`WINDOW_DAYS` days by default). ``step=True`` holds each value until the
next point — right for counts that only change when a sync runs (listed offers,
stock); plain lines suit per-run figures (sync duration). Each chart carries a
``<title>`` and an ``aria-label`` that say the latest value and the range in words,
and a table of the figures sits beside it in the page for screen readers.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from markupsafe import Markup, escape

WINDOW_DAYS = 14
WIDTH, HEIGHT = 640, 180
_LEFT, _RIGHT, _TOP, _BOTTOM = 64, 12, 12, 28


@dataclass(frozen=True)
class Series:
    """One chart's data: ``points`` oldest first, over ``start``..``end``."""

    title: str
    unit: str
    points: Sequence[tuple[datetime, float]]
    start: datetime
    end: datetime
    step: bool = False


def _fmt(value: float) -> str:
    if abs(value) >= 1000 or value == int(value):
        return f"{value:,.0f}"
    return f"{value:.2f}"


def describe(series: Series) -> str:
    """The chart in words: latest value, minimum and maximum over the window."""
    since = f"since {series.start:%Y-%m-%d %H:%M} UTC"
    if not series.points:
        return f"{series.title}: no data {since}"
    values = [v for _, v in series.points]
    return (
        f"{series.title}: now {_fmt(values[-1])} {series.unit}, "
        f"between {_fmt(min(values))} and {_fmt(max(values))} {since}"
    )


def render_chart(series: Series) -> Markup:
    """``series`` as an inline ``<svg>`` element (escaped text, fixed viewBox, scales)."""
    label = describe(series)
    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-label="{escape(label)}">',
        f"<title>{escape(label)}</title>",
    ]
    plot_w, plot_h = WIDTH - _LEFT - _RIGHT, HEIGHT - _TOP - _BOTTOM
    parts.append(
        f'<rect x="{_LEFT}" y="{_TOP}" width="{plot_w}" height="{plot_h}" class="chart-area"/>'
    )
    span = max((series.end - series.start).total_seconds(), 1.0)
    values = [v for _, v in series.points]
    low = 0.0 if not values or min(values) >= 0 else min(values)
    high = max(values) if values else 1.0
    if high <= low:
        high = low + 1.0

    def x(at: datetime) -> float:
        seconds = min(max((at - series.start).total_seconds(), 0.0), span)
        return _LEFT + plot_w * seconds / span

    def y(value: float) -> float:
        return _TOP + plot_h * (1 - (value - low) / (high - low))

    for value in (low, (low + high) / 2, high):
        parts.append(
            f'<line x1="{_LEFT}" x2="{WIDTH - _RIGHT}" y1="{y(value):.1f}" '
            f'y2="{y(value):.1f}" class="chart-grid"/>'
            f'<text x="{_LEFT - 6}" y="{y(value) + 4:.1f}" text-anchor="end" '
            f'class="chart-label">{escape(_fmt(value))}</text>'
        )
    for at, anchor in ((series.start, "start"), (series.end, "end")):
        parts.append(
            f'<text x="{x(at):.1f}" y="{HEIGHT - 8}" text-anchor="{anchor}" '
            f'class="chart-label">{at:%d %b %H:%M}</text>'
        )
    coords = _coords(series, x, y)
    if coords:
        path = " ".join(f"{px:.1f},{py:.1f}" for px, py in coords)
        parts.append(f'<polyline points="{path}" class="chart-line"/>')
        for at, value in series.points[-60:]:
            parts.append(
                f'<circle cx="{x(at):.1f}" cy="{y(value):.1f}" r="2.5" class="chart-dot"/>'
            )
    else:
        parts.append(
            f'<text x="{WIDTH / 2:.0f}" y="{HEIGHT / 2:.0f}" text-anchor="middle" '
            'class="chart-label">no data yet</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def _coords(
    series: Series, fx: Callable[[datetime], float], fy: Callable[[float], float]
) -> list[tuple[float, float]]:
    coords: list[tuple[float, float]] = []
    points = list(series.points)
    for index, (at, value) in enumerate(points):
        if series.step and index > 0:
            coords.append((fx(at), fy(points[index - 1][1])))
        coords.append((fx(at), fy(value)))
    if series.step and points:
        coords.append((fx(series.end), fy(points[-1][1])))
    return coords


def window(end: datetime, days: int = WINDOW_DAYS) -> tuple[datetime, datetime]:
    """The chart window ending at ``end``."""
    return end - timedelta(days=days), end
