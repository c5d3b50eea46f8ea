"""The transactional outbox: an event is stored in the same MongoDB transaction as the state
change it announces, and a relay publishes it to Kafka (acks=all) until Kafka takes it.
Nothing is lost while Kafka is down; consumers are idempotent, so a re-publish is harmless."""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Protocol

from faststream.kafka import KafkaBroker
from opentelemetry import context, propagate
from opentelemetry.instrumentation.utils import suppress_instrumentation
from pymongo import ASCENDING, AsyncMongoClient, IndexModel
from pymongo.errors import DuplicateKeyError, OperationFailure, PyMongoError
from tenacity import AsyncRetrying, retry_if_exception_type, wait_exponential_jitter

from shared.contracts import Payload
from shared.events import Envelope, utcnow
from shared.logs import log_repeated
from shared.mongo import Database, Document, IndexSpec, Session, transaction
from shared.outbox_metrics import OutboxBacklog

log = logging.getLogger(__name__)

OUTBOX = "outbox"
RELAY_STATE = "outbox_relay"
# "The $changeStream stage is only supported on replica sets" and its kin (a standalone mongod)
CHANGE_STREAMS_UNSUPPORTED = {40573, 40324, 136}


def outbox_indexes(replay_window: timedelta) -> IndexSpec:
    """Pending events are read in order; sent ones expire once past the replay window."""
    return {
        OUTBOX: [
            IndexModel([("sent_at", ASCENDING), ("seq", ASCENDING)]),
            IndexModel(
                [("sent_at", ASCENDING)],
                name="sent_at_ttl",
                expireAfterSeconds=int(replay_window.total_seconds()),
            ),
        ]
    }


@dataclass
class Transaction:
    """A unit of work: writes go through `session`; events through `publish`."""

    session: Session
    outbox: Outbox

    async def publish(
        self, event_type: str, subject: str, data: Payload, event_id: str | None = None
    ) -> Envelope:
        """`event_id`, when given, makes the publish idempotent: a second event with the same
        id fails the transaction with DuplicateKeyError (the scheduler relies on this)."""
        return await self.outbox.add(self.session, event_type, subject, data, event_id)

    async def publish_many(self, events: list[tuple[str, str, Payload]]) -> list[Envelope]:
        """Many events in one write (bulk imports), published in this order."""
        return await self.outbox.add_many(self.session, events)


class Outbox:
    def __init__(
        self,
        client: AsyncMongoClient[Document],
        db: Database,
        source: str,
    ) -> None:
        self.client = client
        self.database = db
        self.events = db[OUTBOX]
        self.source = source
        self.wakeup = asyncio.Event()
        self.backlog = OutboxBacklog()  # what the relay last saw pending (the outbox metrics)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Transaction]:
        """The older form of a unit of work, kept while use cases move to
        `shared.unit_of_work`."""
        async with transaction(self.client) as session:
            yield Transaction(session, self)
        self.wakeup.set()  # committed: let the relay publish now rather than at its next poll

    async def add(
        self,
        session: Session,
        event_type: str,
        subject: str,
        data: Payload,
        event_id: str | None = None,
    ) -> Envelope:
        return (await self.add_many(session, [(event_type, subject, data)], [event_id]))[0]

    async def add_many(
        self,
        session: Session,
        events: list[tuple[str, str, Payload]],
        event_ids: list[str | None] | None = None,
    ) -> list[Envelope]:
        if not events:
            return []
        carrier: dict[str, str] = {}
        propagate.inject(carrier)  # the relay publishes later, inside this trace
        ids = event_ids or [None] * len(events)
        envelopes = [
            Envelope(source=self.source, type=t, subject=s, **({"id": i} if i else {}))
            for (t, s, _), i in zip(events, ids, strict=True)
        ]
        first_seq = time.time_ns()
        docs = [
            {
                "_id": envelope.id,
                "seq": first_seq + i,  # in the given order
                "topic": envelope.topic,
                "key": envelope.subject,
                "headers": envelope.to_headers(),
                "body": data.model_dump_json(),
                "trace": carrier,
                "sent_at": None,
            }
            for i, (envelope, (_, _, data)) in enumerate(zip(envelopes, events, strict=True))
        ]
        if len(docs) == 1:
            await self.events.insert_one(docs[0], session=session)
        else:
            await self.events.insert_many(docs, ordered=True, session=session)
        return envelopes

    async def pending(self, limit: int) -> list[Document]:
        # Polling is bookkeeping, not a user action: no trace per poll.
        with suppress_instrumentation():
            cursor = self.events.find({"sent_at": None}).sort("seq", ASCENDING).limit(limit)
            found = await cursor.to_list()
            await self.backlog.saw(self.events, found, limit)
            return found

    async def mark_sent(self, event_ids: list[str]) -> None:
        with suppress_instrumentation():
            await self.events.update_many(
                {"_id": {"$in": event_ids}}, {"$set": {"sent_at": utcnow()}}
            )


