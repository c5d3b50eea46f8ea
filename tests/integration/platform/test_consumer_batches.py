"""The consumer's batches on the real broker and document store: a probe service's lane, its
own topic, events produced before it starts so that its first `getmany` takes many at once.
A batch's events have their effects once, in fewer transactions than events; the same
events again have no second effect; a failing and an unparseable event go to the DLQ while
the others' effects land; an event whose prerequisite has not come yet is parked and the rest
handled, and it is handled when its prerequisite comes. (The urgent lane still overtakes a
bulk backlog: test_consumer_lanes.py.)"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from aiokafka import AIOKafkaProducer
from opentelemetry.sdk.trace import TracerProvider

from deploy.stack import Stack
from shared.broker import BrokerAdmin, ensure_topics, kafka_broker
from shared.consumer import PARKED, EventConsumer, NotYetKnown, consumer_indexes
from shared.contracts import MatchDeclined, Payload
from shared.events import Envelope, dlq_topic, utcnow
from shared.mongo import Database, ensure_indexes, mongo_client
from shared.outbox import OUTBOX, Outbox
from tests.support.events import first_found

N = 40


class Ping(Payload):
    n: int


@dataclass
class Probe:
    """A service of the test's own: one lane on one topic; its handler writes an effect and
    publishes an event, both in the unit of work it is given."""

    stack: Stack
    service: str
    topic: str
    database: Database
    consumer: EventConsumer
    broker: Any
    # each handled event's unit of work (kept alive, so that their ids are distinct)
    units_of_work: list[Any] = field(default_factory=list)
    known: set[str] = field(default_factory=set)  # subjects "registered" (n < 0)

    async def produce(self, events: list[tuple[str, bytes, str]]) -> None:
        """Each (subject, body, event id), with one producer, as a relay sends a backlog."""
        producer = AIOKafkaProducer(
            bootstrap_servers=self.stack.settings.kafka_bootstrap, acks="all", linger_ms=20
        )
        await producer.start()
        try:
            sent = []
            for subject, body, event_id in events:
                envelope = Envelope(source="tests", type=self.topic, subject=subject, id=event_id)
                headers = [(k, v.encode()) for k, v in envelope.to_headers().items()]
                sent.append(
                    await producer.send(self.topic, body, key=subject.encode(), headers=headers)
                )
            await asyncio.gather(*sent)
        finally:
            await producer.stop()

    async def effects(self) -> dict[int, int]:
        """How many times each event's effect was stored, by its number."""
        found = await self.database["effects"].find().to_list()
        counts: dict[int, int] = {}
        for doc in found:
            counts[doc["n"]] = counts.get(doc["n"], 0) + 1
        return counts

    async def wait_for(self, done: Callable[[dict[int, int]], bool], within: float = 60) -> None:
        for _ in range(int(within / 0.2)):
            if done(await self.effects()):
                return
            await asyncio.sleep(0.2)
        raise AssertionError(f"not done within {within} s: {await self.effects()}")


def ping(n: int, subject: str | None = None) -> tuple[str, bytes, str]:
    return subject or f"org_{n}", Ping(n=n).model_dump_json().encode(), f"ev_{uuid.uuid4().hex}"


@pytest.fixture
async def probe(stack: Stack) -> AsyncIterator[Probe]:
    settings = stack.settings
    service, topic = f"batch{uuid.uuid4().hex[:6]}", f"batches.probe.{uuid.uuid4().hex[:6]}"
    await ensure_topics(settings, [topic, dlq_topic(topic)])
    client = mongo_client(settings)
    database = client[f"{settings.db_prefix}_{service}"]
    await ensure_indexes(database, consumer_indexes(timedelta(days=1)))
    broker = kafka_broker(settings, service, TracerProvider())
    consumer = EventConsumer(
        broker,
        Outbox(client, database, source="tests"),
        service,
        max_attempts=2,
        session_timeout_ms=settings.kafka_session_timeout_ms,
        urgent=frozenset(),
    )
    found = Probe(stack, service, topic, database, consumer, broker)

    async def handle(payload: Ping, envelope: Envelope, uow: Any) -> None:
        if envelope.subject == "org_failing":
            raise RuntimeError("a bug in the handler")
        if envelope.subject.startswith("org_waiting") and "org_later" not in found.known:
            raise NotYetKnown("organization org_later not registered yet", ["org_later"])
        if payload.n < 0:
            found.known.add(envelope.subject)
        found.units_of_work.append(uow)
        session = uow.open_session
        await uow.database["effects"].insert_one({"n": payload.n}, session=session)
        declined = MatchDeclined(
            match_id=f"mat_{payload.n}", network_id="net_1", parties=[], declined_by="org_1"
        )
        await uow.publish(declined, f"mat_{payload.n}")

    consumer.subscribe(topic, handle, Ping)
    admin = BrokerAdmin(settings)
    consumer.attach(admin.committed)
    try:
        yield found
    finally:
        await broker.stop()
        await admin.close()
        await client.drop_database(database.name)
        await client.close()


