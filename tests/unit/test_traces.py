"""`deploy.traces`: reading the JSONL span files, grouping, the tree, lookup and the CLI."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console
from typer.testing import CliRunner

from deploy.traces import (
    Span,
    build_tree,
    find_trace,
    group_traces,
    load_spans,
    render_waterfall,
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
