"""The welcome's path from a stack's span files (`bench.pipeline.welcome_path`)."""

from __future__ import annotations

import json
from pathlib import Path

from bench.pipeline import WELCOME_STEPS, welcome_path

MS = 1_000_000


def span(trace: str, service: str, name: str, start_ms: int, end_ms: int) -> str:
    fields = {"trace_id": trace, "service": service, "name": name, "kind": "INTERNAL"}
    return json.dumps(fields | {"start": start_ms * MS, "end": end_ms * MS})


def test_each_step_of_a_traced_registration_and_untraced_ones_left_out(tmp_path: Path) -> None:
    (tmp_path / "intake.jsonl").write_text(
        "\n".join(
            [
                span("t1", "intake", "POST /organizations", 0, 40),
                span("t1", "intake", "organization.registered publish", 70, 75),
                span("t2", "intake", "POST /organizations", 0, 10),  # never handled
                "{not json organization.registered",
            ]
        )
        + "\n"
    )
    (tmp_path / "notifications.jsonl").write_text(
        span("t1", "notifications", "organization.registered process", 1075, 1135) + "\n"
    )
    steps = welcome_path(tmp_path)
    assert [steps[step] for step in WELCOME_STEPS] == [[30.0], [1000.0], [60.0]]
