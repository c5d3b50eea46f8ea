"""The dashboard's charts are SVG drawn by pygal on the server, referring to no other host."""

from __future__ import annotations

import base64
import re
from datetime import UTC, date, datetime, timedelta
from xml.etree import ElementTree

from services.gateway.dashboard import charts, panels
from services.gateway.dashboard.charts import SVG
from shared.i18n import Catalogs, english

SPANISH = Catalogs.load().get("es")

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
    assert all(english()(label) in svg for label in panels.KIND_LABELS.values())
    spanish = charts.contributions_chart(panels.contributions_by_kind([]), language=SPANISH)
    assert "Horas de voluntariado" in spanish and "valor estimado" in spanish


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


FORMED = datetime(2026, 9, 7, 15, tzinfo=UTC)


def quarter() -> panels.HealthOverTime:
    days = ((0, 0.5, "new"), (3, 0.8, "thriving"), (20, 0.72, "steady"), (40, 0.6, "steady"),
            (55, 0.45, "at risk"), (70, 0.67, "steady"))  # fmt: skip
    return panels.HealthOverTime(
        "Westside School Recycling",
        0.67,
        "steady",
        "IMPROVING",
        tuple((FORMED + timedelta(days=d), s, label) for d, s, label in days),
        ((FORMED + timedelta(days=55), 0.45, "Health is at risk (0.60 → 0.45)."),),
        FORMED + timedelta(days=84),
    )


def test_the_health_chart_is_dated_banded_and_labelled() -> None:
    svg = charts.health_chart(quarter())
    assert is_self_contained_svg(svg) and "<script" not in svg
    root = ElementTree.fromstring(svg)
    labels = [t.text for t in root.iter(f"{{{SVG}}}text")]
    # dated x axis, every other Monday across the quarter; 0-1 up the side
    assert [t for t in labels if t and t[:3] in ("Sep", "Oct", "Nov")] == [
        "Sep 14",
        "Sep 28",
        "Oct 12",
        "Oct 26",
        "Nov 9",
        "Nov 23",
    ]
    assert {"0.00", "0.25", "0.50", "0.75", "1.00"} <= set(labels)
    # the three bands are named, the score now is labelled, and so is the chart
    assert {"thriving (0.75 and up)", "steady (0.5 to 0.75)", "at risk (below 0.5)"} <= set(labels)
    assert "now 0.67" in labels
    assert "Westside School Recycling: health now 0.67, steady" in labels
    # a dot per point (the corners of the steps are drawn with no radius), a warning marker
    dots = [c for c in root.iter(f"{{{SVG}}}circle") if "dot" in (c.get("class") or "")]
    radii = [float(c.get("r") or 0) for c in dots]
    assert radii.count(4) == 6 and radii.count(7) == 1


def test_the_health_chart_reads_aloud_with_every_value_and_warning() -> None:
    svg = charts.health_chart(quarter())
    root = ElementTree.fromstring(svg)
    assert root.get("role") == "img"
    title, desc = root[0], root[1]
    assert title.tag == f"{{{SVG}}}title" and desc.tag == f"{{{SVG}}}desc"
    assert root.get("aria-labelledby") == f"{title.get('id')} {desc.get('id')}"
    text = desc.text or ""
    assert text == charts.health_text(quarter())
    assert "2026-09-07 0.50 new; 2026-09-10 0.80 thriving" in text
    assert "Now 0.67, steady, improving." in text
    assert "Early warnings: 2026-11-01 at 0.45: Health is at risk (0.60 → 0.45)." in text


def test_a_partnership_formed_today_is_a_point_on_a_days_width() -> None:
    new = panels.HealthOverTime("New", 0.5, "new", None, ((FORMED, 0.5, "new"),), (), FORMED)
    svg = charts.health_chart(new)
    assert is_self_contained_svg(svg) and "now 0.50" in svg
    assert "1 point from 2026-09-07 to 2026-09-07, now 0.50 (new)" in charts.health_alt(new)
    assert "1 punto del 2026-09-07 al 2026-09-07, ahora 0,50 (nueva)" in charts.health_alt(
        new, SPANISH
    )
    assert "ahora 0,50" in charts.health_chart(new, language=SPANISH)


def test_date_ticks_are_few_and_on_round_days() -> None:
    start = datetime(2026, 3, 2, 9, tzinfo=UTC)  # a Monday, after midnight
    days = charts.date_ticks(start, start + timedelta(days=5))
    assert [d.day for d in days] == [3, 4, 5, 6, 7]
    weekly = charts.date_ticks(start, start + timedelta(days=40))
    assert [d.day for d in weekly] == [9, 16, 23, 30, 6] and len(weekly) <= 8
    monthly = charts.date_ticks(start, start + timedelta(days=400))
    assert all(d.day == 1 for d in monthly) and 1 < len(monthly) <= 8
