"""The committed SDL (services/gateway/schema.graphql) is the running schema: every change to
the public contract is a visible diff."""

from __future__ import annotations

from services.gateway.export import EXPORT_COMMAND, SCHEMA_FILE, current_sdl, schema_diff


def test_schema_file_matches_the_running_schema() -> None:
    running = current_sdl()
    committed = SCHEMA_FILE.read_text(encoding="utf-8") if SCHEMA_FILE.exists() else ""
    if running != committed:
        diff = schema_diff(committed, running)
        raise AssertionError(
            f"the schema changed; review the diff and run `{EXPORT_COMMAND}`:\n{diff}"
        )
