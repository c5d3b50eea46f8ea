"""`commonweave traces`: read the spans the services wrote to `<dir>/<service>.jsonl` (the file
exporter in `shared.telemetry`), list recent traces and draw one trace as a waterfall."""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any, NamedTuple

import typer
from pydantic import BaseModel, ConfigDict, ValidationError
from rich.console import Console
from rich.table import Table
from rich.text import Text

NS_PER_MS = 1_000_000
KNOWN_SERVICES = ("gateway", "intake", "matching", "commitments", "notifications")
PALETTE = ("cyan", "green", "magenta", "yellow", "blue", "bright_cyan", "bright_green")


class Span(BaseModel):
    """One line of a `<service>.jsonl` file; `start` and `end` are Unix nanoseconds."""

    model_config = ConfigDict(frozen=True)

    trace_id: str
    span_id: str
    parent_id: str | None = None
    name: str
    service: str
    kind: str = "INTERNAL"  # SERVER | CLIENT | PRODUCER | CONSUMER | INTERNAL
    start: int
    end: int
    status: str = "UNSET"  # UNSET | OK | ERROR
    attributes: dict[str, Any] = {}

    @property
    def duration_ms(self) -> float:
        return (self.end - self.start) / NS_PER_MS

    @property
    def error(self) -> bool:
        return self.status == "ERROR"


class SpanLoad(NamedTuple):
    spans: list[Span]
    skipped: int  # non-blank lines that are not a span (e.g. a half-written last line)


@dataclass(frozen=True)
class TraceSummary:
    trace_id: str
    root_name: str
    start: int  # Unix ns of the earliest span
    duration_ms: float  # earliest start to latest end
    span_count: int
    services: tuple[str, ...]  # in order of first appearance in time
    error: bool


class TreeRow(NamedTuple):
    depth: int
    span: Span
    orphan: bool  # its parent is not among the spans (not exported yet, or lost)


def scan_spans(directory: Path, trace_prefix: str = "") -> SpanLoad:
    """The spans in `directory/*.jsonl`, streamed line by line. With `trace_prefix`, only spans
    of traces whose id starts with it; other lines are not even parsed (nor counted)."""
    prefix = trace_prefix.strip().lower()
    spans: list[Span] = []
    skipped = 0
    for path in sorted(directory.glob("*.jsonl")):
        with path.open("rb") as lines:
            for line in lines:
                if not line.strip() or prefix.encode() not in line:
                    continue
                try:
                    span = Span.model_validate_json(line)
                except ValidationError:
                    skipped += 1
                    continue
                if span.trace_id.startswith(prefix):
                    spans.append(span)
    return SpanLoad(spans, skipped)


def load_spans(directory: Path) -> list[Span]:
    return scan_spans(directory).spans


def _by_start(spans: Iterable[Span]) -> list[Span]:
    return sorted(spans, key=lambda s: (s.start, s.span_id))


def _roots(spans: Sequence[Span]) -> list[Span]:
    ids = {s.span_id for s in spans}
    return _by_start(s for s in spans if s.parent_id is None or s.parent_id not in ids)


def group_traces(spans: Iterable[Span]) -> list[TraceSummary]:
    """One summary per trace id, newest first."""
    traces: dict[str, list[Span]] = {}
    for span in spans:
        traces.setdefault(span.trace_id, []).append(span)
    summaries = []
    for trace_id, members in traces.items():
        ordered, roots = _by_start(members), _roots(members)
        start, end = ordered[0].start, max(s.end for s in ordered)
        services = tuple(dict.fromkeys(s.service for s in ordered))
        duration_ms, error = (end - start) / NS_PER_MS, any(s.error for s in ordered)
        root = (roots or ordered)[0].name
        summaries.append(
            TraceSummary(trace_id, root, start, duration_ms, len(ordered), services, error)
        )
    return sorted(summaries, key=lambda t: (t.start, t.trace_id), reverse=True)


def build_tree(spans: Sequence[Span]) -> list[TreeRow]:
    """Depth-first rows of one trace, siblings by start. Spans whose parent is missing sit at
    depth 0 flagged as orphans; so does the earliest span of a parent cycle (bad data)."""
    children: dict[str | None, list[Span]] = {}
    for span in spans:
        children.setdefault(span.parent_id, []).append(span)
    rows: list[TreeRow] = []
    seen: set[int] = set()
    for top in [*_roots(spans), *_by_start(spans)]:
        stack = [(0, top)]
        while stack:
            depth, span = stack.pop()
            if id(span) not in seen:
                seen.add(id(span))
                rows.append(TreeRow(depth, span, depth == 0 and span.parent_id is not None))
                kids = _by_start(children.get(span.span_id, []))
                stack.extend((depth + 1, kid) for kid in reversed(kids))
    return rows


def find_trace(spans: Iterable[Span], prefix: str) -> list[Span]:
    """The spans of the one trace whose id starts with `prefix`; `LookupError` otherwise."""
    wanted = prefix.strip().lower()
    matches: dict[str, list[Span]] = {}
    for span in spans:
        if span.trace_id.startswith(wanted):
            matches.setdefault(span.trace_id, []).append(span)
    if len(matches) == 1:
        return next(iter(matches.values()))
    if not matches:
        raise LookupError(f"no trace id starts with {prefix!r}")
    ids = ", ".join(sorted(matches)[:3]) + (", ..." if len(matches) > 3 else "")
    raise LookupError(f"{prefix!r} matches {len(matches)} traces ({ids}); give more characters")