async def start(probe: Probe) -> asyncio.Task[None]:
    """Starts the probe's lane (and its parked events' loop, answered to be cancelled)."""
    await probe.broker.start()
    return asyncio.create_task(probe.consumer.retry_parked(longest_wait=30))


async def stop(task: asyncio.Task[None]) -> None:
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)


def dlq(probe: Probe) -> str:
    return dlq_topic(probe.topic)


async def test_a_batch_has_each_effect_once_in_fewer_transactions_and_again_none(
    probe: Probe,
) -> None:
    events = [ping(n) for n in range(N)]
    await probe.produce(events)
    parked = await start(probe)
    try:
        await probe.wait_for(lambda effects: len(effects) == N)
        assert await probe.effects() == {n: 1 for n in range(N)}
        # fewer units of work (transactions) than events: they came in batches
        batches = len({id(uow) for uow in probe.units_of_work})
        assert batches < N / 4, f"{batches} transactions for {N} events"
        assert await probe.database[OUTBOX].count_documents({}) == N

        # the same events again (a relay's replay, a redelivery): no second effect
        await probe.produce(events)
        await probe.produce([ping(N)])  # after them: once it is handled, they were too
        await probe.wait_for(lambda effects: N in effects)
        await asyncio.sleep(1)
        assert await probe.effects() == {n: 1 for n in range(N + 1)}
        assert await probe.database[OUTBOX].count_documents({}) == N + 1
    finally:
        await stop(parked)


async def test_a_failing_and_an_unparseable_event_go_to_the_dlq_and_the_rest_land(
    probe: Probe,
) -> None:
    marker = uuid.uuid4().hex
    failing = ping(1000, "org_failing")
    poison = ("org_poison", f'{{"n": "{marker}"}}'.encode(), f"ev_{marker}")
    events = [ping(n) for n in range(10)] + [failing, poison] + [ping(n) for n in range(10, 20)]
    await probe.produce(events)
    parked = await start(probe)
    try:
        await probe.wait_for(lambda effects: len(effects) == 20)

        def dead(record: Any) -> tuple[str, str] | None:
            headers = {k: v.decode() for k, v in record.headers}
            return headers["ce_id"], headers["dlq_reason"]

        found: dict[str, str] = {}
        for _ in range(10):
            found = dict(await first_found(probe.stack.settings.kafka_bootstrap, dlq(probe), dead))
            if len(found) == 2:
                break
            await asyncio.sleep(1)
        assert set(found) == {failing[2], poison[2]}
        assert found[poison[2]].startswith("unparseable event")
        assert found[failing[2]].startswith("failed after 2 attempts")
        assert await probe.effects() == {n: 1 for n in range(20)}
        assert await probe.database[OUTBOX].count_documents({}) == 20
    finally:
        await stop(parked)


async def test_an_event_not_known_yet_is_parked_the_rest_handled_and_it_later(
    probe: Probe,
) -> None:
    waiting = ping(500, "org_waiting")
    await probe.produce([ping(n) for n in range(10)] + [waiting] + [ping(n) for n in range(10, 20)])
    parked = await start(probe)
    try:
        await probe.wait_for(lambda effects: len(effects) == 20)
        assert 500 not in await probe.effects()
        [doc] = await probe.database[PARKED].find().to_list()
        assert doc["waiting_for"] == ["org_later"]

        while (doc["next_at"] - utcnow()).total_seconds() < 3:  # its timer far enough away
            await asyncio.sleep(0.5)
            doc = await probe.database[PARKED].find_one() or doc
        await probe.produce([ping(-1, "org_later")])  # its prerequisite
        await probe.wait_for(lambda effects: 500 in effects, within=20)
        # woken by the arrival, not by its backoff timer nor the loop's longest wait (30 s)
        assert utcnow() < doc["next_at"]
        assert await probe.database[PARKED].count_documents({}) == 0
        assert (await probe.effects())[500] == 1
    finally:
        await stop(parked)
