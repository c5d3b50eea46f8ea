"""The transactional outbox: an event is stored in the same MongoDB transaction as the state
change it announces, and a relay publishes it to Kafka (acks=all) until Kafka takes it.
Nothing is lost while Kafka is down; consumers are idempotent, so a re-publish is harmless.

A broker that loses its log (the embedded in-memory one, restarted) gets again only what some
consumer group may still need: each sent event keeps where Kafka put it (the broker's cluster
id, partition and offset, from its ack), the relay reads the committed offsets of the groups
that subscribe to its topics (shared/contracts/subscribers.py) every few seconds, and what
every subscribing group has committed past is delivered. The rest of the replay window is sent
again, paced, so that new events are not starved."""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from contextlib import suppress
from datetime import timedelta
from typing import Any, Protocol

from faststream.kafka import KafkaBroker
from opentelemetry import context, propagate
from opentelemetry.instrumentation.utils import suppress_instrumentation
from pymongo import ASCENDING, AsyncMongoClient, IndexModel, UpdateOne
from pymongo.errors import DuplicateKeyError, OperationFailure, PyMongoError
from tenacity import AsyncRetrying, retry_if_exception_type, wait_exponential_jitter

from shared.contracts import Payload
from shared.contracts.subscribers import subscribers
from shared.events import Envelope, utcnow
from shared.logs import log_repeated
from shared.mongo import Database, Document, IndexSpec, Session
from shared.outbox_metrics import OutboxBacklog

log = logging.getLogger(__name__)

OUTBOX = "outbox"
RELAY_STATE = "outbox_relay"
# "The $changeStream stage is only supported on replica sets" and its kin (a standalone mongod)
CHANGE_STREAMS_UNSUPPORTED = {40573, 40324, 136}


def outbox_indexes(replay_window: timedelta) -> IndexSpec:
    """Pending events are read in order; sent ones expire once past the replay window; those
    to send again to a broker that lost its log are read in order too (only they are in that
    index: it costs an ordinary write nothing)."""
    return {
        OUTBOX: [
            IndexModel([("sent_at", ASCENDING), ("seq", ASCENDING)]),
            IndexModel(
                [("sent_at", ASCENDING)],
                name="sent_at_ttl",
                expireAfterSeconds=int(replay_window.total_seconds()),
            ),
            IndexModel(
                [("seq", ASCENDING)],
                name="replay_by_seq",
                partialFilterExpression={"replay": True},
            ),
        ]
    }