def _colours(services: Iterable[str]) -> dict[str, str]:
    order = list(dict.fromkeys([*KNOWN_SERVICES, *services]))
    return {service: PALETTE[i % len(PALETTE)] for i, service in enumerate(order)}


def _started(ns: int) -> str:
    started = datetime.fromtimestamp(ns / 1e9)
    return started.strftime("%H:%M:%S" if started.date() == date.today() else "%m-%d %H:%M")


def render_trace_list(summaries: Sequence[TraceSummary], console: Console) -> None:
    colours = _colours(s for t in summaries for s in t.services)
    table = Table(title="Recent traces, newest first", title_justify="left", show_edge=False)
    for header in ("trace id", "started", "duration", "spans"):
        table.add_column(
            header, no_wrap=True, justify="right" if header in ("duration", "spans") else "left"
        )
    table.add_column("services")
    table.add_column("root")
    for t in summaries:
        style = "red" if t.error else ""
        table.add_row(
            Text(t.trace_id[:16], style=style or "bold"),
            _started(t.start),
            f"{t.duration_ms:.1f} ms",
            str(t.span_count),
            Text(", ").join(Text(s, style=colours[s]) for s in t.services),
            Text(("✗ " if t.error else "") + t.root_name, style=style),
        )
    console.print(table)


def render_waterfall(spans: Sequence[Span], console: Console, width: int | None = None) -> None:
    """One row per span: indented name, service, a bar on the trace's time axis (`width`
    cells; by default what the console has left), duration in ms. Errors are red."""
    (summary,) = group_traces(spans)  # exactly one trace
    rows = build_tree(spans)
    t0, total = summary.start, max(max(s.end for s in spans) - summary.start, 1)
    colours = _colours(summary.services)
    names = ["  " * r.depth + r.span.name + (" (orphan)" if r.orphan else "") for r in rows]
    service_w = max(len(s) for s in summary.services)
    ms_w = max(len(f"{s.duration_ms:.1f}") for s in spans)
    room = console.width - 13 - service_w - ms_w  # 5 borders, 4 x 2 padding
    bar_w = width or max(20, min(100, room - max(len(n) for n in names)))
    table = Table(
        title=f"trace {summary.trace_id} · {summary.root_name} · "
        f"{summary.duration_ms:.1f} ms · {summary.span_count} spans",
        title_justify="left",
    )
    table.add_column("span", no_wrap=True, overflow="ellipsis", max_width=max(12, room - bar_w))
    table.add_column("service", no_wrap=True, min_width=service_w)
    table.add_column(f"0 → {summary.duration_ms:.1f} ms", no_wrap=True, min_width=bar_w)
    table.add_column("ms", justify="right", no_wrap=True, min_width=ms_w)
    for (_, span, orphan), name in zip(rows, names, strict=True):
        style = "red" if span.error else colours[span.service]
        offset = min(bar_w - 1, (span.start - t0) * bar_w // total)
        length = max(1, min(bar_w - offset, round((span.end - span.start) * bar_w / total)))
        label = Text(name.removesuffix(" (orphan)"), style="red" if span.error else "")
        if orphan:
            label.append(" (orphan)", style="dim")
        table.add_row(
            label,
            Text(span.service, style=colours[span.service]),
            Text(" " * offset) + Text("█" * length, style=style),
            Text(f"{span.duration_ms:.1f}", style="red" if span.error else ""),
        )
    console.print(table)


def default_trace_dir() -> Path:
    if explicit := os.environ.get("COMMONWEAVE_TRACE_DIR"):
        return Path(explicit)
    return Path(os.environ.get("COMMONWEAVE_DATA_DIR") or ".data") / "traces"


traces_app = typer.Typer(help="Recent traces, or one as a waterfall.", subcommand_metavar="")
TraceId = Annotated[str | None, typer.Argument(metavar="TRACE_ID", help="Trace id or prefix")]
INTERSPERSED = {"allow_interspersed_args": True}
DIR_HELP = "Span files' directory; default $COMMONWEAVE_TRACE_DIR, else .data/traces"
Directory = Annotated[Path | None, typer.Option("--dir", help=DIR_HELP, show_default=False)]


# Options may follow the trace id (`traces 4bf9 --dir x`): a group stops parsing at its argument.
@traces_app.callback(invoke_without_command=True, context_settings=INTERSPERSED)
def traces(
    trace_id: TraceId = None,
    limit: Annotated[int, typer.Option(min=1, help="How many recent traces to list")] = 20,
    directory: Directory = None,
) -> None:
    """List the most recent traces, or draw the one whose id starts with TRACE_ID."""
    out, err = Console(), Console(stderr=True)
    directory = directory or default_trace_dir()
    files = sorted(directory.glob("*.jsonl")) if directory.is_dir() else []
    loaded = scan_spans(directory, trace_id or "")
    if not any(f.stat().st_size for f in files) or (trace_id is None and not loaded.spans):
        out.print(
            f"no traces yet in {directory} — run the stack with COMMONWEAVE_TELEMETRY_EXPORTER=file"
        )
        return
    if trace_id is not None:
        try:
            render_waterfall(find_trace(loaded.spans, trace_id), out)
        except LookupError as error:
            err.print(f"[red]error:[/] {error} (traces read from {directory})")
            raise typer.Exit(1) from None
    else:
        summaries = group_traces(loaded.spans)
        render_trace_list(summaries[:limit], out)
        if len(summaries) > limit:
            out.print(f"[dim]{limit} of {len(summaries)} traces shown; --limit N for more[/]")
    if loaded.skipped:
        out.print(f"[dim]{loaded.skipped} unreadable line(s) skipped[/]")
