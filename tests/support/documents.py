"""A real MongoDB-protocol server for fast tests of the use cases: one SecantusDB process in
memory (it runs transactions as the stack's does), a fresh database per test, and the events
a use case left in its outbox."""

from __future__ import annotations

import json
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from deploy.stack import document_store_command
from shared.mongo import Database
from shared.outbox import OUTBOX
from tests.support.stack import free_port


@contextmanager
def document_store(
    storage: str = ":memory:",
    start_timeout: float = 30.0,
    pids: list[int] | None = None,
    server: list[str] | None = None,
) -> Iterator[str]:
    """A SecantusDB server on a free port, storing in memory (or in the directory named);
    yields its URL (and appends its process id to `pids`, for a test that pauses it).
    `server`: another command than the stack's (deploy.stack.document_store_command)."""
    port = free_port()
    command = document_store_command(storage, "127.0.0.1", port, server)
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    if pids is not None:
        pids.append(process.pid)
    try:
        deadline = time.monotonic() + start_timeout
        while True:
            if process.poll() is not None:
                error = process.stderr.read().decode() if process.stderr else ""
                raise RuntimeError(f"the document store exited at start-up: {error}")
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError("the document store did not listen in time") from None
                time.sleep(0.05)
        yield f"mongodb://127.0.0.1:{port}"
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@dataclass(frozen=True)
class Event:
    """An event as a use case left it in the outbox."""

    type: str
    subject: str
    data: dict[str, Any]


async def outbox_events(db: Database) -> list[Event]:
    """Every event in the outbox, in publishing order."""
    docs = await db[OUTBOX].find({}).sort("seq", 1).to_list()
    return [Event(d["headers"]["ce_type"], d["key"], json.loads(d["body"])) for d in docs]
