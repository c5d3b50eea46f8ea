"""Health that tells the truth and serves what it can.

- The store's check is a real round trip, a small write and its read-back in a scratch
  collection within a short timeout, not a `ping`: a store whose engine has panicked (a disk
  that filled) still answers `ping` and fails every write. The runner (deploy/stack.py) uses
  the same check to notice a jammed store.
- A service is ready while it can answer its own HTTP API: while its store answers. A broker
  that cannot be reached leaves it ready (writes go to the outbox, reads to the store) and
  shows as `degraded` in the body, a log line and the `commonweave.dependency.up` gauge;
  a consumer group still joining likewise.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import uuid
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import pymongo
from opentelemetry.instrumentation.utils import suppress_instrumentation
from opentelemetry.metrics import CallbackOptions, Observation

from shared.disk import DiskWatch
from shared.events import utcnow
from shared.metrics import meter
from shared.mongo import Database, Document

log = logging.getLogger(__name__)

SCRATCH = "health_checks"
DEPENDENCY_UP = "commonweave.dependency.up"
OK = "ok"
# What a started service has: its store, its broker, its consumer group joined (the runner's
# "up" waits for these; readiness needs only the store)
STARTED = ("mongo", "kafka", "consumers")


def probe_id() -> str:
    """One scratch document per process: the check rewrites it, so the collection never grows."""
    return f"{socket.gethostname()}:{os.getpid()}"


async def store_round_trip(db: Database, within: float) -> None:
    """Writes a fresh nonce into the scratch collection and reads it back, within `within`
    seconds; raises when the store cannot do that (an error, a timeout, a wrong answer).
    Checks that overlap in one process (the gateway's `/health` and the runner's poll can ask
    at once) share one round trip: two would race on the process's one scratch document, and
    the first could read the second's nonce and report a store that lies."""
    loop, key = asyncio.get_running_loop(), (id(db.client), db.name)
    shared = _in_flight.get(key)
    if shared is None or shared.done() or shared.get_loop() is not loop:
        shared = loop.create_task(_round_trip(db, within))
        _in_flight[key] = shared
    await asyncio.shield(shared)  # one asker's timeout does not cancel the others' check


_in_flight: dict[tuple[int, str], asyncio.Task[None]] = {}


async def _round_trip(db: Database, within: float) -> None:
    nonce, key = uuid.uuid4().hex, probe_id()
    with suppress_instrumentation(), pymongo.timeout(within):
        scratch = db[SCRATCH]
        await scratch.replace_one({"_id": key}, {"nonce": nonce, "at": utcnow()}, upsert=True)
        found: Document | None = await scratch.find_one({"_id": key})
    if found is None or found.get("nonce") != nonce:
        raise RuntimeError(f"the store did not read back its own write ({found!r})")


async def check(probe: Awaitable[Any], within: float) -> str:
    """`ok`, or why not, within `within` seconds whatever the probe does."""
    try:
        result = await asyncio.wait_for(probe, within)
    except TimeoutError:
        return f"down: no answer within {within:g}s"
    except Exception as exc:
        return f"down: {type(exc).__name__}: {exc}"[:300]
    return OK if result is not False else "down: no answer"


@dataclass
class Dependencies:
    """The last state of each dependency of one service, for the log and the gauge: a change
    is logged once (not on every probe), and the gauge reads 1 (up) or 0."""

    service: str
    states: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        meter().create_observable_gauge(
            DEPENDENCY_UP,
            callbacks=[self._observe],
            description="1 while the dependency answers the service's health check, else 0",
        )

    def _observe(self, _: CallbackOptions) -> Iterable[Observation]:
        for name, state in self.states.items():
            up = 1 if state in (OK, "joined") else 0
            yield Observation(up, {"service": self.service, "dependency": name})

    def record(self, checks: dict[str, str]) -> None:
        for name, state in checks.items():
            was = self.states.get(name)
            self.states[name] = state
            if was is None or (was == OK) == (state == OK) or name not in CONSEQUENCE:
                continue
            if state == OK:
                log.warning("%s: %s is back", self.service, name)
            else:
                log.warning("%s: %s %s; %s", self.service, name, state, CONSEQUENCE.get(name, ""))


CONSEQUENCE = {
    "kafka": "still ready: writes wait in the outbox, reads are served from the store",
    "mongo": "not ready: the service cannot answer its API until the store is back",
    "storage": "writes are refused until space is freed; reads go on",
}


@dataclass
class Readiness:
    """The checks behind a service's `/health/ready`."""

    service: str
    db: Database
    broker_ping: Callable[[float], Awaitable[bool]]
    joined: asyncio.Event
    disk: DiskWatch
    timeout: float
    dependencies: Dependencies = field(init=False)

    def __post_init__(self) -> None:
        self.dependencies = Dependencies(self.service)

    async def checks(self) -> dict[str, str]:
        store, broker = await asyncio.gather(
            check(store_round_trip(self.db, self.timeout), self.timeout),
            check(self.broker_ping(self.timeout), self.timeout),
        )
        found = {
            "mongo": store,
            "kafka": broker,
            "consumers": OK if self.joined.is_set() else "joining",
            "storage": self.disk.state().summary,
        }
        self.dependencies.record(found)
        return found

    async def answer(self) -> tuple[int, dict[str, Any]]:
        """HTTP status and body: 200 while the store answers (degraded when something else is
        not ok), 503 when it does not."""
        found = await self.checks()
        # storage "low" is a warning; "full" (writes refused) is degraded
        fine = all(found[k] == OK for k in STARTED) and not self.disk.state().full
        status = OK if fine else "degraded"
        ready = found["mongo"] == OK
        body = {
            "service": self.service,
            "status": status if ready else "unavailable",
            "dependencies": found,
        }
        return (200 if ready else 503), body

    async def watch(self, every: float = 5.0) -> None:
        """Checks on its own every `every` seconds (a background task), so an outage is logged
        and measured even where nothing probes the service."""
        while True:
            await self.checks()
            await asyncio.sleep(every)