class Outbox:
    def __init__(
        self,
        client: AsyncMongoClient[Document],
        db: Database,
        source: str,
        now_ns: Callable[[], int] = time.time_ns,
    ) -> None:
        self.client = client
        self.database = db
        self.events = db[OUTBOX]
        self.source = source
        # The relay sends pending events in `seq` order, which keeps an aggregate's events in
        # the order they were written only while `seq` never goes back: the wall clock can
        # (stepped back 10 minutes, an event written after another would be sent before it).
        self._now_ns = now_ns
        self._last_seq: int | None = None  # the highest given, once read from the pending
        self.wakeup = asyncio.Event()
        self.backlog = OutboxBacklog()  # what the relay last saw pending (the outbox metrics)

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
        traces: Sequence[dict[str, str]] | None = None,
    ) -> list[Envelope]:
        """`traces`, when given, is each event's trace context (events a batch's handlers
        published); otherwise the current one."""
        if not events:
            return []
        carrier: dict[str, str] = {}
        propagate.inject(carrier)  # the relay publishes later, inside this trace
        carriers = traces or [carrier] * len(events)
        ids = event_ids or [None] * len(events)
        envelopes = [
            Envelope(source=self.source, type=t, subject=s, **({"id": i} if i else {}))
            for (t, s, _), i in zip(events, ids, strict=True)
        ]
        first_seq = await self._next_seq(session, len(events))
        docs = [
            {
                "_id": envelope.id,
                "seq": first_seq + i,  # in the given order
                "topic": envelope.topic,
                "key": envelope.subject,
                "headers": envelope.to_headers(),
                "body": data.model_dump_json(),
                "trace": trace,
                "sent_at": None,
            }
            for i, (envelope, (_, _, data), trace) in enumerate(
                zip(envelopes, events, carriers, strict=True)
            )
        ]
        if len(docs) == 1:
            await self.events.insert_one(docs[0], session=session)
        else:
            await self.events.insert_many(docs, ordered=True, session=session)
        return envelopes

    async def _next_seq(self, session: Session, count: int) -> int:
        """The first of `count` ordering keys: the wall clock in nanoseconds, but always past
        the last given here and, the first time, past every pending event (those a process
        before this one wrote, perhaps while its clock was ahead)."""
        if self._last_seq is None:
            newest = await self.events.find_one(
                {"sent_at": None}, {"seq": 1}, sort=[("seq", -1)], session=session
            )
            self._last_seq = max(self._last_seq or 0, int(newest["seq"]) if newest else 0)
        first = max(self._now_ns(), self._last_seq + 1)
        self._last_seq = first + count - 1
        return first

    async def pending(self, limit: int) -> list[Document]:
        # Polling is bookkeeping, not a user action: no trace per poll.
        with suppress_instrumentation():
            cursor = self.events.find({"sent_at": None}).sort("seq", ASCENDING).limit(limit)
            found = await cursor.to_list()
            await self.backlog.saw(self.events, found, limit)
            return found

    async def replay_aggregates(self) -> Counter[tuple[str, str]]:
        """How many events are marked to send again, per aggregate (topic and key)."""
        with suppress_instrumentation():
            cursor = self.events.find({"replay": True}, {"topic": 1, "key": 1}).sort("seq", 1)
            return Counter([(event["topic"], event["key"]) for event in await cursor.to_list()])

    async def to_replay(self, limit: int, aggregates: Sequence[Document] = ()) -> list[Document]:
        """Events marked to send again, oldest first: the first `limit`, or (with
        `aggregates`, each a topic and key) all of those aggregates'."""
        query: Document = {"replay": True}
        if aggregates:
            query["$or"] = list(aggregates)
        elif limit <= 0:
            return []
        with suppress_instrumentation():
            cursor = self.events.find(query).sort("seq", ASCENDING)
            return await (cursor.limit(limit) if not aggregates else cursor).to_list()

    async def mark_sent(self, sent: Sequence[tuple[str, Any]], broker: str | None) -> None:
        """`sent`: each event's id and Kafka's ack (its record metadata), kept with the broker's
        cluster id: where Kafka put the event, for the relay to know later whether every
        subscribing group has read past it."""
        now = utcnow()
        writes = [
            UpdateOne(
                {"_id": event_id},
                {
                    "$set": {
                        "sent_at": now,
                        "broker": broker,
                        "partition": getattr(ack, "partition", None),
                        "offset": getattr(ack, "offset", None),
                    },
                    "$unset": {"replay": ""},
                },
            )
            for event_id, ack in sent
        ]
        with suppress_instrumentation():
            await self.events.bulk_write(writes, ordered=False)


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

    async def release(self) -> None:
        """On a clean stop: the next relay (a restarted process) need not wait for it to lapse."""
        if self._renew_at:
            with suppress_instrumentation():
                await self._leases.delete_one({"_id": "relay", "holder": self.holder})
            self._renew_at = 0.0

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

    async def committed(
        self, group: str, partitions: list[tuple[str, int]]
    ) -> dict[tuple[str, int], int]: ...


class Pace:
    """A token bucket: at most `per_second` on average, a second's worth (or one) at once."""

    def __init__(self, per_second: float) -> None:
        self._rate = per_second
        self._tokens = self._most = max(1.0, per_second)
        self._at = time.monotonic()

    def take(self, wanted: int) -> int:
        now = time.monotonic()
        self._tokens = min(self._most, self._tokens + (now - self._at) * self._rate)
        self._at = now
        given = max(0, min(wanted, int(self._tokens)))
        self._tokens -= given
        return given

    def give_back(self, unused: int) -> None:
        self._tokens += unused