# The store's clock, in epoch milliseconds: a lease is judged by the one clock every replica
# shares, so a replica whose wall clock is stepped (back, or a day ahead and then back) neither
# takes a lease that is held nor leaves one that looks held for a day. (Numbers, not dates:
# SecantusDB compares dates in `$expr` wrongly; a lease of epoch seconds from an older
# version is below any of these, so it counts as lapsed.)
STORE_NOW_MS = {"$toLong": "$$NOW"}


def _store_now_plus(seconds: float) -> dict[str, Any]:
    return {"$add": [STORE_NOW_MS, int(seconds * 1000)]}


LIVE = {"$expr": {"$gte": ["$until", STORE_NOW_MS]}}
LAPSED = {"$expr": {"$lt": ["$until", STORE_NOW_MS]}}


class RelayLease:
    """One relay per service publishes at a time, however many replicas run, so events keep
    their order and are not sent twice by two relays racing. The holder renews its lease once
    half of it has passed (a write per poll would cost a commit each time); when it dies,
    another replica takes over once the lease lapses.

    A replica that does not hold it says it is there (`standby:<holder>`, renewed as often),
    so the holder knows whether anyone else writes to this outbox (`shared`).

    Expiries are set and compared by the document store's clock; when to renew is timed by
    this process's monotonic clock. The wall clock of a replica plays no part."""

    def __init__(self, db: Database, seconds: float = 5.0) -> None:
        self._leases = db["outbox_lease"]
        self._seconds = self.seconds = seconds
        self._renew_at = 0.0  # monotonic
        self._standby_renew_at = 0.0  # monotonic
        self.holder = uuid.uuid4().hex
        self.shared = False

    async def hold(self) -> bool:
        if time.monotonic() < self._renew_at:
            return True
        try:
            with suppress_instrumentation():
                await self._leases.update_one(
                    {"_id": "relay", "$or": [{"holder": self.holder}, LAPSED]},
                    [{"$set": {"holder": self.holder, "until": _store_now_plus(self._seconds)}}],
                    upsert=True,
                )
                standby = {"_id": {"$regex": "^standby:"}, **LIVE}
                self.shared = await self._leases.find_one(standby) is not None
        except DuplicateKeyError:  # held by another replica: the upsert found no match
            await self._stand_by()
            return False
        self._renew_at = time.monotonic() + self._seconds / 2
        return True

    async def _stand_by(self) -> None:
        self._renew_at, self.shared = 0.0, False
        if time.monotonic() < self._standby_renew_at:
            return
        with suppress_instrumentation():
            await self._leases.update_one(
                {"_id": f"standby:{self.holder}"},
                [{"$set": {"until": _store_now_plus(self._seconds)}}],
                upsert=True,
            )
        self._standby_renew_at = time.monotonic() + self._seconds / 2


async def _cancelled(task: asyncio.Task[None]) -> None:
    task.cancel()
    with suppress(asyncio.CancelledError):
        await task


class BrokerAdmin(Protocol):
    async def ensure_topics(self, topics: list[str]) -> None: ...

    async def cluster_id(self) -> str: ...


