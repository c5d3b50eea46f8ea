"""The relay sends pending events in the order they were written, even when the wall clock
steps back between two writes (NTP, a resumed VM) or a process restarts on a clock behind the
one that wrote the events still pending."""

from __future__ import annotations

from datetime import timedelta

from pymongo import AsyncMongoClient

from shared.contracts import Payload
from shared.mongo import Database, Document, ensure_indexes, transaction
from shared.outbox import Outbox, outbox_indexes

TEN_MINUTES_NS = 600 * 10**9


class Ping(Payload):
    n: int


class SteppedClock:
    def __init__(self) -> None:
        self.ns = 1_800_000_000 * 10**9

    def __call__(self) -> int:
        return self.ns


async def write(outbox: Outbox, n: int) -> None:
    async with transaction(outbox.client) as session:
        await outbox.add_many(session, [("organization.updated", "org_1", Ping(n=n))])


async def pending_order(outbox: Outbox) -> list[int]:
    return [Ping.model_validate_json(doc["body"]).n for doc in await outbox.pending(100)]


async def test_an_event_written_after_the_clock_stepped_back_is_still_sent_after(
    mongo: AsyncMongoClient[Document], database: Database
) -> None:
    await ensure_indexes(database, outbox_indexes(timedelta(hours=1)))
    clock = SteppedClock()
    outbox = Outbox(mongo, database, "test", now_ns=clock)
    await write(outbox, 1)
    clock.ns -= TEN_MINUTES_NS
    await write(outbox, 2)
    await write(outbox, 3)
    assert await pending_order(outbox) == [1, 2, 3]


async def test_a_process_started_on_a_clock_behind_sends_its_events_after_those_pending(
    mongo: AsyncMongoClient[Document], database: Database
) -> None:
    await ensure_indexes(database, outbox_indexes(timedelta(hours=1)))
    clock = SteppedClock()
    await write(Outbox(mongo, database, "test", now_ns=clock), 1)
    clock.ns -= TEN_MINUTES_NS  # the next process starts on a clock 10 minutes behind
    restarted = Outbox(mongo, database, "test", now_ns=clock)
    await write(restarted, 2)
    assert await pending_order(restarted) == [1, 2]
