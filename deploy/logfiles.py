"""The runner's log files: each child's output (stdout and stderr) comes to the runner over a
pipe and is written, line by line, through the standard library's `RotatingFileHandler`, so a
file rotates at `log_max_bytes` and `log_backups` older ones are kept (`broker.log`,
`broker.log.1`, ...). A loop that logs a failure many times a second can then not fill the
data directory, whatever the process is (the broker and the store write no files of our
choosing).

A line that cannot be written (a full disk) is dropped and counted, not reported with a
traceback on the runner's terminal per line: the first drop is said once, and the count
when writing works again."""

from __future__ import annotations

import logging
import sys
import threading
from collections.abc import Callable
from logging.handlers import RotatingFileHandler
from pathlib import Path
from typing import IO


class _Handler(RotatingFileHandler):
    """Remembers that a line failed instead of printing logging's traceback to stderr."""

    failed: OSError | None = None

    def handleError(self, record: logging.LogRecord) -> None:
        error = sys.exc_info()[1]
        self.failed = error if isinstance(error, OSError) else OSError(str(error))


class LogFile:
    def __init__(
        self, path: Path, max_bytes: int, backups: int, report: Callable[[str], None] = print
    ) -> None:
        self.path = path
        self.dropped = 0  # lines not written since the last one that was
        self._report = report
        self._handler = _Handler(path, maxBytes=max_bytes, backupCount=backups, encoding="utf-8")
        self._handler.setFormatter(logging.Formatter("%(message)s"))

    def write(self, line: str) -> None:
        if self.dropped:
            if not self._emit(f"[runner] {self.dropped} lines dropped: the disk was full"):
                self.dropped += 1
                return
            self._report(f"{self.path.name}: writing again; {self.dropped} lines were dropped")
            self.dropped = 0
        if not self._emit(line):
            self._report(
                f"{self.path.name}: cannot write ({self._handler.failed}); "
                "dropping its lines until it can"
            )
            self.dropped = 1

    def _emit(self, line: str) -> bool:
        self._handler.failed = None
        self._handler.emit(logging.makeLogRecord({"msg": line}))
        return self._handler.failed is None

    def follow(self, output: IO[bytes]) -> threading.Thread:
        """Copies `output` (a child's pipe) into the file until the child closes it."""

        def copy() -> None:
            with output:
                for raw in iter(output.readline, b""):
                    self.write(raw.decode("utf-8", "replace").rstrip("\n"))

        thread = threading.Thread(target=copy, name=f"log:{self.path.name}", daemon=True)
        thread.start()
        return thread

    def close(self) -> None:
        self._handler.close()
