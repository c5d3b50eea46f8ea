"""`commonweave traces`: read the spans the services wrote to `<dir>/<service>.jsonl` (the file
exporter in `shared.telemetry`), list recent traces and draw one trace as a waterfall with each
span's key attributes and, beside the spans, the trace's log lines (the services' JSON logs in
`<data dir>/logs/<service>.log`, see `shared.logs`).

The list leaves out background traces by default: a single span that no request or event
started (a poller's query, a health probe), which would otherwise push a user's action off the
list within seconds. `--all` shows them."""

from __future__ import annotations

import ast
import os
import re
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
STARTED = ("SERVER", "CONSUMER")  # spans of work a request or an event asked for
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
    status_message: str | None = None
    exception: str | None = None  # `Type: message` of the last exception recorded
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
    names: frozenset[str] = frozenset()  # every span's name
    background: bool = False  # one span that nothing started: a poller's query, a probe


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
        top = (roots or ordered)[0]
        background = len(ordered) == 1 and top.parent_id is None and top.kind not in STARTED
        summaries.append(
            TraceSummary(
                trace_id,
                top.name,
                start,
                duration_ms,
                len(ordered),
                services,
                error,
                frozenset(s.name for s in ordered),
                background,
            )
        )
    return sorted(summaries, key=lambda t: (t.start, t.trace_id), reverse=True)


@dataclass(frozen=True)
class TraceFilter:
    """Which traces the list shows: all given conditions hold."""

    operation: str = ""  # a span's name contains it (case-insensitive)
    service: str = ""  # a span of this service
    min_ms: float = 0.0  # at least this long
    errors: bool = False  # only traces with an error
    background: bool = False  # background single-span traces too

    def admits(self, trace: TraceSummary) -> bool:
        operation, service = self.operation.strip().lower(), self.service.strip().lower()
        return (
            (self.background or not trace.background)
            and (not operation or any(operation in name.lower() for name in trace.names))
            and (not service or service in (s.lower() for s in trace.services))
            and trace.duration_ms >= self.min_ms
            and (trace.error or not self.errors)
        )


def filter_traces(summaries: Iterable[TraceSummary], wanted: TraceFilter) -> list[TraceSummary]:
    return [t for t in summaries if wanted.admits(t)]


ORGANIZATION_ID = re.compile(r"\borg_[0-9A-Za-z]+")
BYTES_REPR = re.compile(r"""^b(['"]).*\1$""", re.DOTALL)
KAFKA_KEY = "messaging.kafka.message.key"
EVENT_TYPE_ATTRIBUTES = ("messaging.destination.name", "messaging.destination_publish.name")
# where an organization id may sit: the Kafka key, the URL of an HTTP span
ID_ATTRIBUTES = (KAFKA_KEY, "url.path", "url.full", "url.query")


def as_text(value: Any) -> str:
    """An attribute as text; a Kafka key written as `b'org_1'` (spans exported before keys
    were decoded) becomes `org_1`."""
    text = str(value)
    if BYTES_REPR.match(text):
        try:
            raw = ast.literal_eval(text)
        except (ValueError, SyntaxError):
            return text
        if isinstance(raw, bytes):
            return raw.decode("utf-8", errors="backslashreplace")
    return text


def error_text(span: Span) -> str | None:
    """What went wrong in a span, if anything did: the exception, the status message, the
    `error.type` attribute (a MongoDB or transport error), or an HTTP error status."""
    status_code = span.attributes.get("http.response.status_code")
    http_error = (
        f"HTTP {status_code}" if isinstance(status_code, int) and status_code >= 400 else None
    )
    error_type = span.attributes.get("error.type")
    text = span.exception or span.status_message or (error_type and str(error_type)) or http_error
    return text if text or not span.error else "error"


def key_attributes(span: Span) -> list[tuple[str, str]]:
    """The attributes worth a glance, most telling first: the error, the organization, the
    event type (unless the span's name already says it), the Kafka key when it is not the
    organization, and the collection of a MongoDB span."""
    pairs: list[tuple[str, str]] = []
    if error := error_text(span):
        pairs.append(("error", error))
    texts = {
        name: as_text(span.attributes[name]) for name in ID_ATTRIBUTES if name in span.attributes
    }
    organizations = dict.fromkeys(m for t in texts.values() for m in ORGANIZATION_ID.findall(t))
    pairs += [("org", org) for org in organizations]
    for name in EVENT_TYPE_ATTRIBUTES:
        if event := span.attributes.get(name):
            if not span.name.startswith(str(event)):
                pairs.append(("event", str(event)))
            break
    if (key := texts.get(KAFKA_KEY)) and key not in organizations:
        pairs.append(("key", key))
    if collection := span.attributes.get("db.collection.name"):
        pairs.append(("collection", str(collection)))
    return pairs


