"""The runner's log files: each child's output (stdout and stderr) comes to the runner over a
pipe and is written, line by line, through the standard library's `RotatingFileHandler`, so a
file rotates at `log_max_bytes` and `log_backups` older ones are kept (`broker.log`,
`broker.log.1`, ...). A loop that logs a failure many times a second can then not fill the
data directory, whatever the process is (the broker and the store write no files of our
choosing)."""

from __future__ import annotations

import logging
import threading
from logging.handlers import RotatingFileHandler
from pathlib import Path
from typing import IO


class LogFile:
    def __init__(self, path: Path, max_bytes: int, backups: int) -> None:
        self.path = path
        self._handler = RotatingFileHandler(
            path, maxBytes=max_bytes, backupCount=backups, encoding="utf-8"
        )
        self._handler.setFormatter(logging.Formatter("%(message)s"))

    def write(self, line: str) -> None:
        self._handler.emit(logging.makeLogRecord({"msg": line}))

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
