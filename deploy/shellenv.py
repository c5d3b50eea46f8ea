"""Shell `export` lines, as `commonweave admin create-network --env` and `commonweave demo`
print them (`eval "$(...)"` sets them), and reading such a file back."""

from __future__ import annotations

import shlex
from pathlib import Path


def export_lines(values: dict[str, str]) -> str:
    return "".join(f"export {name}={shlex.quote(value)}\n" for name, value in values.items())


def read_exports(path: Path) -> dict[str, str]:
    """The variables of a file of `export NAME=value` (or `NAME=value`) lines; {} if absent."""
    if not path.exists():
        return {}
    values: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        words = shlex.split(line.removeprefix("export "), comments=True)
        if len(words) == 1 and "=" in words[0]:
            name, value = words[0].split("=", 1)
            values[name] = value
    return values
