"""A lane's batch of events in one transaction, on the in-memory document store (a real
MongoDB-protocol server) with the commands it receives counted: a batch costs the same few
commands however many events it holds, a redelivered batch has no second effect, and an event
that fails (or waits for something not known yet) is split out and handled alone, as before,
without failing the rest. The broker is a stand-in that keeps what is sent to the DLQ (the
integration tests, tests/integration/platform/test_consumer_batches.py, use the real one)."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, cast

import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from pymongo import AsyncMongoClient, monitoring
from pymongo.errors import DuplicateKeyError

from shared.consumer import PARKED, EventConsumer, NotYetKnown
from shared.consumer_batch import first_of_each
from shared.consumer_delivery import Delivery, Parsed
from shared.contracts import MatchDeclined, Payload
from shared.events import Envelope, utcnow
from shared.mongo import Database, Document
from shared.outbox import OUTBOX, Outbox
from shared.unit_of_work import PROCESSED, MongoUnitOfWork, UnitOfWork

TOPIC = "ping.sent"


class Ping(Payload):
    n: int


class Commands(monitoring.CommandListener):
    """The commands the store received, by name."""

    def __init__(self) -> None:
        self.names: Counter[str] = Counter()

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        self.names[event.command_name] += 1

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        return None

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        return None


@dataclass
class Broker:
    """Keeps what the consumer publishes (its DLQ messages)."""

    sent: list[tuple[str, bytes, dict[str, str]]] = field(default_factory=list)

    async def publish(
        self, body: bytes, *, topic: str, key: bytes | None, headers: dict[str, str]
    ) -> None:
        self.sent.append((topic, body, headers))


@dataclass
class Setup:
    consumer: EventConsumer
    database: Database
    commands: Commands
    broker: Broker
    spans: InMemorySpanExporter
    handled: list[int] = field(default_factory=list)


@pytest.fixture
async def setup(document_store_url: str) -> AsyncIterator[Setup]:
    commands = Commands()
    client: AsyncMongoClient[Document] = AsyncMongoClient(
        document_store_url, tz_aware=True, event_listeners=[commands]
    )
    database = client[f"test_{uuid.uuid4().hex[:12]}"]
    broker = Broker()
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    consumer = EventConsumer(
        cast(Any, broker),
        Outbox(client, database, "test"),
        "notifications",
        max_attempts=2,
        tracer_provider=provider,
    )
    found = Setup(consumer, database, commands, broker, exporter)

    async def handle(payload: Ping, envelope: Envelope, uow: UnitOfWork) -> None:
        if envelope.subject == "org_failing":
            raise RuntimeError("a bug in the handler")
        if envelope.subject == "org_waiting":
            raise NotYetKnown("organization org_later not registered yet", ["org_later"])
        found.handled.append(payload.n)
        declined = MatchDeclined(
            match_id=f"mat_{payload.n}", network_id="net_1", parties=[], declined_by="org_1"
        )
        await uow.publish(declined, f"mat_{payload.n}", f"out_{envelope.id}")

    consumer.subscribe(TOPIC, handle, Ping)
    await database[PROCESSED].insert_one({"_id": "warm-up"})  # collections exist
    await database[OUTBOX].insert_one({"_id": "warm-up", "sent_at": utcnow()})
    await database[PARKED].insert_one({"_id": "warm-up", "next_at": utcnow()})
    await database[PARKED].delete_one({"_id": "warm-up"})
    try:
        yield found
    finally:
        await client.drop_database(database.name)
        await client.close()
        provider.shutdown()


def deliveries(subjects: list[str], ids: list[str] | None = None) -> list[Delivery]:
    found = []
    for n, subject in enumerate(subjects):
        event_id = ids[n] if ids else f"ev_{uuid.uuid4().hex[:8]}"
        headers = Envelope(source="test", type=TOPIC, subject=subject, id=event_id).to_headers()
        found.append(Delivery(TOPIC, f'{{"n": {n}}}'.encode(), headers, subject.encode(), 0, n))
    return found


async def published(database: Database) -> list[Document]:
    return await database[OUTBOX].find({"_id": {"$ne": "warm-up"}}).sort("seq", 1).to_list()


async def test_a_batch_is_one_transaction_of_a_few_commands_however_many_events(
    setup: Setup,
) -> None:
    # the outbox reads its newest pending event once per process: in this first batch
    await setup.consumer.process_batch(deliveries(["org_a", "org_b"]))
    setup.handled.clear()
    batch = deliveries([f"org_{n}" for n in range(20)])
    setup.commands.names.clear()
    await setup.consumer.process_batch(batch)

    assert setup.handled == list(range(20))
    assert setup.commands.names == {
        "find": 1,  # which were processed before
        "insert": 2,  # the processed ids, then the outbox's twenty events
        "commitTransaction": 1,
    }
    assert await setup.database[PROCESSED].count_documents({}) == 23  # with the warm-ups'
    events = (await published(setup.database))[2:]
    assert [e["_id"] for e in events] == [f"out_{d.headers['ce_id']}" for d in batch]  # in order


async def test_each_event_of_a_batch_keeps_its_own_trace(setup: Setup) -> None:
    """The handlers' publishes are held to the commit, and each keeps the trace of the event
    whose handler published it: one user action stays one trace."""
    batch = deliveries(["org_a", "org_b"])
    traceparents = [
        "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
    ]
    batch = [
        Delivery(d.topic, d.body, {**d.headers, "traceparent": t}, d.key, d.partition, d.offset)
        for d, t in zip(batch, traceparents, strict=True)
    ]
    await setup.consumer.process_batch(batch)

    events = await published(setup.database)
    traces = [e["trace"]["traceparent"].split("-")[1] for e in events]
    assert traces == [t.split("-")[1] for t in traceparents]
    processes = [s for s in setup.spans.get_finished_spans() if s.name == f"{TOPIC} process"]
    assert sorted(f"{s.context.trace_id:032x}" for s in processes) == sorted(traces)
    for span in processes:
        attributes = span.attributes or {}
        assert attributes["messaging.consumer.group.name"] == "notifications"
        assert str(attributes["messaging.message.id"]).startswith("ev_")


async def test_a_redelivered_batch_has_no_second_effect(setup: Setup) -> None:
    batch = deliveries([f"org_{n}" for n in range(5)])
    await setup.consumer.process_batch(batch)
    # the same events again, two of them twice in the batch, with one new one
    again = [*batch, batch[0], batch[3], *deliveries(["org_new"])]
    setup.handled.clear()
    setup.commands.names.clear()
    await setup.consumer.process_batch(again)

    assert setup.handled == [0]  # only the new one (its body says n=0)
    assert setup.commands.names["commitTransaction"] == 1
    assert len(await published(setup.database)) == 6


async def test_a_failing_event_goes_to_the_dlq_alone_and_the_rest_land(setup: Setup) -> None:
    """The batch is split where its handler failed: the five before it in one transaction,
    it alone (tried twice, then the DLQ), the four after it in another."""
    batch = deliveries([*(f"org_{n}" for n in range(5)), "org_failing", "org_6", "org_7"])
    batch += deliveries(["org_8", "org_9"])
    poison = Delivery(TOPIC, b'{"n": "not a number"}', batch[0].headers | {"ce_id": "ev_p"}, None)
    failing = batch[5].headers["ce_id"]
    setup.commands.names.clear()
    await setup.consumer.process_batch([*batch[:3], poison, *batch[3:]])

    # the first five ran in the batch's transaction, which the sixth aborted, then again
    assert setup.handled == [0, 1, 2, 3, 4, 0, 1, 2, 3, 4, 6, 7, 0, 1]
    assert setup.commands.names["commitTransaction"] == 2
    dead = {
        (topic, headers["ce_id"]): headers["dlq_reason"] for topic, _, headers in setup.broker.sent
    }
    assert set(dead) == {(f"{TOPIC}.dlq", failing), (f"{TOPIC}.dlq", "ev_p")}
    assert dead[(f"{TOPIC}.dlq", "ev_p")].startswith("unparseable event")
    assert "failed after 2 attempts" in dead[(f"{TOPIC}.dlq", failing)]
    ids = [e["_id"] for e in await published(setup.database)]
    assert ids == [f"out_{d.headers['ce_id']}" for d in batch if d.headers["ce_id"] != failing]
    keys = {f"notifications:{d.headers['ce_id']}" for d in batch}
    recorded = await setup.database[PROCESSED].count_documents({"_id": {"$in": sorted(keys)}})
    assert recorded == 9  # the failing one's id is not recorded: nothing of it was written


async def test_an_event_not_known_yet_is_parked_and_the_rest_handled(setup: Setup) -> None:
    batch = deliveries(["org_1", "org_waiting", "org_3"])
    await setup.consumer.process_batch(batch)

    assert setup.handled == [0, 0, 2]  # the first again after the batch's abort
    assert len(await published(setup.database)) == 2
    [parked] = await setup.database[PARKED].find().to_list()
    assert parked["_id"] == f"notifications:{batch[1].headers['ce_id']}"
    assert parked["waiting_for"] == ["org_later"]
    assert setup.broker.sent == []


async def test_the_parked_loop_sleeps_until_the_earliest_is_due_not_a_fixed_poll(
    setup: Setup,
) -> None:
    """An event parked without a named prerequisite is due in half a second; the loop, told
    to wait at most 30 s, wakes for it then, and between looks sends the store nothing."""
    tried: list[float] = []
    loop = asyncio.get_running_loop()

    async def process(delivery: Delivery, parked: Document) -> None:
        tried.append(loop.time())
        await setup.database[PARKED].delete_one({"_id": parked["_id"]})

    start = loop.time()
    await setup.database[PARKED].insert_one(
        {
            "_id": "notifications:ev_due",
            "topic": TOPIC,
            "body": b'{"n": 1}',
            "headers": {},
            "key": None,
            "next_at": utcnow() + timedelta(seconds=0.6),
        }
    )
    running = asyncio.create_task(setup.consumer.parking.run(process, longest_wait=30))
    try:
        await asyncio.sleep(0.2)  # it looked, found nothing due, and sleeps until it is
        setup.commands.names.clear()
        for _ in range(40):
            if tried:
                break
            await asyncio.sleep(0.05)
        assert tried and 0.5 < tried[0] - start < 1.5
        await asyncio.sleep(0.2)  # it has looked for the next one
        looks = setup.commands.names["find"]
        await asyncio.sleep(1.0)  # nothing parked: it sleeps (30 s), it does not poll
        assert setup.commands.names["find"] == looks
    finally:
        running.cancel()
        await asyncio.gather(running, return_exceptions=True)


def test_an_event_twice_in_a_batch_is_kept_once_in_its_first_place() -> None:
    def parsed(event_id: str) -> Parsed:
        envelope = Envelope(source="test", type=TOPIC, subject="org_1", id=event_id)
        return Parsed(Delivery(TOPIC, b"{}", {}, None), Ping(n=0), envelope, None)

    batch = [parsed("a"), parsed("b"), parsed("a"), parsed("c"), parsed("b")]
    kept, repeats = first_of_each(batch, "notifications")
    assert [p.envelope.id for p in kept] == ["a", "b", "c"]
    assert [p.envelope.id for p in repeats] == ["a", "b"]


async def test_held_publishes_that_fail_at_the_commit_leave_nothing_written(
    mongo: AsyncMongoClient[Document], database: Database
) -> None:
    """A held publish whose event id is taken fails the unit of work at its end: the
    transaction is aborted, so the write beside it is not there either."""
    uow = MongoUnitOfWork(Outbox(mongo, database, "test"))
    declined = MatchDeclined(match_id="mat_1", network_id="net_1", parties=[], declined_by="o")
    async with uow:
        await uow.publish(declined, "mat_1", "ev_taken")
    uow.hold_publishes()
    with pytest.raises(DuplicateKeyError):
        async with uow:
            await database["effects"].insert_one({"_id": "e"}, session=uow.open_session)
            envelope = await uow.publish(declined, "mat_1", "ev_taken")
            assert envelope.id == "ev_taken"  # answered at once, written at the end
    assert await database["effects"].count_documents({}) == 0
    assert await database[OUTBOX].count_documents({}) == 1