class OutboxRelay:
    """Publishes pending events in order. Before publishing to a topic it makes sure the topic
    exists (again after any failure): a broker that lost its log (the embedded in-memory one,
    after a restart) would otherwise acknowledge events into a topic nobody reads.

    Every few seconds (and after any failure) it asks the broker's cluster id. While it is
    the same, it reads the committed offsets of the groups that subscribe to the topics it has
    sent to (one OffsetFetch per group, only while something sent is not yet confirmed) and
    keeps, per partition, the offset every subscribing group has passed: the events below it
    are delivered. A new cluster id means the broker lost its log; the relay then marks for
    sending again, within the replay window, only what is not known delivered:
    - an event of a subscribed topic at or above its partition's delivered offset;
    - one sent after the last look that found the old broker (its ack may be the new one's);
    - one with no recorded position (sent before positions were kept).
    Not: events of topics no group reads, and events already judged at an earlier loss.
    Those marked go out paced (`replay_per_second`), oldest first, beside new events; a new
    event's own aggregate's marked events go just before it, so per-key order holds. The
    consumers drop what they processed already (their processed ids)."""

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
        replay_per_second: float = 200.0,
        groups: Mapping[str, frozenset[str]] | None = None,
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
        self._groups = subscribers() if groups is None else groups
        self._pace = Pace(replay_per_second)
        self._replaying = True  # marked events may be left from an earlier process: look
        self._marked: Counter[tuple[str, str]] | None = None  # marked events per aggregate
        self.cluster: str | None = None  # the broker last found, whose acks are recorded
        # per (topic, partition) of `cluster`: the offset every subscribing group has passed,
        # and the highest this process sent
        self.delivered: dict[tuple[str, int], int] = {}
        self._sent_top: dict[tuple[str, int], int] = {}
        self._unconfirmed = True  # a look at the groups' positions is due
        self._confirmed_at: Any = None  # when the broker was last found to be `cluster`
        self._saved: dict[tuple[str, int], int] = {}  # `delivered` as last written
        self._sent_since_saved = True

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
            await self._last_look()
            with suppress(Exception):
                await asyncio.wait_for(self._lease.release(), 2.0)

    async def _last_look(self) -> None:
        """On a clean stop, one more look at the groups' positions: a start on a broker that
        forgot everything (`make run` again) then sends again only what was still unread."""
        if self.cluster is None:  # never held the lease, or never reached the broker
            return
        try:
            await asyncio.wait_for(self.replay_if_broker_lost(), 2.0)
        except Exception as exc:
            log.info("outbox relay: no last look at the consumers' positions (%r)", exc)

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
        # The outbox first: while the broker cannot be asked who it is, the backlog metric
        # still counts what waits (an outage is when operators need it most).
        fresh = await self._outbox.pending(limit)
        if time.monotonic() - self._broker_checked_at > self._broker_check_seconds:
            await self.replay_if_broker_lost()
            self._broker_checked_at = time.monotonic()
        events = await self._with_replay(fresh, limit)
        acks = await self._publish_pipelined(events)
        if len(acks) < len(events):  # Kafka refused one: it, alone and with retries, then the rest
            acks.append(await self._publish(events[len(acks)]))
            self._replaying, self._marked = True, None  # any marked after it are still marked
        if acks:  # one write for the batch; a crash before it re-publishes (harmless)
            taken = events[: len(acks)]
            await self._outbox.mark_sent(
                [(event["_id"], ack) for event, ack in zip(taken, acks, strict=True)],
                self.cluster,
            )
            self._sent(taken, acks)
        return len(acks)

    async def _with_replay(self, fresh: list[Document], limit: int) -> list[Document]:
        """The new events, the marked ones of the same aggregates (they go first), and as many
        other marked ones as the pace allows, in the order they were written."""
        if not self._replaying:
            return fresh
        if self._marked is None:
            self._marked = await self._outbox.replay_aggregates()
        aggregates = {(e["topic"], e["key"]) for e in fresh} & set(+self._marked)
        ahead = await self._outbox.to_replay(
            0, [{"topic": topic, "key": key} for topic, key in sorted(aggregates)]
        )
        budget = self._pace.take(limit)
        due = await self._outbox.to_replay(budget) if budget else []
        if budget and len(due) < budget:
            self._replaying = False  # none left after these
            self._pace.give_back(budget - len(due))
        batch = {event["_id"]: event for event in [*ahead, *due, *fresh]}
        return sorted(batch.values(), key=lambda event: event["seq"])

    def _sent(self, events: list[Document], acks: list[Any]) -> None:
        self._sent_since_saved = True
        for event, ack in zip(events, acks, strict=True):
            if event.get("replay") and self._marked is not None:
                self._marked[(event["topic"], event["key"])] -= 1
            partition = getattr(ack, "partition", None)
            if partition is not None and self._groups.get(event["topic"]):
                where = (event["topic"], partition)
                self._sent_top[where] = max(self._sent_top.get(where, -1), ack.offset)
                self._unconfirmed = True

    async def _publish_pipelined(self, events: list[Document]) -> list[Any]:
        """Hands every event to the producer in order, then waits for Kafka's acks together
        (one round trip per batch, not per event: the producer keeps each partition's order);
        answers the acks (record metadata) of those taken, from the first on."""
        acks: list[asyncio.Future[Any]] = []
        try:
            for event in events:
                acks.append(await self._send(event))
        except Exception as exc:
            log.warning("outbox relay: the producer refused %s (%s)", events[len(acks)], exc)
        if not acks:
            return []
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
        return done[:taken]

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
        """Marks for sending again the window's events not known delivered when the broker is
        not the one they were sent to, and answers how many; while it is the same, reads the
        subscribing groups' positions."""
        looked_at = utcnow()  # an ack before this came from the broker found now
        current = await self._admin.cluster_id()
        state = self._outbox.database[RELAY_STATE]
        with suppress_instrumentation():
            known = await state.find_one({"_id": "broker"})
            if known is not None and known["cluster_id"] == current:
                if self.cluster != current:  # this process's first look: what was known
                    self._adopt(known)
                self._confirmed_at = looked_at
                await self._read_positions(current)
                await self._save(state, current)
                return 0
            replayed = 0
            if known is not None:
                replayed = await self._mark_for_replay(known)
                log.warning(
                    "outbox relay: the broker lost its log (cluster %s, was %s); sending "
                    "again what no subscribing group is known to have read, within the last %s,"
                    " paced at %.0f/s: %d events",
                    current,
                    known["cluster_id"],
                    self._replay_window,
                    self._pace._rate,
                    replayed,
                )
                self._known_topics.clear()
                self._replaying, self._marked = True, None
            self.cluster, self.delivered, self._sent_top = current, {}, {}
            self._confirmed_at, self._unconfirmed = looked_at, True
            self._sent_since_saved = True
            await self._save(state, current)
        return replayed

    def _adopt(self, known: Document) -> None:
        self.cluster = known["cluster_id"]
        self.delivered = {(t, p): o for t, p, o in known.get("delivered", [])}
        self._saved = dict(self.delivered)

    async def _read_positions(self, cluster: str) -> None:
        """The offset every subscribing group has committed past, per partition this process
        sent to (the mark covers what earlier processes sent there too), when something sent
        is not yet known delivered: one OffsetFetch per group."""
        if not self._unconfirmed:
            return
        reading: dict[str, list[tuple[str, int]]] = {}  # group: the partitions it is asked of
        for where in sorted(self._sent_top):
            for group in self._groups.get(where[0], ()):
                reading.setdefault(group, []).append(where)
        committed = {g: await self._admin.committed(g, ps) for g, ps in sorted(reading.items())}
        if await self._admin.cluster_id() != cluster:  # those may be the next broker's
            return
        for topic, partition in self._sent_top:
            groups = self._groups[topic]
            passed = min(committed[g].get((topic, partition), -1) for g in groups)
            if passed > self.delivered.get((topic, partition), 0):
                self.delivered[(topic, partition)] = passed
        self._unconfirmed = any(
            top >= self.delivered.get(where, 0) for where, top in self._sent_top.items()
        )

    async def _save(self, state: Any, cluster: str) -> None:
        """Keeps what is known delivered and when the broker was last found, if either moved
        on (a write every few seconds while events are sent)."""
        if self._saved == self.delivered and not self._sent_since_saved:
            return
        await state.update_one(
            {"_id": "broker"},
            {
                "$set": {
                    "cluster_id": cluster,
                    "confirmed_at": self._confirmed_at,
                    "delivered": [[t, p, o] for (t, p), o in sorted(self.delivered.items())],
                }
            },
            upsert=True,
        )
        self._saved, self._sent_since_saved = dict(self.delivered), False

    async def _mark_for_replay(self, known: Document) -> int:
        """Marks the window's events that some subscribing group may not have read from the
        lost broker; answers how many."""
        cluster, confirmed_at = known["cluster_id"], known.get("confirmed_at")
        unread = sorted(topic for topic, groups in self._groups.items() if not groups)
        delivered: list[Document] = [
            {"topic": {"$in": unread}},  # no group reads it from the log
            {"broker": {"$nin": [None, cluster]}},  # judged when an earlier broker was lost
        ]
        if confirmed_at is not None:
            delivered += [
                {
                    "broker": cluster,
                    "sent_at": {"$lte": confirmed_at},
                    "topic": topic,
                    "partition": partition,
                    "offset": {"$lt": offset},
                }
                for topic, partition, offset in known.get("delivered", [])
            ]
        since = utcnow() - self._replay_window
        result = await self._outbox.events.update_many(
            {"sent_at": {"$gte": since}, "replay": {"$ne": True}, "$nor": delivered},
            {"$set": {"replay": True}},
        )
        return result.modified_count

    async def _publish_once(self, event: Document) -> Any:
        """One event sent and acknowledged within the publish timeout (making sure of its
        topic is not part of that time); answers Kafka's ack."""
        await self._ensure_topic(event["topic"])

        async def sent_and_acked() -> Any:
            return await (await self._send(event))

        return await asyncio.wait_for(sent_and_acked(), self._publish_timeout)

    async def _publish(self, event: Document) -> Any:
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
                        return await self._publish_once(event)
                    except Exception:
                        self._known_topics.clear()
                        self._broker_checked_at = 0.0
                        raise
        finally:
            context.detach(token)
        raise AssertionError("unreachable: retried until taken")
