"""Before the runner kills a jammed component it keeps its threads' stacks (deploy/stack_dump.py):
read from a real Python process, and nothing (not an error) for one that is not Python."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from deploy.stack_dump import dump_stacks


@contextmanager
def running(*argv: str) -> Iterator[subprocess.Popen[bytes]]:
    process = subprocess.Popen(argv)
    try:
        yield process
    finally:
        process.kill()
        process.wait()


def test_a_python_process_stacks_are_kept_in_the_logs(tmp_path: Path) -> None:
    code = "import time\ndef waiting_for_a_lock():\n    time.sleep(60)\nwaiting_for_a_lock()"
    with running(sys.executable, "-c", code) as process:
        dumped = None
        for _ in range(50):  # until the interpreter has started and py-spy finds its frames
            dumped = dump_stacks(process.pid, "mongo", tmp_path)
            if dumped is not None and "waiting_for_a_lock" in dumped.read_text():
                break
            subprocess.run(["sleep", "0.1"], check=True)
    assert dumped is not None and dumped.parent == tmp_path
    assert dumped.name.startswith("mongo-stacks-")
    assert "waiting_for_a_lock" in dumped.read_text()


def test_a_process_that_is_not_python_leaves_no_file(tmp_path: Path) -> None:
    with running("sleep", "60") as process:
        assert dump_stacks(process.pid, "broker", tmp_path) is None
    assert list(tmp_path.iterdir()) == []
