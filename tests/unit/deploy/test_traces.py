"""`deploy.traces`: reading the JSONL span files, grouping, the tree, lookup and the CLI."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console
from typer.testing import CliRunner

from deploy.traces import (
    Span,
    TraceFilter,
    as_text,
    build_tree,
    filter_traces,
    find_trace,
    group_traces,
    key_attributes,
    load_spans,
    render_waterfall,
    scan_logs,
    scan_spans,
    traces_app,
)

T0 = 1_700_000_000_000_000_000  # Unix ns
MS = 1_000_000
REQUEST = "ab12" + "0" * 27 + "1"  # the newer trace: a GraphQL mutation fanning out over Kafka
OLDER = "ab34" + "0" * 27 + "2"  # an older trace whose first spans were never exported


def span(
    trace_id: str,
    span_id: str,
    parent_id: str | None,
    name: str,
    service: str,
    kind: str,
    start_ms: float,
    end_ms: float,
    status: str = "UNSET",
    base: int = T0,
) -> dict[str, Any]:
    return {
        "trace_id": trace_id,
        "span_id": span_id.ljust(16, "0"),
        "parent_id": parent_id.ljust(16, "0") if parent_id else None,
        "name": name,
        "service": service,
        "kind": kind,
        "start": base + int(start_ms * MS),
        "end": base + int(end_ms * MS),
        "status": status,
        "attributes": {"demo": True},
    }


REQUEST_SPANS = [
    span(REQUEST, "a1", None, "POST /graphql", "gateway", "SERVER", 0, 120),
    span(REQUEST, "a2", "a1", "POST", "gateway", "CLIENT", 5, 100),
    span(REQUEST, "b1", "a2", "POST /partnership-requests", "intake", "SERVER", 10, 95),
    span(REQUEST, "b2", "b1", "commonweave_intake.insert", "intake", "CLIENT", 20, 30),
    span(REQUEST, "b3", "b1", "intake.events publish", "intake", "PRODUCER", 40, 45),
    span(
        REQUEST, "d1", "b3", "intake.events process", "notifications", "CONSUMER", 55, 80, "ERROR"
    ),
    span(REQUEST, "c1", "b3", "intake.events process", "matching", "CONSUMER", 50, 115, "OK"),
]
MINUTE_AGO = T0 - 60_000 * MS
OLDER_SPANS = [
    span(OLDER, "e2", "e1", "send reminder", "commitments", "INTERNAL", 3, 8, base=MINUTE_AGO),
    span(OLDER, "e1", "ff", "commitments.due", "commitments", "CONSUMER", 0, 10, base=MINUTE_AGO),
]


@pytest.fixture
def trace_dir(tmp_path: Path) -> Path:
    """Per-service files, lines out of time order, a blank line and a half-written last line."""
    directory = tmp_path / "traces"
    directory.mkdir()
    by_service: dict[str, list[str]] = {}
    for line in reversed(REQUEST_SPANS + OLDER_SPANS):
        by_service.setdefault(line["service"], []).append(json.dumps(line))
    for service, lines in by_service.items():
        (directory / f"{service}.jsonl").write_text("\n".join(lines) + "\n")
    with (directory / "gateway.jsonl").open("a") as out:
        out.write('\n{"trace_id": "ab12", "span_id": "a3", "na')
    (directory / "notes.txt").write_text("not a span file")
    return directory


def names(rows: list[tuple[int, Span]]) -> list[tuple[int, str, str]]:
    return [(depth, s.service, s.name) for depth, s in rows]


def test_load_skips_and_counts_unparsable_lines(trace_dir: Path) -> None:
    loaded = scan_spans(trace_dir)
    assert len(loaded.spans) == 9
    assert loaded.skipped == 1
    assert load_spans(trace_dir) == loaded.spans
    assert scan_spans(trace_dir, "AB34").spans == [s for s in loaded.spans if s.trace_id == OLDER]
    assert scan_spans(trace_dir / "missing").spans == []


def test_group_traces_newest_first(trace_dir: Path) -> None:
    newer, older = group_traces(load_spans(trace_dir))
    assert newer.trace_id == REQUEST
    assert newer.root_name == "POST /graphql"
    assert newer.start == T0
    assert newer.duration_ms == 120.0
    assert newer.span_count == 7
    assert newer.services == ("gateway", "intake", "matching", "notifications")
    assert newer.error is True
    assert older.trace_id == OLDER
    assert older.root_name == "commitments.due"  # its parent was never exported
    assert (older.span_count, older.duration_ms, older.error) == (2, 10.0, False)
    assert older.services == ("commitments",)


def test_tree_is_depth_first_with_siblings_by_start(trace_dir: Path) -> None:
    rows = build_tree(find_trace(load_spans(trace_dir), REQUEST))
    assert names([(r.depth, r.span) for r in rows]) == [
        (0, "gateway", "POST /graphql"),
        (1, "gateway", "POST"),
        (2, "intake", "POST /partnership-requests"),
        (3, "intake", "commonweave_intake.insert"),
        (3, "intake", "intake.events publish"),
        (4, "matching", "intake.events process"),
        (4, "notifications", "intake.events process"),
    ]
    assert not any(r.orphan for r in rows)


def test_orphans_sit_at_depth_zero_and_are_flagged(trace_dir: Path) -> None:
    rows = build_tree(find_trace(load_spans(trace_dir), OLDER))
    assert [(r.depth, r.span.name, r.orphan) for r in rows] == [
        (0, "commitments.due", True),
        (1, "send reminder", False),
    ]
    # Without the gateway's spans the intake server span and its subtree become an orphan tree.
    partial = [s for s in find_trace(load_spans(trace_dir), REQUEST) if s.service != "gateway"]
    rows = build_tree(partial)
    assert [(r.depth, r.span.name, r.orphan) for r in rows][:2] == [
        (0, "POST /partnership-requests", True),
        (1, "commonweave_intake.insert", False),
    ]
    assert len(rows) == 5
    assert group_traces(partial)[0].root_name == "POST /partnership-requests"


def test_tree_survives_a_parent_cycle() -> None:
    looped = [
        Span.model_validate(span(REQUEST, "x1", "x2", "one", "intake", "INTERNAL", 0, 5)),
        Span.model_validate(span(REQUEST, "x2", "x1", "two", "intake", "INTERNAL", 1, 4)),
    ]
    assert [(r.depth, r.span.name, r.orphan) for r in build_tree(looped)] == [
        (0, "one", True),
        (1, "two", False),
    ]


def test_find_trace_by_prefix(trace_dir: Path) -> None:
    spans = load_spans(trace_dir)
    assert {s.trace_id for s in find_trace(spans, "AB12")} == {REQUEST}
    assert len(find_trace(spans, OLDER)) == 2
    with pytest.raises(LookupError, match="matches 2 traces"):
        find_trace(spans, "ab")
    with pytest.raises(LookupError, match="no trace id starts with 'ffff'"):
        find_trace(spans, "ffff")


def test_waterfall_bars_are_placed_on_the_time_axis(trace_dir: Path) -> None:
    console = Console(width=200, record=True, color_system=None)
    render_waterfall(find_trace(load_spans(trace_dir), REQUEST), console, width=24)
    lines = {line.split("│")[1].strip(): line for line in console.export_text().splitlines()
             if line.count("│") >= 4}  # fmt: skip
    bar = {name: line.split("│")[3] for name, line in lines.items()}
    assert bar["POST /graphql"] == " " + "█" * 24 + " "  # the whole trace
    assert bar["commonweave_intake.insert"] == " " + " " * 4 + "█" * 2 + " " * 18 + " "


def invoke(*args: str, env: dict[str, str] | None = None) -> Any:
    return CliRunner().invoke(traces_app, list(args), env={"COLUMNS": "200", **(env or {})})


def test_cli_lists_recent_traces(trace_dir: Path) -> None:
    result = invoke("--dir", str(trace_dir))
    assert result.exit_code == 0, result.output
    assert REQUEST[:16] in result.output and OLDER[:16] in result.output
    assert result.output.index(REQUEST[:16]) < result.output.index(OLDER[:16])
    for text in ("POST /graphql", "gateway, intake, matching, notifications", "120.0 ms"):
        assert text in result.output
    assert "1 unreadable line(s) skipped" in result.output

    limited = invoke("--limit", "1", env={"COMMONWEAVE_TRACE_DIR": str(trace_dir)})
    assert limited.exit_code == 0, limited.output
    assert REQUEST[:16] in limited.output and OLDER[:16] not in limited.output
    assert "1 of 2 traces shown" in limited.output


def test_cli_draws_a_waterfall(trace_dir: Path) -> None:
    result = invoke("ab12", "--dir", str(trace_dir))
    assert result.exit_code == 0, result.output
    for text in ("gateway", "intake", "matching", "notifications", REQUEST, "█"):
        assert text in result.output
    for s in REQUEST_SPANS:
        assert s["name"] in result.output
    assert "send reminder" not in result.output

    orphaned = invoke("--dir", str(trace_dir), OLDER[:6])
    assert orphaned.exit_code == 0, orphaned.output
    assert "commitments.due (orphan)" in orphaned.output


def test_cli_unknown_or_ambiguous_prefix_exits_1(trace_dir: Path) -> None:
    unknown = invoke("ffff", "--dir", str(trace_dir))
    assert unknown.exit_code == 1
    assert "no trace id starts with 'ffff'" in unknown.output
    ambiguous = invoke("ab", "--dir", str(trace_dir))
    assert ambiguous.exit_code == 1
    assert "matches 2 traces" in ambiguous.output


@pytest.mark.parametrize("args", [(), ("ab12",)])
def test_cli_without_traces_is_friendly(tmp_path: Path, args: tuple[str, ...]) -> None:
    (tmp_path / "empty").mkdir()
    for directory in (tmp_path / "missing", tmp_path / "empty"):
        result = invoke(*args, "--dir", str(directory))
        assert result.exit_code == 0, result.output
        assert "no traces yet in" in result.output
        assert "COMMONWEAVE_TELEMETRY_EXPORTER=file" in result.output


# Background traces, filters, key attributes and logs.

POLL = "cd56" + "0" * 27 + "3"  # a poller's query: one span that nothing started
PROBE = "cd78" + "0" * 27 + "4"  # a failed health probe: one client span, an error
SLOW = "ef90" + "0" * 27 + "5"  # a single-span request: a server span is never background
ORG = "org_" + "a1" * 16


def attributed(line: dict[str, Any], **attributes: Any) -> dict[str, Any]:
    return {**line, "attributes": attributes}


FOUND = [
    attributed(
        span(POLL, "p1", None, "commonweave_notifications.find", "notifications", "CLIENT", 1, 2),
        **{"db.collection.name": "deliveries"},
    ),
    attributed(
        span(PROBE, "h1", None, "GET", "gateway", "CLIENT", 2, 3, "ERROR"),
        **{"error.type": "ConnectError"},
    ),
    span(SLOW, "s1", None, "GET /organizations/{organization_id}", "intake", "SERVER", 3, 503),
]


@pytest.fixture
def busy_dir(trace_dir: Path) -> Path:
    """The two traces above, plus background traces and a slow single-span request."""
    with (trace_dir / "notifications.jsonl").open("a") as out:
        out.writelines(json.dumps(line) + "\n" for line in FOUND)
    return trace_dir


def listed(result: Any) -> set[str]:
    ids = {REQUEST, OLDER, POLL, PROBE, SLOW}
    return {trace_id for trace_id in ids if trace_id[:16] in result.output}


def test_background_single_span_traces_are_hidden_unless_all(busy_dir: Path) -> None:
    summaries = {t.trace_id: t for t in group_traces(load_spans(busy_dir))}
    assert summaries[POLL].background and summaries[PROBE].background
    assert not summaries[SLOW].background  # a request, though a single span
    assert not summaries[OLDER].background  # its parent was lost, it did not start itself
    assert not summaries[REQUEST].background

    default = invoke("--dir", str(busy_dir))
    assert default.exit_code == 0, default.output
    assert listed(default) == {REQUEST, OLDER, SLOW}
    assert "2 background single-span trace(s) hidden; --all shows them" in default.output
    everything = invoke("--dir", str(busy_dir), "--all")
    assert listed(everything) == {REQUEST, OLDER, SLOW, POLL, PROBE}
    assert "hidden" not in everything.output


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("--operation", "POST /partnership"), {REQUEST}),
        (("-o", "SEND REMINDER"), {OLDER}),  # any span's name, case-insensitive
        (("-o", "commonweave_notifications.find"), set()),  # background, so hidden
        (("-o", "commonweave_notifications.find", "--all"), {POLL}),
        (("--service", "commitments"), {OLDER}),
        (("-s", "intake"), {REQUEST, SLOW}),
        (("--min-ms", "100"), {REQUEST, SLOW}),
        (("--min-ms", "200"), {SLOW}),
        (("--errors",), {REQUEST}),
        (("--errors", "--all"), {REQUEST, PROBE}),
        (("--errors", "-s", "intake", "--min-ms", "200"), set()),
    ],
)
def test_the_list_filters(busy_dir: Path, args: tuple[str, ...], expected: set[str]) -> None:
    result = invoke("--dir", str(busy_dir), *args)
    assert result.exit_code == 0, result.output
    assert listed(result) == expected
    if not expected:
        assert "no trace among 5 matches the filters" in result.output


def test_filter_object_combines_conditions(busy_dir: Path) -> None:
    summaries = group_traces(load_spans(busy_dir))
    wanted = TraceFilter(operation="process", service="notifications", errors=True)
    assert [t.trace_id for t in filter_traces(summaries, wanted)] == [REQUEST]
    assert filter_traces(summaries, TraceFilter(min_ms=10_000)) == []


@pytest.mark.parametrize(
    ("raw", "text"),
    [
        ("b'org_1'", "org_1"),  # spans written before keys were decoded
        ('b"it\'s"', "it's"),
        ("b'\\xff1'", "\\xff1"),
        ("org_1", "org_1"),
        ("b'unclosed", "b'unclosed"),
        (7, "7"),
    ],
)
def test_kafka_keys_read_as_text(raw: Any, text: str) -> None:
    assert as_text(raw) == text


def kafka_span(name: str, kind: str, **attributes: Any) -> Span:
    line = span(REQUEST, "k1", "a1", name, "matching", kind, 0, 1)
    return Span.model_validate(attributed(line, **attributes))


def test_key_attributes_name_the_organization_the_event_and_the_error() -> None:
    consumed = kafka_span(
        "organization.registered process",
        "CONSUMER",
        **{
            "messaging.destination_publish.name": "organization.registered",
            "messaging.kafka.message.key": f"b'{ORG}'",
        },
    )
    assert key_attributes(consumed) == [("org", ORG)]  # the name already says the event
    renamed = kafka_span("handle", "CONSUMER", **{"messaging.destination.name": "need.reported"})
    assert key_attributes(renamed) == [("event", "need.reported")]
    keyed = kafka_span(
        "match.suggested publish", "PRODUCER", **{"messaging.kafka.message.key": "match_1"}
    )
    assert key_attributes(keyed) == [("key", "match_1")]
    http = kafka_span(
        "GET",
        "CLIENT",
        **{"url.full": f"http://127.0.0.1:1/organizations/{ORG}", "http.response.status_code": 404},
    )
    assert key_attributes(http) == [("error", "HTTP 404"), ("org", ORG)]
    failed = Span.model_validate(
        {
            **span(REQUEST, "m1", "a1", "commonweave_matching.insert", "matching", "CLIENT", 0, 1),
            "status": "ERROR",
            "attributes": {"db.collection.name": "outbox", "error.type": "WriteConflict"},
        }
    )
    assert key_attributes(failed) == [("error", "WriteConflict"), ("collection", "outbox")]
    raised = failed.model_copy(update={"exception": "ValueError: no such need"})
    assert key_attributes(raised)[0] == ("error", "ValueError: no such need")
    assert key_attributes(failed.model_copy(update={"attributes": {}}))[0] == ("error", "error")


def log_line(
    message: str, span_id: str | None, ms: float, trace_id: str = REQUEST, **more: Any
) -> str:
    time = datetime.fromtimestamp((T0 + ms * MS) / 1e9, UTC).isoformat(timespec="microseconds")
    fields = {"time": time, "level": "INFO", "service": "matching", "logger": "services.matching"}
    fields |= {"message": message, "trace_id": trace_id, **more}
    if span_id:
        fields["span_id"] = span_id.ljust(16, "0")
    return json.dumps(fields)


@pytest.fixture
def logs_dir(trace_dir: Path) -> Path:
    """Beside the span files: JSON log lines of both traces, a text line, a half line."""
    directory = trace_dir.parent / "logs"
    directory.mkdir()
    matching = [
        "INFO:     Uvicorn running on http://127.0.0.1:8002 (Press CTRL+C to quit)",
        log_line("index of 6 profiles loaded", None, -5, trace_id=""),
        log_line("scored 5 candidates", "c1", 60),
        log_line("a reminder", "e1", 1, trace_id=OLDER),
        log_line(
            "suggestion refused",
            "c1",
            90,
            level="WARNING",
            exception="Traceback (most recent call last):\n  ...\nValueError: no such need",
        ),
    ]
    (directory / "matching.log").write_text("\n".join(matching) + "\n")
    notifications = log_line("no recipients yet; parked", "d1", 70, level="ERROR")
    (directory / "notifications.log").write_text(
        notifications.replace('"service": "matching", ', "") + '\n{"time": "2026'
    )
    return directory


def test_scan_logs_reads_one_traces_json_lines_in_time_order(logs_dir: Path) -> None:
    logs = scan_logs(logs_dir, REQUEST)
    assert [(log.service, log.message) for log in logs] == [
        ("matching", "scored 5 candidates"),
        ("notifications", "no recipients yet; parked"),  # the service from the file's name
        ("matching", "suggestion refused"),
    ]
    assert logs[2].level == "WARNING" and logs[2].exception
    assert [log.message for log in scan_logs(logs_dir, OLDER)] == ["a reminder"]
    assert scan_logs(logs_dir / "missing", REQUEST) == []


def test_the_waterfall_shows_key_attributes_and_the_traces_logs(
    trace_dir: Path, logs_dir: Path
) -> None:
    lines = [json.loads(line) for line in (trace_dir / "matching.jsonl").read_text().splitlines()]
    for line in lines:
        if line["span_id"].startswith("c1"):
            line["attributes"] = {
                "messaging.destination_publish.name": "organization.registered",
                "messaging.kafka.message.key": f"b'{ORG}'",
            }
    (trace_dir / "matching.jsonl").write_text("".join(json.dumps(x) + "\n" for x in lines))

    result = invoke("ab12", "--dir", str(trace_dir))
    assert result.exit_code == 0, result.output
    cells = [line.split("│") for line in result.output.splitlines() if line.count("│") > 4]
    rows = {(cell[1].strip(), cell[2].strip()): "│".join(cell) for cell in cells}
    consumed = rows["intake.events process", "matching"]
    assert f"org={ORG}" in consumed and "b'" not in result.output
    assert "logs=2" in consumed  # two of its log lines
    failed = rows["intake.events process", "notifications"]
    assert "error=error" in failed and "logs=1" in failed
    assert "logs of this trace" in result.output
    logs = result.output[result.output.index("logs of this trace") :]
    for text in ("+60.0", "scored 5 candidates", "+70.0", "ERROR", "no recipients yet; parked"):
        assert text in logs
    assert "ValueError: no such need" in logs  # a logged exception's last line
    assert "a reminder" not in logs and "Uvicorn" not in logs
    assert logs.index("scored 5") < logs.index("no recipients") < logs.index("suggestion")

    hidden = invoke("ab12", "--dir", str(trace_dir), "--no-logs")
    assert "logs of this trace" not in hidden.output and "logs=" not in hidden.output
    elsewhere = invoke("ab12", "--dir", str(trace_dir), "--logs-dir", str(trace_dir))
    assert "logs of this trace" not in elsewhere.output


# The SQLite index beside the span files (deploy/trace_index.py).


def test_the_index_reads_only_what_was_appended_and_a_line_once_complete(trace_dir: Path) -> None:
    from deploy.trace_index import INDEX_NAME, SpanIndex

    with SpanIndex.open(trace_dir) as index:
        assert sorted(s.span_id for s in index.outlines()) == sorted(
            s.span_id for s in load_spans(trace_dir)
        )
        assert index.skipped == 1  # the half-written last line of gateway.jsonl
    assert (trace_dir / INDEX_NAME).is_file()
    with (trace_dir / "gateway.jsonl").open("a") as out:  # the rest of it arrives, then one more
        out.write(
            'xx"}\n'
            + json.dumps(span(POLL_ID, "f1", None, "find", "gateway", "CLIENT", 0, 1))
            + "\n"
        )
    with SpanIndex.open(trace_dir) as index:
        assert index.trace_ids(POLL_ID[:6]) == [POLL_ID]
        [polled] = index.spans_of(POLL_ID)
        assert polled.name == "find" and polled.attributes == {"demo": True}
        assert index.skipped == 1  # the completed line is not a span: counted once, not twice
        assert len(index.outlines()) == len(REQUEST_SPANS) + len(OLDER_SPANS) + 1


def test_the_index_follows_a_replaced_file_and_a_place_it_cannot_write(
    trace_dir: Path, tmp_path: Path
) -> None:
    from deploy.trace_index import INDEX_NAME, SpanIndex

    with SpanIndex.open(trace_dir) as index:
        assert index.trace_ids("ab12") == [REQUEST]
    replaced = trace_dir / "matching.jsonl"
    replaced.unlink()  # rotated away: a new, shorter file under the same name
    replaced.write_text(json.dumps(span(POLL_ID, "m1", None, "x", "matching", "CLIENT", 0, 1)))
    replaced.write_text(replaced.read_text() + "\n")
    (trace_dir / "intake.jsonl").unlink()
    with SpanIndex.open(trace_dir) as index:
        services = {s.service for s in index.outlines()}
        assert "intake" not in services
        assert [s.name for s in index.outlines() if s.service == "matching"] == ["x"]
    blocked = tmp_path / "blocked"  # the index's path taken (as a read-only mount would)
    (blocked / INDEX_NAME).mkdir(parents=True)
    (blocked / "gateway.jsonl").write_text((trace_dir / "gateway.jsonl").read_text())
    with SpanIndex.open(blocked) as index:  # built in memory for this call
        assert index.trace_ids("ab12") == [REQUEST]


POLL_ID = "ef78" + "0" * 27 + "4"


def test_the_command_reads_traces_without_importing_the_stack(trace_dir: Path) -> None:
    import subprocess
    import sys

    probe = (
        "import sys; from deploy.entry import main\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "print('loaded:', sorted(m for m in ('deploy.cli', 'fastapi', 'faststream') "
        "if m in sys.modules))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe, "traces", "--dir", str(trace_dir)],
        capture_output=True,
        text=True,
        env={"COLUMNS": "200", "PATH": ""},
        timeout=60,
    )
    assert REQUEST[:16] in done.stdout, done.stderr
    assert "loaded: []" in done.stdout
