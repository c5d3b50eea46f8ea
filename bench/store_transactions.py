"""Transactions per second on the embedded store as concurrency grows: SecantusDB's own server
against the stack's (deploy/embedded_store.py, whose reaper of idle transactions does not
wait on running ones), each on a store of its own in a temporary directory with an fsync
per commit, as `make run` keeps it.

Each of `--clients` clients in each of `--processes` processes runs, for `--seconds`, the
shape of a consumed event: a transaction that records a processed id, reads a document, writes
a row and an outbox event.
Prints transactions per second, p50 and p99 per transaction, and the ratio.

    python -m bench.store_transactions [--clients 1,4,8] [--processes 5] [--seconds 10]"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from typing import Any

from pymongo import AsyncMongoClient, MongoClient
from pymongo.asynchronous.client_session import AsyncClientSession

from tests.support.documents import document_store

OWN_SERVER = [sys.executable, "-m", "secantus"]  # SecantusDB's `secantusd-py`


@contextmanager
def store(patched: bool) -> Iterator[str]:
    with tempfile.TemporaryDirectory(prefix="bench-store-") as directory:
        command = None if patched else OWN_SERVER
        with document_store(directory, server=command) as url:
            yield url


async def client_loop(client: AsyncMongoClient[Any], until: float, took: list[float]) -> None:
    db = client["bench"]

    async def consume(session: AsyncClientSession) -> None:
        event = uuid.uuid4().hex
        await db.processed.insert_one({"_id": event}, session=session)
        await db.profiles.find_one({"_id": event[:2]}, session=session)
        await db.rows.insert_one({"event": event, "n": 1}, session=session)
        await db.outbox.insert_one({"_id": event, "sent_at": None}, session=session)

    while time.monotonic() < until:
        began = time.perf_counter()
        async with client.start_session() as session:
            await session.with_transaction(consume)  # a write conflict runs it again
        took.append(time.perf_counter() - began)


async def clients_of_one_process(url: str, clients: int, until: float) -> list[float]:
    client: AsyncMongoClient[Any] = AsyncMongoClient(url, retryWrites=False)
    try:
        took: list[float] = []
        await asyncio.gather(*(client_loop(client, until, took) for _ in range(clients)))
        return took
    finally:
        await client.close()


def one_process(url: str, clients: int, until: float) -> list[float]:
    return asyncio.run(clients_of_one_process(url, clients, until))


def measure(url: str, clients: int, processes: int, seconds: float) -> tuple[float, float, float]:
    """Transactions per second, p50 and p99 in milliseconds, of `clients` concurrent
    transactions from each of `processes` processes (as the stack's five services are)."""
    with MongoClient[Any](url) as setup:
        setup.bench.profiles.insert_many([{"_id": f"{n:02x}"} for n in range(256)])
    until = time.monotonic() + seconds + 1.0  # the processes' start-up inside the second
    with ProcessPoolExecutor(processes) as pool:
        runs = [pool.submit(one_process, url, clients, until) for _ in range(processes)]
        took = sorted(t for run in runs for t in run.result())
    p99 = took[min(len(took) - 1, int(len(took) * 0.99))]
    return len(took) / seconds, statistics.median(took) * 1000, p99 * 1000


def arguments() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clients", default="1,4,8", help="concurrent clients per process")
    parser.add_argument("--processes", type=int, default=5, help="client processes")
    parser.add_argument("--seconds", type=float, default=10.0)
    return parser


def run(options: argparse.Namespace) -> None:
    levels = [int(n) for n in options.clients.split(",")]
    print(f"{'clients':>7} {'server':>22} {'tx/s':>8} {'p50 ms':>8} {'p99 ms':>9}")
    for clients in levels:
        rates = {}
        for patched in (False, True):
            with store(patched) as url:
                rate, p50, p99 = measure(url, clients, options.processes, options.seconds)
            rates[patched] = rate
            name = "the stack's (reaper)" if patched else "SecantusDB's own"
            print(f"{clients:>7} {name:>22} {rate:>8.1f} {p50:>8.1f} {p99:>9.1f}")
        ratio = rates[True] / rates[False] if rates[False] else float("inf")
        print(f"{clients:>7} the stack's store runs {ratio:.2f}x the transactions per second")


def main() -> None:
    run(arguments().parse_args())


if __name__ == "__main__":
    main()
