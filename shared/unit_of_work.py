"""The unit of work (after cosmicpython's `service_layer/unit_of_work.py`): one write of a use
case. `async with uow:` opens a session and its transaction; the service's repositories hang
off the unit of work (`uow.organizations`, ...) and read and write through that session;
`uow.publish(event)` puts an event in the outbox in the same transaction, on the topic of its
contract class; `uow.answer(result)` keeps an Idempotency-Key's answer with the write; and
`uow.processed(key)` records a consumed event, once (`processed_many`: a batch of them, in one
read and one insert). Leaving the block commits it all, or, on an error, none of it.

A consumer handling a batch of events in one transaction (shared/consumer_batch.py) asks the
unit of work to hold its publishes (`hold_publishes`): they go to the outbox in one insert just
before the commit, each with the trace of the event whose handler published it.

A transaction that collides with a concurrent one (TransientTransactionError) is run again
whole, reads included, by whoever runs the use case: `WriteOnce` for a route,
`EventConsumer.process` for an event, `retry_transient` otherwise. Use cases never see a
session or a callback, so `FakeUnitOfWork` (tests/support) runs them over dicts."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from contextlib import AsyncExitStack
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Self

from opentelemetry import propagate
from pymongo.errors import DuplicateKeyError

from shared.contracts import Payload, event_type_of
from shared.events import Envelope, utcnow
from shared.mongo import Database, Session, transaction
from shared.outbox import Outbox

PROCESSED = "processed_events"

# Keeps an Idempotency-Key's answer inside the transaction (set by `WriteOnce`).
Remember = Callable[[Session, Any], Awaitable[None]]


class AlreadyProcessed(Exception):
    """The event was handled before (its id is recorded): the unit of work writes nothing."""


class UnitOfWork:
    """What every unit of work offers a use case; a service's unit of work adds its
    repositories. `MongoUnitOfWork` is the real one; the fake one keeps everything in dicts."""

    async def __aenter__(self) -> Self:
        await self._begin()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self._end(exc_type, exc, tb)

    async def publish(self, event: Payload, subject: str, event_id: str | None = None) -> Envelope:
        """The event, on its contract's topic, keyed by `subject` (the aggregate id).
        `event_id`, when given, makes the publish idempotent: a second event with that id
        fails the transaction with DuplicateKeyError (the scheduler relies on this)."""
        return (await self.publish_many([(event, subject)], [event_id]))[0]

    async def publish_many(
        self, events: Sequence[tuple[Payload, str]], event_ids: list[str | None] | None = None
    ) -> list[Envelope]:
        """Many events in one write (bulk imports), published in this order."""
        typed = [(event_type_of(event), subject, event) for event, subject in events]
        return await self._append(typed, event_ids)

    async def answer(self, result: Any) -> None:
        """Keeps `result` as the answer to the request's Idempotency-Key, if it has one."""

    async def processed(self, key: str, topic: str) -> None:
        """Records an event as processed under `key`; AlreadyProcessed if it was."""
        raise NotImplementedError

    async def processed_many(self, keys: Sequence[tuple[str, str]]) -> set[str]:
        """Records many events (each a key and its topic, keys distinct) as processed, and
        answers the keys that were processed before (those are not recorded again)."""
        raise NotImplementedError

    async def _begin(self) -> None:
        raise NotImplementedError

    async def _end(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        raise NotImplementedError

    async def _append(
        self, events: list[tuple[str, str, Payload]], event_ids: list[str | None] | None
    ) -> list[Envelope]:
        raise NotImplementedError


@dataclass(frozen=True)
class _Held:
    """A publish held until the commit: the event, its id, and the trace it was made in."""

    event: tuple[str, str, Payload]
    event_id: str
    trace: dict[str, str]


class MongoUnitOfWork(UnitOfWork):
    """A MongoDB session and transaction, the service's outbox and processed-events ids."""

    def __init__(self, outbox: Outbox, remember: Remember | None = None) -> None:
        self.outbox = outbox
        self.database: Database = outbox.database
        self.remember = remember
        self._stack: AsyncExitStack | None = None
        self._session: Session | None = None
        self._held: list[_Held] | None = None  # publishes held until the commit, if asked

    def hold_publishes(self) -> None:
        """From now on, publishes go to the outbox in one insert just before the commit."""
        self._held = []

    @property
    def session(self) -> Session | None:
        """The open transaction's session; None outside `async with` (plain reads)."""
        return self._session

    @property
    def open_session(self) -> Session:
        if self._session is None:
            raise RuntimeError("a write needs `async with uow:` around it")
        return self._session

    async def answer(self, result: Any) -> None:
        if self.remember is not None:
            await self.remember(self.open_session, result)

    async def processed(self, key: str, topic: str) -> None:
        try:
            await self.database[PROCESSED].insert_one(
                {"_id": key, "topic": topic, "at": utcnow()}, session=self.open_session
            )
        except DuplicateKeyError as exc:
            raise AlreadyProcessed(key) from exc

    async def processed_many(self, keys: Sequence[tuple[str, str]]) -> set[str]:
        processed = self.database[PROCESSED]
        ids = [key for key, _ in keys]
        found = processed.find({"_id": {"$in": ids}}, {"_id": 1}, session=self.open_session)
        before = {doc["_id"] for doc in await found.to_list()}
        now = utcnow()
        new = [{"_id": key, "topic": topic, "at": now} for key, topic in keys if key not in before]
        if new:  # a key recorded meanwhile by another transaction fails it: DuplicateKeyError
            await processed.insert_many(new, session=self.open_session)
        return before

    async def _begin(self) -> None:
        if self._stack is not None:
            raise RuntimeError("this unit of work is open already")
        stack = AsyncExitStack()
        self._session = await stack.enter_async_context(transaction(self.outbox.client))
        self._stack = stack

    async def _end(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        stack, session, held = self._stack, self._session, self._held
        self._stack, self._session = None, None
        self._held = [] if held is not None else None  # a retry of the work holds them again
        assert stack is not None and session is not None
        if exc_type is None and held:
            try:
                await self.outbox.add_many(
                    session,
                    [h.event for h in held],
                    [h.event_id for h in held],
                    traces=[h.trace for h in held],
                )
            except BaseException as error:  # the transaction is aborted, and the error told
                await stack.__aexit__(type(error), error, error.__traceback__)
                raise
        await stack.__aexit__(exc_type, exc, tb)
        if exc_type is None:  # committed: let the relay publish now rather than at its next poll
            self.outbox.wakeup.set()

    async def _append(
        self, events: list[tuple[str, str, Payload]], event_ids: list[str | None] | None
    ) -> list[Envelope]:
        if self._held is None:
            return await self.outbox.add_many(self.open_session, events, event_ids)
        _ = self.open_session  # a publish happens inside `async with uow:` only
        trace: dict[str, str] = {}
        propagate.inject(trace)  # the relay publishes later, inside the handled event's trace
        ids = event_ids or [None] * len(events)
        envelopes = [
            Envelope(source=self.outbox.source, type=t, subject=s, **({"id": i} if i else {}))
            for (t, s, _), i in zip(events, ids, strict=True)
        ]
        self._held += [
            _Held(event, envelope.id, trace)
            for event, envelope in zip(events, envelopes, strict=True)
        ]
        return envelopes


class Repository:
    """A repository of a `MongoUnitOfWork`: reads go through its session (inside `async with
    uow:`) or without one (a read outside it); writes only through it."""

    def __init__(self, uow: MongoUnitOfWork) -> None:
        self._uow = uow
        self._db = uow.database

    @property
    def _session(self) -> Session | None:
        return self._uow.session

    @property
    def _writing(self) -> Session:
        """The session of a write, which only happens inside `async with uow:`."""
        return self._uow.open_session
