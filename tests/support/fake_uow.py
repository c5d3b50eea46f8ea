"""The fake unit of work every service's fake builds on: tables are dicts of documents by id,
`async with` keeps a copy and puts it back if the block fails (a rollback), events and answers
are kept as the real outbox and idempotency collection would keep them, in memory."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Any

from pymongo.errors import DuplicateKeyError

from shared.contracts import Payload
from shared.events import Envelope
from shared.mongo import Document
from shared.unit_of_work import AlreadyProcessed, UnitOfWork

Table = dict[str, Document]


@dataclass(frozen=True)
class Published:
    """An event as the outbox keeps it: its envelope and payload (`data` as its JSON)."""

    envelope: Envelope
    payload: Payload

    @property
    def data(self) -> dict[str, Any]:
        data: dict[str, Any] = self.payload.model_dump(mode="json")
        return data

    @property
    def type(self) -> str:
        return self.envelope.type

    @property
    def subject(self) -> str:
        return self.envelope.subject


class FakeUnitOfWork(UnitOfWork):
    def __init__(self, *tables: str) -> None:
        self.tables: dict[str, Table] = {name: {} for name in tables}
        self.events: list[Published] = []
        self.answers: list[Any] = []
        self.processed_keys: set[str] = set()
        self.commits = 0
        self._saved: tuple[dict[str, Table], int, int, set[str]] | None = None

    @property
    def is_open(self) -> bool:
        return self._saved is not None

    def writing(self) -> None:
        """Every write of a fake repository asks first: the real one would write outside
        the transaction."""
        if not self.is_open:
            raise AssertionError("a write outside `async with uow:`")

    @property
    def types(self) -> list[str]:
        return [event.type for event in self.events]

    async def answer(self, result: Any) -> None:
        self.writing()
        self.answers.append(result)

    async def processed(self, key: str, topic: str) -> None:
        self.writing()
        if key in self.processed_keys:
            raise AlreadyProcessed(key)
        self.processed_keys.add(key)

    async def processed_many(self, keys: Sequence[tuple[str, str]]) -> set[str]:
        self.writing()
        before = {key for key, _ in keys if key in self.processed_keys}
        self.processed_keys.update(key for key, _ in keys)
        return before

    async def _begin(self) -> None:
        if self.is_open:
            raise RuntimeError("this unit of work is open already")
        tables = copy.deepcopy(self.tables)
        self._saved = (tables, len(self.events), len(self.answers), set(self.processed_keys))

    async def _end(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        saved, self._saved = self._saved, None
        assert saved is not None
        if exc_type is None:
            self.commits += 1
            return
        tables, events, answers, processed = saved
        for name, rows in tables.items():  # in place: the repositories hold these dicts
            self.tables[name].clear()
            self.tables[name].update(rows)
        del self.events[events:]
        del self.answers[answers:]
        self.processed_keys = processed

    async def _append(
        self, events: list[tuple[str, str, Payload]], event_ids: list[str | None] | None
    ) -> list[Envelope]:
        self.writing()
        ids = event_ids or [None] * len(events)
        known = {event.envelope.id for event in self.events}
        envelopes = []
        for (event_type, subject, data), event_id in zip(events, ids, strict=True):
            envelope = Envelope(
                source="fake",
                type=event_type,
                subject=subject,
                **({"id": event_id} if event_id else {}),
            )
            if envelope.id in known:
                raise DuplicateKeyError(f"event {envelope.id} is in the outbox already")
            known.add(envelope.id)
            self.events.append(Published(envelope, data))
            envelopes.append(envelope)
        return envelopes


class FakeRepository:
    """Reads answer copies, as a database would; writes insist on an open unit of work."""

    def __init__(self, uow: FakeUnitOfWork, table: str) -> None:
        self._uow = uow
        self._rows = uow.tables[table]

    def _get(self, key: str) -> Document | None:
        found = self._rows.get(key)
        return None if found is None else copy.deepcopy(found)

    def _all(self) -> list[Document]:
        return [copy.deepcopy(row) for _, row in sorted(self._rows.items())]

    def _insert(self, doc: Document, *unique: str) -> None:
        """Inserts `doc`, refusing a second `_id`, or a second value of the `unique` fields
        together (a unique index)."""
        self._uow.writing()
        if doc["_id"] in self._rows:
            raise DuplicateKeyError(f"_id {doc['_id']} exists")
        if unique:
            key = tuple(doc.get(field) for field in unique)
            if any(tuple(row.get(f) for f in unique) == key for row in self._rows.values()):
                raise DuplicateKeyError(f"{unique} {key} exists")
        self._rows[doc["_id"]] = copy.deepcopy(doc)
