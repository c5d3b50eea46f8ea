"""What a jammed process was doing: before the runner kills a component that failed its
health checks, py-spy (the dev group, installed by `make env`) writes the Python stack of
every thread into the logs directory. The store's soak stall and its lock convoy were found
from such dumps (RELIABILITY.md); without one, a restart leaves no trace of the cause."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path

DUMP_SECONDS = 5.0  # a jam must not hold up its own restart for long


def py_spy() -> str | None:
    beside_python = Path(sys.executable).parent / "py-spy"
    return str(beside_python) if beside_python.exists() else shutil.which("py-spy")


def dump_stacks(pid: int, name: str, logs: Path) -> Path | None:
    """Writes `logs/<name>-stacks-<UTC time>.txt`; None when py-spy is missing or failed (a
    process that is not Python, or not allowed to be read), which the caller only reports."""
    spy = py_spy()
    if spy is None:
        return None
    into = logs / f"{name}-stacks-{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime())}.txt"
    try:
        dumped = subprocess.run(
            [spy, "dump", "--nonblocking", "--pid", str(pid)],
            capture_output=True,
            text=True,
            timeout=DUMP_SECONDS,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    if dumped.returncode != 0 or not dumped.stdout:
        return None
    into.write_text(dumped.stdout)
    return into
