"""The dashboard's charts are SVG drawn by pygal on the server, referring to no other host."""

from __future__ import annotations

import base64
import re
from datetime import date

from services.gateway.dashboard import charts, panels

OTHER_HOST = re.compile(r'(?:href|src)="(?:https?:)?//')


def is_self_contained_svg(svg: str) -> bool:
    return (
        svg.lstrip().startswith("<svg")
        and svg.rstrip().endswith("</svg>")
        and not (OTHER_HOST.search(svg))
    )


def test_needs_chart_has_a_bar_series_per_severity_and_a_label_per_area() -> None:
    rows = panels.needs_by_area(
        [{"area": "Westside", "severity": 4}, {"area": "Bethel", "severity": 1}]
    )
    svg = charts.needs_chart(rows)
    assert is_self_contained_svg(svg)
    assert "Westside" in svg and "Bethel" in svg
    assert all(f"severity {s}" in svg for s in panels.SEVERITIES)


def test_contributions_chart_names_every_kind() -> None:
    svg = charts.contributions_chart(panels.contributions_by_kind([]))
    assert is_self_contained_svg(svg)
    assert all(label in svg for label in panels.KIND_LABELS.values())


def test_a_sparkline_draws_one_point_or_a_line() -> None:
    one = charts.sparkline([(date(2026, 3, 1), 0.6)])
    many = charts.sparkline([(date(2026, 3, d), s) for d, s in ((1, 0.4), (8, 0.6), (15, 0.5))])
    assert is_self_contained_svg(one) and is_self_contained_svg(many)
    assert 'class="dot' in one
    assert many.count(" L") + many.count("L") >= 2  # a path through the points


def test_a_data_url_carries_the_svg_itself() -> None:
    url = charts.svg_data_url("<svg>é</svg>")
    assert url.startswith("data:image/svg+xml;base64,")
    assert base64.b64decode(url.split(",", 1)[1]).decode() == "<svg>é</svg>"


def test_count_axes_tick_at_whole_numbers_up_to_the_largest() -> None:
    assert charts._whole_numbers(3) == [0, 1, 2, 3]
    assert charts._whole_numbers(0) == [0]
    assert charts._whole_numbers(23) == [0, 5, 10, 15, 20, 25]


def test_points_of_one_day_keep_their_order() -> None:
    day = date(2026, 3, 1)
    falling = charts.sparkline([(day, 0.9), (day, 0.5), (date(2026, 2, 1), 0.7)])
    assert falling == charts.sparkline([(date(2026, 2, 1), 0.7), (day, 0.9), (day, 0.5)])
    assert falling != charts.sparkline([(date(2026, 2, 1), 0.7), (day, 0.5), (day, 0.9)])
