"""Where a bench's time goes: py-spy (the dev group) attached to some of its stack's processes
while the bench's own load runs, one flame graph per process (BENCHMARKS.md's profiles)."""

from __future__ import annotations

import signal
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from deploy.stack import Stack
from deploy.stack_dump import py_spy as find_py_spy


def py_spy() -> str:
    found = find_py_spy()
    if found is None:
        raise RuntimeError("py-spy was not found; run `make env` (it is in the dev group)")
    return found


@contextmanager
def spying(
    stack: Stack, components: list[str], folder: Path | None, prefix: str, rate: int = 50
) -> Iterator[None]:
    """`py-spy record` of each component into `folder/prefix-component.svg` for the block;
    nothing when `folder` is None. A low rate: the machine is small and shared."""
    if folder is None:
        yield
        return
    folder.mkdir(parents=True, exist_ok=True)
    spies = []
    for name in components:
        process = stack.components[name].process
        if process is None:
            raise RuntimeError(f"{name} is not running: nothing to profile")
        out = folder / f"{prefix}-{name}.svg"
        command = [py_spy(), "record", "--rate", str(rate), "-o", str(out), "--pid"]
        spies.append(subprocess.Popen([*command, str(process.pid)]))
    try:
        yield
    finally:
        for spy in spies:
            spy.send_signal(signal.SIGINT)  # py-spy writes the flame graph, then exits
        for spy in spies:
            spy.wait(120)