class LogLine(BaseModel):
    """One line of a service's JSON log (`shared.logs`)."""

    time: datetime
    level: str = "INFO"
    service: str = ""
    logger: str = ""
    message: str = ""
    trace_id: str | None = None
    span_id: str | None = None
    exception: str | None = None

    @property
    def ns(self) -> int:
        return int(self.time.timestamp() * 1e9)


def scan_logs(directory: Path, trace_id: str) -> list[LogLine]:
    """The log lines of one trace from `directory/*.log`, oldest first. Lines that are not JSON
    (a server's banner, a log written with `COMMONWEAVE_LOG_FORMAT=text`) are passed over."""
    wanted = trace_id.lower()
    found: list[LogLine] = []
    for path in sorted(directory.glob("*.log")) if directory.is_dir() else []:
        with path.open("rb") as lines:
            for line in lines:
                if wanted.encode() not in line:
                    continue
                try:
                    log = LogLine.model_validate_json(line)
                except ValidationError:
                    continue
                if log.trace_id == wanted:
                    found.append(
                        log if log.service else log.model_copy(update={"service": path.stem})
                    )
    return sorted(found, key=lambda log: log.ns)


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
    return matches[_one_trace(sorted(matches), prefix)]


def _one_trace(trace_ids: Sequence[str], prefix: str) -> str:
    """The one id of `trace_ids` (those starting with `prefix`); `LookupError` otherwise."""
    if len(trace_ids) == 1:
        return trace_ids[0]
    if not trace_ids:
        raise LookupError(f"no trace id starts with {prefix!r}")
    ids = ", ".join(trace_ids[:3]) + (", ..." if len(trace_ids) > 3 else "")
    raise LookupError(f"{prefix!r} matches {len(trace_ids)} traces ({ids}); give more characters")


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


def _details(span: Span, log_count: int) -> Text:
    text = Text()
    pairs = key_attributes(span)
    if log_count:  # after the error, before what may be cut off
        pairs.insert(1 if pairs and pairs[0][0] == "error" else 0, ("logs", str(log_count)))
    for label, value in pairs:
        if text:
            text.append("  ")
        text.append(f"{label}=", style="dim")
        text.append(value, style="red" if label == "error" else "")
    return text


def render_waterfall(
    spans: Sequence[Span],
    console: Console,
    width: int | None = None,
    logs: Sequence[LogLine] = (),
) -> None:
    """One row per span: indented name, service, a bar on the trace's time axis (`width`
    cells; by default what the console has left), duration in ms and the span's key
    attributes. Errors are red. Then the trace's log lines, if `logs` has any."""
    (summary,) = group_traces(spans)  # exactly one trace
    rows = build_tree(spans)
    t0, total = summary.start, max(max(s.end for s in spans) - summary.start, 1)
    colours = _colours(summary.services)
    names = ["  " * r.depth + r.span.name + (" (orphan)" if r.orphan else "") for r in rows]
    logs_per_span: dict[str | None, int] = {}
    for log in logs:
        logs_per_span[log.span_id] = logs_per_span.get(log.span_id, 0) + 1
    details = [_details(r.span, logs_per_span.get(r.span.span_id, 0)) for r in rows]
    service_w = max(len(s) for s in summary.services)
    ms_w = max(len(f"{s.duration_ms:.1f}") for s in spans)
    names_w, fixed = max(len(n) for n in names), 16 + service_w + ms_w  # 6 borders, 5 x 2 padding
    # the attributes get what the names and a 30-cell bar leave, at least 20 cells
    details_w = min(max(len(d) for d in details), max(20, console.width - fixed - names_w - 30))
    room = console.width - fixed - details_w
    bar_w = width or max(20, min(100, room - names_w))
    table = Table(
        title=f"trace {summary.trace_id} · {summary.root_name} · "
        f"{summary.duration_ms:.1f} ms · {summary.span_count} spans",
        title_justify="left",
    )
    table.add_column("span", no_wrap=True, overflow="ellipsis", max_width=max(12, room - bar_w))
    table.add_column("service", no_wrap=True, min_width=service_w)
    table.add_column(f"0 → {summary.duration_ms:.1f} ms", no_wrap=True, min_width=bar_w)
    table.add_column("ms", justify="right", no_wrap=True, min_width=ms_w)
    table.add_column("attributes", no_wrap=True, overflow="ellipsis", max_width=max(details_w, 10))
    for (_, span, orphan), name, detail in zip(rows, names, details, strict=True):
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
            detail,
        )
    console.print(table)
    if logs:
        render_logs(spans, logs, console)


LEVEL_STYLES = {"WARNING": "yellow", "ERROR": "red", "CRITICAL": "bold red", "DEBUG": "dim"}


