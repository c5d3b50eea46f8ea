"""Commitments' repositories and unit of work against a real document store: a write, its
events and its Idempotency-Key's answer commit together, once; two schedulers racing send a
reminder once (its event id is unique in the outbox); what the repositories read back is in
the order the fake keeps (tests/unit/commitments/test_usecases.py tests the use cases over
the fake)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pymongo import AsyncMongoClient

from services.commitments.domain.models import CommitmentInput, PartnershipInput
from services.commitments.service import Scheduler, Tracker
from services.commitments.store import INDEXES, MongoCommitmentsUnitOfWork
from shared.clock import Clock
from shared.idempotency import IDEMPOTENCY, Idempotency, WriteOnce
from shared.mongo import Database, Document, ensure_indexes
from shared.outbox import Outbox
from shared.settings import Settings
from tests.support.documents import outbox_events

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
async def outbox(mongo: AsyncMongoClient[Document], database: Database) -> Outbox:
    await ensure_indexes(database, INDEXES)
    return Outbox(mongo, database, source="commonweave/commitments")


@pytest.fixture
def tracker() -> Tracker:
    clock = Clock()
    clock.set(NOW)
    return Tracker(clock, Settings(_env_file=None))


def partnership() -> PartnershipInput:
    return PartnershipInput(network_id="net_1", name="Lane", organization_ids=["org_a", "org_b"])


async def test_a_partnership_formed_with_a_key_is_written_once_with_its_event(
    tracker: Tracker, outbox: Outbox, database: Database
) -> None:
    uow = MongoCommitmentsUnitOfWork(outbox)
    once = WriteOnce(Idempotency(database[IDEMPOTENCY], "key-1", "POST /partnerships"))
    data = partnership()

    async def call() -> dict[str, Any]:
        return await once.run(data, uow, lambda: tracker.form(data, {}, uow))

    first = await call()
    assert await call() == first
    assert [e.type for e in await outbox_events(database)] == ["partnership.formed"]
    assert (await tracker.partnership(first["id"], uow)).name == "Lane"
    points = await uow.health.points([first["id"]])
    assert [p["label"] for p in points[first["id"]]] == ["new"]


async def test_two_schedulers_racing_send_a_reminder_once(
    tracker: Tracker, outbox: Outbox, database: Database
) -> None:
    uow = MongoCommitmentsUnitOfWork(outbox)
    formed = await tracker.form(partnership(), {}, uow)
    due = CommitmentInput(owner_organization_id="org_a", title="Flyers", due_at=NOW + timedelta(1))
    made = await tracker.make_commitment(formed.id, due, uow)

    def scheduler() -> Scheduler:
        return Scheduler(tracker, lambda: MongoCommitmentsUnitOfWork(outbox))

    sent = await asyncio.gather(scheduler().tick(NOW), scheduler().tick(NOW))
    assert sorted(sent) == [0, 1]
    reminders = [e for e in await outbox_events(database) if e.type == "commitment.due_soon"]
    assert [e.subject for e in reminders] == [made.id]
    assert await scheduler().tick(NOW) == 0


async def test_records_read_back_oldest_first_and_writes_need_the_unit_of_work(
    tracker: Tracker, outbox: Outbox
) -> None:
    uow = MongoCommitmentsUnitOfWork(outbox)
    formed = await tracker.form(partnership(), {}, uow)
    for day, title in [(3, "Later"), (1, "Sooner")]:
        tracker.clock.set(NOW + timedelta(hours=day))
        due = CommitmentInput(owner_organization_id="org_a", title=title, due_at=NOW + timedelta(5))
        await tracker.make_commitment(formed.id, due, uow)
    found = await tracker.records_of("commitments", [formed.id], uow)
    assert [r["title"] for r in found[formed.id]] == ["Sooner", "Later"]
    with pytest.raises(RuntimeError, match="async with uow"):
        await uow.partnerships.set(formed.id, {"name": "Elsewhere"})
