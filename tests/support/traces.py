"""Reading the spans the services wrote with the local file exporter."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def spans_of(trace_dir: Path, trace_id: str) -> list[dict[str, Any]]:
    spans = []
    for path in trace_dir.glob("*.jsonl"):
        for line in path.read_text().splitlines():
            try:
                span = json.loads(line)
            except ValueError:
                continue
            if span["trace_id"] == trace_id:
                spans.append(span)
    return spans