def render_logs(spans: Sequence[Span], logs: Sequence[LogLine], console: Console) -> None:
    """The trace's log lines in time order: when (ms after the trace began), where (service
    and span) and what; a logged exception's last line follows its message."""
    t0 = min(s.start for s in spans)
    span_names = {s.span_id: s.name for s in spans}
    colours = _colours([*(s.service for s in spans), *(log.service for log in logs)])
    table = Table(title="logs of this trace", title_justify="left", show_edge=False)
    table.add_column("ms", justify="right", no_wrap=True)
    table.add_column("service", no_wrap=True)
    table.add_column("level", no_wrap=True)
    table.add_column("span", no_wrap=True, overflow="ellipsis", max_width=32)
    table.add_column("message", overflow="fold")
    for log in logs:
        message = Text(log.message)
        if log.exception:
            last = log.exception.strip().splitlines()[-1]
            message.append(f"\n{last}", style="red")
        table.add_row(
            f"{(log.ns - t0) / NS_PER_MS:+.1f}",
            Text(log.service, style=colours[log.service]),
            Text(log.level, style=LEVEL_STYLES.get(log.level, "")),
            span_names.get(log.span_id or "", "?"),
            message,
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
LOGS_HELP = "The services' log files; default the logs directory beside the span files'"
LogsDir = Annotated[Path | None, typer.Option("--logs-dir", help=LOGS_HELP, show_default=False)]
FILTERS = "Filters of the list"


# Options may follow the trace id (`traces 4bf9 --dir x`): a group stops parsing at its argument.
@traces_app.callback(invoke_without_command=True, context_settings=INTERSPERSED)
def traces(
    trace_id: TraceId = None,
    limit: Annotated[int, typer.Option(min=1, help="How many recent traces to list")] = 20,
    operation: Annotated[
        str,
        typer.Option(
            "--operation",
            "-o",
            help="Traces with a span whose name contains this, e.g. /organizations or "
            "organization.registered",
            rich_help_panel=FILTERS,
        ),
    ] = "",
    service: Annotated[
        str,
        typer.Option(
            "--service", "-s", help="Traces that pass through this service", rich_help_panel=FILTERS
        ),
    ] = "",
    min_ms: Annotated[
        float,
        typer.Option(
            "--min-ms", min=0, help="Traces lasting at least this many ms", rich_help_panel=FILTERS
        ),
    ] = 0.0,
    errors: Annotated[
        bool, typer.Option("--errors", help="Traces with an error", rich_help_panel=FILTERS)
    ] = False,
    show_all: Annotated[
        bool,
        typer.Option(
            "--all",
            help="Background single-span traces too (a poller's query, a health probe)",
            rich_help_panel=FILTERS,
        ),
    ] = False,
    logs: Annotated[bool, typer.Option(help="Show a trace's log lines beside its spans")] = True,
    directory: Directory = None,
    logs_dir: LogsDir = None,
) -> None:
    """List the most recent traces, or draw the one whose id starts with TRACE_ID."""
    from deploy.trace_index import SpanIndex  # it imports Span from here

    out, err = Console(), Console(stderr=True)
    directory = directory or default_trace_dir()
    spans: list[Span] = []  # of the trace asked for
    outlines: list[Span] = []  # of every trace, without attributes, for the list
    with SpanIndex.open(directory) as index:
        if index.empty:
            pass
        elif trace_id is not None:
            try:
                spans = index.spans_of(_one_trace(index.trace_ids(trace_id), trace_id))
            except LookupError as error:
                err.print(f"[red]error:[/] {error} (traces read from {directory})")
                raise typer.Exit(1) from None
        else:
            outlines = index.outlines()
        skipped = index.skipped
    if not spans and not outlines:
        out.print(
            f"no traces yet in {directory} — run the stack with COMMONWEAVE_TELEMETRY_EXPORTER=file"
        )
        return
    if trace_id is not None:
        lines = scan_logs(logs_dir or directory.parent / "logs", spans[0].trace_id) if logs else []
        render_waterfall(spans, out, logs=lines)
    else:
        wanted = TraceFilter(operation, service, min_ms, errors, show_all)
        summaries = group_traces(outlines)
        shown = filter_traces(summaries, wanted)
        if shown:
            render_trace_list(shown[:limit], out)
        else:
            out.print(f"no trace among {len(summaries)} matches the filters")
        if len(shown) > limit:
            out.print(f"[dim]{limit} of {len(shown)} traces shown; --limit N for more[/]")
        hidden = sum(1 for t in summaries if t.background and not wanted.background)
        if hidden:
            out.print(f"[dim]{hidden} background single-span trace(s) hidden; --all shows them[/]")
    if skipped:
        out.print(f"[dim]{skipped} unreadable line(s) skipped[/]")
