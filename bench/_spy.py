"""Where a bench's time goes: py-spy (the dev group) attached to some of its stack's processes
while the bench's own load runs, one flame graph per process (BENCHMARKS.md's profiles)."""

from __future__ import annotations

import signal
import subprocess
from collections import Counter
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
    stack: Stack,
    components: list[str],
    folder: Path | None,
    prefix: str,
    rate: int = 50,
    raw: bool = False,
    gil: bool = False,
) -> Iterator[None]:
    """`py-spy record` of each component into `folder/prefix-component.svg` for the block
    (with `raw`, its collapsed stacks into `.txt` instead, for `top_frames`; with `gil`, only
    the thread holding the GIL, what a process spends its CPU on, not its waiting threads);
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
        kind, suffix = ("raw", "txt") if raw else ("flamegraph", "svg")
        out = folder / f"{prefix}-{name}.{suffix}"
        command = [py_spy(), "record", "--rate", str(rate), "--format", kind, "-o", str(out)]
        command += ["--gil"] if gil else []
        spies.append(subprocess.Popen([*command, "--pid", str(process.pid)]))
    try:
        yield
    finally:
        for spy in spies:
            spy.send_signal(signal.SIGINT)  # py-spy writes the flame graph, then exits
        for spy in spies:
            spy.wait(120)


def top_frames(collapsed: Path, most: int = 12) -> list[tuple[str, float, float]]:
    """The functions that held the most samples of a `.txt` profile: (function, share of the
    samples with it anywhere on the stack, share with it on top)."""
    inclusive: Counter[str] = Counter()
    own: Counter[str] = Counter()
    total = 0
    for line in collapsed.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        frames = [frame.split(" (")[0] for frame in stack.split(";")]
        total += int(count)
        own[frames[-1]] += int(count)
        for frame in set(frames):
            inclusive[frame] += int(count)
    if not total:
        return []
    return [(name, inclusive[name] / total, own[name] / total) for name, _ in own.most_common(most)]
