"""The dashboard's charts: SVG drawn on the server by pygal from plain numbers (no I/O).
Pages embed them as `<img>` data URLs, so no script in an SVG ever runs (pygal writes a
small inline config script into each chart) and the page needs no second request."""

from __future__ import annotations

import base64
from collections.abc import Sequence
from datetime import date
from functools import lru_cache

import pygal
from pygal.style import Style

from services.gateway.dashboard.panels import SEVERITIES, AreaRow, KindRow

STYLE = Style(
    background="transparent",
    plot_background="transparent",
    font_family="DejaVu Sans, Helvetica, Arial, sans-serif",
    foreground="#333",
    foreground_strong="#222",
    foreground_subtle="#666",
    # severity 1 (pale) to 5 (deep red)
    label_font_size=13,
    major_label_font_size=13,
    legend_font_size=13,
    colors=("#f3d9a4", "#f0b66e", "#e48646", "#cc5a35", "#9e2a2b"),
)
BAR_STYLE = Style(
    background="transparent",
    plot_background="transparent",
    font_family=STYLE.font_family,
    label_font_size=13,
    major_label_font_size=13,
    colors=("#2b6a9e",),
)
SPARK_STYLE = Style(background="transparent", plot_background="transparent", colors=("#2b6a9e",))


def _common() -> dict[str, object]:
    # js=[]: no script is fetched from anywhere (the default points at a CDN).
    return {"style": STYLE, "js": [], "disable_xml_declaration": True, "explicit_size": True}


def svg_data_url(svg: str) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()


def _whole_numbers(top: float) -> list[int]:
    """Axis ticks at whole numbers (counts), about five of them."""
    step = max(1, round(top / 5))
    return list(range(0, -(-int(top) // step) * step + 1, step))


def needs_chart(rows: Sequence[AreaRow], width: int = 900) -> str:
    """Needs per area, stacked by severity."""
    chart = pygal.HorizontalStackedBar(
        **_common(),
        width=width,
        height=max(160, 60 + 28 * len(rows)),
        legend_at_bottom=True,
        legend_at_bottom_columns=5,
        print_values=False,
    )
    chart.x_labels = [r.area for r in rows]
    chart.y_labels = _whole_numbers(max((r.total for r in rows), default=0))
    for severity in SEVERITIES:
        chart.add(f"severity {severity}", [r.by_severity[severity - 1] or None for r in rows])
    svg: str = chart.render(is_unicode=True)
    return svg


def contributions_chart(rows: Sequence[KindRow], width: int = 560) -> str:
    """The estimated value of what was contributed, per kind."""
    options = {**_common(), "style": BAR_STYLE}
    chart = pygal.HorizontalBar(**options, width=width, height=220, show_legend=False)
    chart.x_labels = [r.label for r in rows]
    chart.add("estimated value", [r.estimated_value for r in rows])
    svg: str = chart.render(is_unicode=True)
    return svg


def sparkline(points: Sequence[tuple[date, float]], width: int = 140, height: int = 32) -> str:
    """Health (0-1) over time as a sparkline: one step per point, in date order (points of
    one day keep their order: a day can see several changes); a single point is a dot.
    Remembered by its points: a page of partnerships draws mostly the ones it drew before."""
    return _sparkline(
        tuple(score for _, score in sorted(points, key=lambda p: p[0])), width, height
    )


@lru_cache(maxsize=2048)
def _sparkline(scores: tuple[float, ...], width: int, height: int) -> str:
    chart = pygal.Line(js=[], style=SPARK_STYLE, range=(0, 1), disable_xml_declaration=True)
    chart.add("health", list(scores))
    svg: str | bytes = chart.render_sparkline(
        width=width, height=height, show_dots=len(scores) == 1, dots_size=3
    )
    return svg.decode() if isinstance(svg, bytes) else svg
