"""Writes the running schema's SDL to services/gateway/schema.graphql, so every change to the
public contract shows as a diff:  python -m services.gateway.export
(`--print` writes the SDL to stdout instead; `--diff` also prints what the export changed)."""

from __future__ import annotations

import difflib
import sys
from pathlib import Path

from services.gateway.schema import build_schema

SCHEMA_FILE = Path(__file__).with_name("schema.graphql")
EXPORT_COMMAND = "python -m services.gateway.export"


def current_sdl() -> str:
    return build_schema().as_str().rstrip() + "\n"


def schema_diff(committed: str, running: str) -> str:
    return "".join(
        difflib.unified_diff(
            committed.splitlines(keepends=True),
            running.splitlines(keepends=True),
            fromfile="schema.graphql (committed)",
            tofile="running schema",
        )
    )


def main(args: list[str]) -> None:
    running = current_sdl()
    if "--print" in args:
        sys.stdout.write(running)
        return
    before = SCHEMA_FILE.read_text(encoding="utf-8") if SCHEMA_FILE.exists() else ""
    SCHEMA_FILE.write_text(running, encoding="utf-8")
    if "--diff" in args:
        sys.stdout.write(schema_diff(before, running) or "schema.graphql: unchanged\n")
    sys.stdout.write(f"wrote {SCHEMA_FILE}\n")


if __name__ == "__main__":
    main(sys.argv[1:])