class OutboxRelay:
    """Publishes pending events in order. Before publishing to a topic it makes sure the topic
    exists (again after any failure): a broker that lost its topics (the embedded in-memory
    one, after a restart) would otherwise acknowledge events into a topic nobody reads.

    It also notices a broker that lost its log (a new cluster id, checked every few seconds
    and after any failure) and then sends every event of the replay window again, in order;
    consumers drop what they have already processed."""

    def __init__(
        self,
        outbox: Outbox,
        broker: KafkaBroker,
        admin: BrokerAdmin,
        poll_seconds: float,
        replay_window: timedelta,
        publish_timeout: float = 5.0,
        lease: RelayLease | None = None,
        broker_check_seconds: float = 3.0,
    ) -> None:
        self._lease = lease or RelayLease(outbox.database)
        self._outbox = outbox
        self._broker = broker
        self._admin = admin
        self._poll_seconds = poll_seconds
        self._replay_window = replay_window
        self._publish_timeout = publish_timeout
        self._known_topics: set[str] = set()
        self._broker_check_seconds = broker_check_seconds
        self._broker_checked_at = 0.0  # monotonic; 0 = check before the next publish
        self._idle_wait = min(poll_seconds, self._lease.seconds / 2)

    async def run(self) -> None:
        watcher: asyncio.Task[None] | None = None
        try:
            while True:
                self._outbox.wakeup.clear()  # before reading: a commit meanwhile is not missed
                try:
                    published = await self.publish_pending()
                except Exception:
                    log_repeated(log, "outbox relay: reading the outbox failed; retrying")
                    published = 0
                watcher = self._watch_while_shared(watcher)
                if published == 0:  # wait for a commit, the poll, or the lease's renewal
                    with suppress(TimeoutError):
                        await asyncio.wait_for(self._outbox.wakeup.wait(), self._idle_wait)
        finally:
            if watcher is not None:
                await _cancelled(watcher)

    def _watch_while_shared(self, watcher: asyncio.Task[None] | None) -> asyncio.Task[None] | None:
        """This process's own commits wake the relay in-process; another replica's commits
        reach it through a change stream, open only while another replica is there. (Every
        getMore of a change stream costs the embedded store a scan of its oplog, and a stream
        per service woke on every write of every service: a quarter of the CPU a registration
        cost, BENCHMARKS.md.)"""
        if self._lease.shared and watcher is None:
            return asyncio.create_task(self._wake_on_inserts(), name="outbox-change-stream")
        if not self._lease.shared and watcher is not None:
            watcher.cancel()
            return None
        return watcher

    async def _wake_on_inserts(self) -> None:
        """Wakes the relay when any replica of the service commits an event, from a change
        stream on the outbox; a server without change streams leaves the poll to do it."""
        while True:
            try:
                inserts = [{"$match": {"operationType": "insert"}}]
                async with await self._outbox.events.watch(inserts) as stream:
                    async for _ in stream:
                        self._outbox.wakeup.set()
            except OperationFailure as exc:
                if exc.code in CHANGE_STREAMS_UNSUPPORTED:
                    log.info("outbox relay: no change streams here; polling only (%s)", exc)
                    return
                log.warning("outbox relay: change stream failed (%s); reopening", exc)
            except PyMongoError as exc:
                log.warning("outbox relay: change stream failed (%s); reopening", exc)
            await asyncio.sleep(self._poll_seconds)

    async def publish_pending(self, limit: int = 200) -> int:
        if not await self._lease.hold():
            self._outbox.backlog.forget()  # another replica's relay reports it
            return 0
        if time.monotonic() - self._broker_checked_at > self._broker_check_seconds:
            await self.replay_if_broker_lost()
            self._broker_checked_at = time.monotonic()
        events = await self._outbox.pending(limit)
        taken = await self._publish_pipelined(events)
        if taken < len(events):  # Kafka refused one: it, alone and with retries, then the rest
            await self._publish(events[taken])
            taken += 1
        if taken:  # one write for the batch; a crash before it re-publishes (harmless)
            await self._outbox.mark_sent([event["_id"] for event in events[:taken]])
        return taken

    async def _publish_pipelined(self, events: list[Document]) -> int:
        """Hands every event to the producer in order, then waits for Kafka's acks together
        (one round trip per batch, not per event: the producer keeps each partition's order);
        answers how many from the first were taken."""
        acks: list[asyncio.Future[Any]] = []
        try:
            for event in events:
                acks.append(await self._send(event))
        except Exception as exc:
            log.warning("outbox relay: the producer refused %s (%s)", events[len(acks)], exc)
        if not acks:
            return 0
        try:
            done: list[Any] = await asyncio.wait_for(
                asyncio.gather(*acks, return_exceptions=True), self._publish_timeout
            )
        except TimeoutError as exc:  # none known taken: sent again (consumers drop repeats)
            done = [exc]
        taken = next((i for i, r in enumerate(done) if isinstance(r, BaseException)), len(done))
        if taken < len(events):
            self._known_topics.clear()
            self._broker_checked_at = 0.0
        return taken

    async def _ensure_topic(self, topic: str) -> None:
        if topic not in self._known_topics:
            await self._admin.ensure_topics([topic])
            self._known_topics.add(topic)

    async def _send(self, event: Document) -> asyncio.Future[Any]:
        """Hands one event to the producer, its topic made sure of first; answers Kafka's ack
        to come."""
        token = context.attach(propagate.extract(event.get("trace") or {}))
        try:
            await self._ensure_topic(event["topic"])
            ack: asyncio.Future[Any] = await self._broker.publish(
                event["body"].encode(),
                topic=event["topic"],
                key=event["key"].encode(),
                headers=event["headers"],
                no_confirm=True,
            )
            return ack
        finally:
            context.detach(token)

    async def replay_if_broker_lost(self) -> int:
        """Marks the window's sent events pending again when the broker is not the one they
        were sent to; answers how many."""
        current = await self._admin.cluster_id()
        state = self._outbox.database[RELAY_STATE]
        with suppress_instrumentation():
            known = await state.find_one({"_id": "broker"})
            replayed = 0
            if known is not None and known["cluster_id"] != current:
                since = utcnow() - self._replay_window
                result = await self._outbox.events.update_many(
                    {"sent_at": {"$gte": since}}, {"$set": {"sent_at": None}}
                )
                replayed = result.modified_count
                log.warning(
                    "outbox relay: the broker lost its log (cluster %s, was %s); "
                    "sending the last %s again: %d events",
                    current,
                    known["cluster_id"],
                    self._replay_window,
                    replayed,
                )
                self._known_topics.clear()
            if known is None or replayed or known["cluster_id"] != current:
                await state.update_one(
                    {"_id": "broker"}, {"$set": {"cluster_id": current}}, upsert=True
                )
        return replayed

    async def _publish_once(self, event: Document) -> None:
        """One event sent and acknowledged within the publish timeout (making sure of its
        topic is not part of that time)."""
        await self._ensure_topic(event["topic"])

        async def sent_and_acked() -> None:
            await (await self._send(event))

        await asyncio.wait_for(sent_and_acked(), self._publish_timeout)

    async def _publish(self, event: Document) -> None:
        token = context.attach(propagate.extract(event.get("trace") or {}))
        try:
            async for attempt in AsyncRetrying(
                wait=wait_exponential_jitter(multiplier=0.2, max=5.0),
                retry=retry_if_exception_type(Exception),
                before_sleep=lambda state: log.warning(
                    "outbox relay: Kafka did not take %s (%s); retrying",
                    event["_id"],
                    state.outcome.exception() if state.outcome else "?",
                ),
            ):
                with attempt:
                    try:
                        await self._publish_once(event)
                    except Exception:
                        self._known_topics.clear()
                        self._broker_checked_at = 0.0
                        raise
        finally:
            context.detach(token)
