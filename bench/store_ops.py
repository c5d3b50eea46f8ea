"""Store operations as the document store counts them itself: `serverStatus` opcounters (insert,
query, update, delete, getmore, command: every request a driver sends, commits and pings
included) and `top`'s per-collection counts, read before and after a load so a bench can say
how many operations one user action costs and on which collections."""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from pymongo import MongoClient

BUCKETS = ("insert", "query", "update", "delete", "getmore", "command")


@dataclass
class Ops:
    buckets: Counter[str] = field(default_factory=Counter)
    collections: Counter[str] = field(default_factory=Counter)  # "db.collection" -> count

    def __sub__(self, other: Ops) -> Ops:
        return Ops(self.buckets - other.buckets, self.collections - other.collections)

    def scaled(self, factor: float) -> Ops:
        return Ops(
            Counter({k: round(v * factor) for k, v in self.buckets.items()}),
            Counter({k: round(v * factor) for k, v in self.collections.items()}),
        )

    @property
    def total(self) -> int:
        return sum(self.buckets.values())


def read(url: str) -> Ops:
    """The store's counters now (the two commands that read them count too, a few per read)."""
    client: MongoClient[dict[str, Any]]
    with MongoClient(url) as client:
        status = client.admin.command("serverStatus")
        top = client.admin.command("top")
    counters = status.get("opcounters", {})
    collections = Counter(
        {ns: int(v["total"]["count"]) for ns, v in top.get("totals", {}).items() if "." in ns}
    )
    return Ops(Counter({b: int(counters.get(b, 0)) for b in BUCKETS}), collections)


@dataclass
class Idle:
    """What the stack does doing nothing (its relays' and schedulers' polls), to take off."""

    ops: Ops
    seconds: float

    @property
    def rate(self) -> float:
        return self.ops.total / self.seconds

    def over(self, seconds: float) -> Ops:
        return self.ops.scaled(seconds / self.seconds)


def idle(url: str, seconds: float = 3.0) -> Idle:
    first, began = read(url), time.perf_counter()
    time.sleep(seconds)
    return Idle(read(url) - first, time.perf_counter() - began)


def settle(url: str, idle: float, at_most: float = 120.0) -> Ops:
    """Waits until the store is back to its idle rate (the consumers have worked off what a
    load queued), at most `at_most` seconds; answers the counters then."""
    last, began = read(url), time.perf_counter()
    while time.perf_counter() - began < at_most:
        time.sleep(1.0)
        now = read(url)
        if (now - last).total < idle * 1.5 + 10:
            return now
        last = now
    return last


def report(ops: Ops, per: int, what: str = "registration", most: int = 25) -> None:
    """Prints the operations per `what` by kind, then the busiest collections."""
    if per <= 0:
        return
    kinds = ", ".join(f"{b} {ops.buckets[b] / per:.1f}" for b in BUCKETS if ops.buckets[b])
    print(f"  store operations per {what}: {ops.total / per:.1f} ({kinds})")
    for ns, count in ops.collections.most_common(most):
        print(f"    {ns:<44} {count / per:5.1f}")
