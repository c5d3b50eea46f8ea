"""The outbox relay on the in-memory document store: one lease holder, standby replicas known
to it, the change stream that carries another replica's commits open only while one is
there, and pipelined publishes that keep their order when Kafka refuses one."""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta
from typing import Any, cast

import pytest
from pymongo import AsyncMongoClient

from shared.contracts import Payload
from shared.mongo import Database, Document, transaction
from shared.outbox import Outbox, OutboxRelay, RelayLease

TOPIC = "organization.registered"


class Ping(Payload):
    n: int


class Broker:
    def __init__(self) -> None:
        self.sent: list[bytes] = []

    async def publish(self, body: bytes, **_: Any) -> asyncio.Future[None]:
        self.sent.append(body)
        taken: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        taken.set_result(None)  # Kafka's ack
        return taken


class Admin:
    async def ensure_topics(self, topics: list[str]) -> None:
        return None

    async def cluster_id(self) -> str:
        return "cluster-1"

    async def committed(
        self, group: str, partitions: list[tuple[str, int]]
    ) -> dict[tuple[str, int], int]:
        return {}


async def test_the_holder_learns_of_a_standby_replica(database: Database) -> None:
    holder, other = RelayLease(database, seconds=0.4), RelayLease(database, seconds=0.4)
    assert await holder.hold()
    assert holder.shared is False  # alone so far
    assert not await other.hold()
    await asyncio.sleep(0.25)  # past half the lease: the holder renews and looks again
    assert await holder.hold()
    assert holder.shared is True


async def test_a_standby_replica_is_forgotten_when_it_stops_saying_so(database: Database) -> None:
    holder, other = RelayLease(database, seconds=0.4), RelayLease(database, seconds=0.4)
    assert await holder.hold()
    assert not await other.hold()
    await asyncio.sleep(0.5)  # the standby went away (no renewal) and its mark lapsed
    assert await holder.hold()
    assert holder.shared is False


async def test_another_replicas_commit_wakes_the_relay_before_its_poll(
    mongo: AsyncMongoClient[Document], database: Database
) -> None:
    """Two replicas of a service, one outbox: the standby's commit reaches Kafka through the
    holder's relay, woken by the change stream, long before its poll (30 s here)."""
    first, standby = RelayLease(database, seconds=60), RelayLease(database, seconds=60)
    assert await first.hold()
    assert not await standby.hold()  # the standby is known from now on
    await database["outbox_lease"].delete_one({"_id": "relay"})  # the first holder is gone

    mine, theirs = Outbox(mongo, database, "test"), Outbox(mongo, database, "test")
    lease, broker = RelayLease(database, seconds=60), Broker()
    relay = OutboxRelay(mine, cast(Any, broker), Admin(), 30.0, timedelta(minutes=5), lease=lease)
    running = asyncio.create_task(relay.run())
    try:
        await asyncio.sleep(1.0)  # the relay takes the lease, sees the standby, opens a stream
        assert lease.shared
        async with transaction(mongo) as session:  # not this process: no in-process wake-up
            await theirs.add(session, TOPIC, "org_1", Ping(n=1))
        for _ in range(100):
            if broker.sent:
                break
            await asyncio.sleep(0.05)
        assert len(broker.sent) == 1
    finally:
        running.cancel()
        await asyncio.gather(running, return_exceptions=True)


async def test_alone_the_relay_opens_no_change_stream(
    mongo: AsyncMongoClient[Document], database: Database
) -> None:
    lease = RelayLease(database, seconds=60)
    relay = OutboxRelay(
        Outbox(mongo, database, "test"),
        cast(Any, Broker()),
        Admin(),
        30.0,
        timedelta(minutes=5),
        lease=lease,
    )
    running = asyncio.create_task(relay.run())
    try:
        await asyncio.sleep(0.5)
        assert lease.shared is False
        names = {t.get_name() for t in asyncio.all_tasks()}
        assert "outbox-change-stream" not in names
    finally:
        running.cancel()
        await asyncio.gather(running, return_exceptions=True)


class RefusesOnce(Broker):
    """Kafka that refuses the second event of the first batch once (its ack fails)."""

    def __init__(self) -> None:
        super().__init__()
        self.refused = False

    async def publish(self, body: bytes, **kw: Any) -> asyncio.Future[None]:
        if not kw.get("no_confirm"):  # the careful path: one event, awaited
            return await super().publish(body)
        ack: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        if b'"n":1' in body and not self.refused:
            self.refused = True
            ack.set_exception(ConnectionError("not the leader"))
        else:
            self.sent.append(body)
            ack.set_result(None)
        return ack


async def test_a_refused_event_is_sent_again_before_the_ones_after_it(
    mongo: AsyncMongoClient[Document], database: Database
) -> None:
    outbox, broker = Outbox(mongo, database, "test"), RefusesOnce()
    async with transaction(mongo) as session:
        await outbox.add_many(session, [(TOPIC, "org_1", Ping(n=n)) for n in range(4)])
    relay = OutboxRelay(outbox, cast(Any, broker), Admin(), 30.0, timedelta(minutes=5))
    assert await relay.publish_pending() == 2  # the first, then the refused one on its own
    assert await relay.publish_pending() == 2  # the rest, once more (consumers drop repeats)
    assert await relay.publish_pending() == 0
    numbers = [Ping.model_validate_json(body).n for body in broker.sent]
    # whatever Kafka took after the refused one is sent again after it: the last copies are
    # in order, and the consumers' processed ids drop the earlier ones
    assert numbers == [0, 2, 3, 1, 2, 3]


class SteppedClock:
    """The `time` module as a process whose wall clock was stepped sees it: `time()` off by
    `offset` seconds, the monotonic clock untouched."""

    def __init__(self, offset: float) -> None:
        self.offset = offset

    def time(self) -> float:
        return time.time() + self.offset

    def monotonic(self) -> float:
        return time.monotonic()

    def time_ns(self) -> int:
        return int(self.time() * 1e9)


async def test_a_holder_whose_clock_went_a_day_ahead_and_back_leaves_no_lease_behind(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """It renewed while a day ahead, then died: the next replica takes over once the lease
    lapses, not a day later."""
    clock = SteppedClock(86_400.0)
    monkeypatch.setattr("shared.outbox.time", clock)
    first, second = RelayLease(database, seconds=0.4), RelayLease(database, seconds=0.4)
    assert await first.hold()
    await asyncio.sleep(0.25)
    assert await first.hold()  # renewed a day ahead
    clock.offset = 0.0  # the clock comes back, and the holder dies
    assert not await second.hold()
    await asyncio.sleep(0.5)
    assert await second.hold()


async def test_a_holder_whose_clock_stepped_back_keeps_renewing_its_lease(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ten minutes back, it still renews on time: another replica never takes the lease from
    a live holder (two relays would publish at once)."""
    clock = SteppedClock(0.0)
    monkeypatch.setattr("shared.outbox.time", clock)
    holder, other = RelayLease(database, seconds=0.4), RelayLease(database, seconds=0.4)
    assert await holder.hold()
    for _ in range(6):  # 1.2 s: three lease lengths
        await asyncio.sleep(0.2)
        clock.offset = -600.0  # the holder's clock is 10 minutes back
        assert await holder.hold()
        clock.offset = 0.0  # the other replica's is right
        assert not await other.hold()
