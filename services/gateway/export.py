"""Writes the running schema's SDL to services/gateway/schema.graphql, so every change to the
public contract shows as a diff:  python -m services.gateway.export"""

from __future__ import annotations

import sys
from pathlib import Path

from services.gateway.schema import build_schema

SCHEMA_FILE = Path(__file__).with_name("schema.graphql")
EXPORT_COMMAND = "python -m services.gateway.export"


def current_sdl() -> str:
    return build_schema().as_str().rstrip() + "\n"


def main() -> None:
    SCHEMA_FILE.write_text(current_sdl(), encoding="utf-8")
    sys.stdout.write(f"wrote {SCHEMA_FILE}\n")


if __name__ == "__main__":
    main()
