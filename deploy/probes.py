"""The runner's health checks, one per kind of component, each a real round trip within a
timeout: the store writes and reads back a document (`shared.health.store_round_trip`, the
check the services' readiness makes), the broker answers a metadata request on its own
listener (not through anything in between, so a cut proxy is not taken for a jammed broker),
and a service answers HTTP on `/health/live` (any answer: the process works). A process that is
paused or jammed fails; one whose dependencies are away does not. A round that proves nothing
(the runner itself starved of CPU, or everything failing at once) is not counted."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping

import httpx
from aiokafka.conn import create_conn
from aiokafka.protocol.metadata import MetadataRequest
from pymongo import AsyncMongoClient

from shared.health import check, store_round_trip


async def broker_answers(host: str, port: int, within: float) -> None:
    conn = await create_conn(host, port, request_timeout_ms=int(within * 1000))
    try:
        await conn.send(MetadataRequest([]))  # the brokers, no topics
    finally:
        conn.close()


async def store_answers(host: str, port: int, database: str, within: float) -> None:
    client: AsyncMongoClient[dict[str, object]] = AsyncMongoClient(
        host,
        port,
        directConnection=True,
        retryWrites=False,  # one probe, one attempt (and no retryable-write record: stack.py)
        serverSelectionTimeoutMS=int(within * 1000),
        connectTimeoutMS=int(within * 1000),
    )
    try:
        await store_round_trip(client[database], within)
    finally:
        await client.close()


async def service_answers(url: str, within: float) -> None:
    async with httpx.AsyncClient(timeout=within, verify=False) as http:  # plain HTTP: no CA
        await http.get(url)  # any status: the process answers


Probe = Callable[[], Awaitable[None]]


# How late this process's own event loop may run before a round of checks proves nothing
STARVED_SECONDS = 1.0


async def loop_lag(step: float = 0.05) -> float:
    """How much later than asked the event loop ran a short sleep: while this process waits
    for a CPU (a machine busy with many processes), a timeout says nothing of the component."""
    began = time.monotonic()
    await asyncio.sleep(step)
    return time.monotonic() - began - step


def run_probes(probes: Mapping[str, Probe], within: float) -> dict[str, str] | None:
    """Every probe at once, each "ok" or why not within `within` seconds (plus a margin); None
    when the round proves nothing: this process was itself starved of CPU meanwhile, or every
    component failed at once (the fault is on this side, or the whole machine's)."""

    async def all_of() -> tuple[list[str], float]:
        # the lag before and after the round, not during it: the probes' own work (clients
        # made, connections opened) would count as this process waiting for CPU
        before = await loop_lag()
        found = await asyncio.gather(*(check(probe(), within + 0.5) for probe in probes.values()))
        return found, max(before, await loop_lag())

    found, lag = asyncio.run(all_of())
    return dict(zip(probes, found, strict=True)) if proves_something(found, lag) else None


def proves_something(found: list[str], lag: float) -> bool:
    """Whether a round's results say anything of the components (see `run_probes`)."""
    return lag <= STARVED_SECONDS and (len(found) < 2 or any(r == "ok" for r in found))
