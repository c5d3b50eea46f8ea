"""The dashboard's charts: SVG drawn on the server by pygal from plain numbers (no I/O).
Pages embed them as `<img>` data URLs, so no script in an SVG ever runs (pygal writes a
small inline config script into each chart) and the page needs no second request."""

from __future__ import annotations

import base64
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache

import pygal
from pygal.style import Style

from services.gateway.dashboard.panels import SEVERITIES, AreaRow, HealthOverTime, KindRow
from services.gateway.web.words import word
from shared.i18n import Decimal, Language, Plural, Text, english

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
# Health over time: the three bands (light, so the line and the points stand out), the health
# line and its points, then the early warnings.
BANDS = (
    (Text("thriving (0.75 and up)"), 1.0),
    (Text("steady (0.5 to 0.75)"), 0.75),
    (Text("at risk (below 0.5)"), 0.5),
)
HEALTH_STYLE = Style(
    background="white",
    plot_background="white",
    font_family=STYLE.font_family,
    foreground="#333",
    foreground_strong="#222",
    foreground_subtle="#555",
    label_font_size=13,
    major_label_font_size=13,
    legend_font_size=13,
    title_font_size=15,
    value_label_font_size=14,
    colors=("#dcefd7", "#fcefc7", "#f8dcd7", "#1f4e79", "#b3261e"),
    opacity="1",  # each band covers the one above it from 0 up to its own top
    opacity_hover="1",
    stroke_width="2.5",
    stroke_width_hover="2.5",
)
SVG = "http://www.w3.org/2000/svg"
ET.register_namespace("", SVG)
ET.register_namespace("xlink", "http://www.w3.org/1999/xlink")
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


def needs_chart(rows: Sequence[AreaRow], width: int = 900, language: Language | None = None) -> str:
    """Needs per area, stacked by severity."""
    say = language or english()
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
        chart.add(
            say(Text("severity %(n)s", n=severity)),
            [r.by_severity[severity - 1] or None for r in rows],
        )
    svg: str = chart.render(is_unicode=True)
    return svg


def contributions_chart(
    rows: Sequence[KindRow], width: int = 560, language: Language | None = None
) -> str:
    """The estimated value of what was contributed, per kind."""
    say = language or english()
    options = {**_common(), "style": BAR_STYLE}
    chart = pygal.HorizontalBar(**options, width=width, height=220, show_legend=False)
    chart.x_labels = [say(r.label) for r in rows]
    chart.add(say(Text("estimated value")), [r.estimated_value for r in rows])
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


def date_ticks(start: datetime, end: datetime, most: int = 8) -> list[datetime]:
    """Midnights (UTC) between `start` and `end` for the x axis, at most `most`: every day,
    two days, Monday or second Monday, else the first of every month or few months."""
    first = datetime(start.year, start.month, start.day, tzinfo=UTC)
    if first < start:
        first += timedelta(days=1)
    for step in (1, 2, 7, 14):
        at = first + timedelta(days=(-first.weekday()) % 7) if step >= 7 else first
        ticks = []
        while at <= end:
            ticks.append(at)
            at += timedelta(days=step)
        if len(ticks) <= most:
            return ticks
    months = [
        datetime(year, month, 1, tzinfo=UTC)
        for year in range(start.year, end.year + 1)
        for month in range(1, 13)
        if start <= datetime(year, month, 1, tzinfo=UTC) <= end
    ]
    every = -(-len(months) // most)
    return months[::every]


def health_text(h: HealthOverTime, language: Language | None = None) -> str:
    """The chart in words, for screen readers (the SVG's <desc>, the page's table caption)."""
    say = language or english()
    first, last = h.points[0][0], h.until
    values = "; ".join(
        f"{at.date().isoformat()} {say(Decimal(score))} {say(word(label))}"
        for at, score, label in h.points
    )
    now = say(Decimal(h.score))
    label = say(word(h.label)) + (f", {say(word(h.trend))}" if h.trend else "")
    text = say(
        Text(
            "Health of %(name)s from %(first)s to %(last)s (0 to 1; thriving from 0.75, at risk "
            "below 0.5): %(values)s. Now %(score)s, %(label)s.",
            name=h.name,
            first=first.date().isoformat(),
            last=last.date().isoformat(),
            values=values,
            score=now,
            label=label,
        )
    )
    if h.warnings:
        warned = "; ".join(
            say(
                Text(
                    "%(date)s at %(score)s: %(summary)s",
                    date=at.date().isoformat(),
                    score=Decimal(score),
                    summary=summary,
                )
            )
            for at, score, summary in h.warnings
        )
        text += " " + say(Text("Early warnings: %(warnings)s", warnings=warned))
    return text


def health_alt(h: HealthOverTime, language: Language | None = None) -> str:
    """A short text alternative, for a page that lists the values beside the chart."""
    say = language or english()
    warned = (
        say(Plural(", %(num)s early warning", ", %(num)s early warnings", len(h.warnings)))
        if h.warnings
        else ""
    )
    return say(
        Plural(
            "Chart of health over time: %(num)s point from %(first)s to %(last)s, now %(score)s "
            "(%(label)s)%(warned)s. The values are in the table below.",
            "Chart of health over time: %(num)s points from %(first)s to %(last)s, now %(score)s "
            "(%(label)s)%(warned)s. The values are in the table below.",
            len(h.points),
            first=h.points[0][0].date().isoformat(),
            last=h.until.date().isoformat(),
            score=Decimal(h.score),
            label=word(h.label),
            warned=warned,
        )
    )


def health_chart(
    h: HealthOverTime, width: int = 760, height: int = 340, language: Language | None = None
) -> str:
    """Health over time: a dated x axis, 0-1 up the side over the thriving, steady and at-risk
    bands, the score as it stood between its points (a step at each change), a dot per
    point, a red marker per early warning, and the score now labelled at the last point.
    The SVG carries its text alternative (`health_text`) as <title> and <desc>."""
    start = h.points[0][0]
    end = max(h.until, start + timedelta(days=1))  # a width even on the day it formed
    say = language or english()
    title = say(
        Text(
            "%(name)s: health now %(score)s, %(label)s",
            name=h.name,
            score=Decimal(h.score),
            label=word(h.label),
        )
    )
    chart = pygal.DateTimeLine(
        js=[],
        style=HEALTH_STYLE,
        width=width,
        height=height,
        explicit_size=True,
        disable_xml_declaration=True,
        title=title,
        range=(0, 1),
        xrange=(start, end),
        y_labels=[0, 0.25, 0.5, 0.75, 1],
        x_value_formatter=lambda moment: say.day(moment, "MMMd"),
        value_formatter=lambda score: say(Decimal(score)),
        x_label_rotation=0,
        show_x_guides=False,
        legend_at_bottom=True,
        legend_at_bottom_columns=3,
        truncate_legend=-1,
        print_labels=True,
        dots_size=4,
        margin_right=72,  # room for the label of the score now, beside the last point
    )
    chart.x_labels = date_ticks(start, end)
    for name, top in BANDS:
        chart.add(say(name), [(start, top), (end, top)], fill=True, show_dots=False,
                  stroke_style={"width": 0})  # fmt: skip
    steps: list[object] = []
    for i, (at, score, _) in enumerate(h.points):
        if i:  # the score before held until this point: a corner, not a point of its own
            steps.append({"value": (at, h.points[i - 1][1]), "node": {"r": 0}})
        last = i == len(h.points) - 1
        now = say(Text("now %(score)s", score=Decimal(h.score)))
        steps.append({"value": (at, score), "label": now if last else None})
    steps.append({"value": (end, h.points[-1][1]), "node": {"r": 0}})
    chart.add(say(Text("health")), steps)
    warned = [(at, score) for at, score, _ in h.warnings]
    chart.add(say(Text("early warning")), warned, stroke=False, dots_size=7)
    return _accessible(chart.render(is_unicode=True), title, health_text(h, say))


def _accessible(svg: str, title: str, description: str) -> str:
    """The chart as an image a screen reader can read: role="img", a <title> and a <desc>
    it is labelled by; pygal's inline script goes (it never runs where the chart is shown)."""
    root = ET.fromstring(svg)
    for parent in list(root.iter()):
        for child in list(parent):
            if child.tag == f"{{{SVG}}}script":
                parent.remove(child)
    ident = root.get("id", "chart")
    root.set("role", "img")
    root.set("aria-labelledby", f"{ident}-title {ident}-desc")
    desc = ET.Element(f"{{{SVG}}}desc", id=f"{ident}-desc")
    desc.text = description
    name = ET.Element(f"{{{SVG}}}title", id=f"{ident}-title")
    name.text = title
    root.insert(0, desc)
    root.insert(0, name)
    return ET.tostring(root, encoding="unicode")
