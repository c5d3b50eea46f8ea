"""Out-of-order events on the in-memory document store: an event about an organization not
heard of yet is parked, and tried again as soon as that organization's registration has been
handled here, not when its backoff (seconds) runs out."""

from __future__ import annotations

import asyncio
from typing import Any, cast

from pymongo import AsyncMongoClient

from shared.consumer import PARKED, Delivery, EventConsumer, NotYetKnown
from shared.contracts import Payload
from shared.events import Envelope, utcnow
from shared.mongo import Database, Document
from shared.outbox import Outbox
from shared.unit_of_work import UnitOfWork

REGISTERED, SUGGESTED = "organization.registered", "match.suggested"


class Ping(Payload):
    n: int


def delivery(topic: str, subject: str, event_id: str) -> Delivery:
    headers = Envelope(source="test", type=topic, subject=subject, id=event_id).to_headers()
    return Delivery(topic, b'{"n": 1}', headers, subject.encode())


async def test_a_parked_event_is_tried_again_when_what_it_waits_for_arrives(
    mongo: AsyncMongoClient[Document], database: Database
) -> None:
    known: set[str] = set()
    notified: list[str] = []
    events = EventConsumer(cast(Any, None), Outbox(mongo, database, "test"), "notifications")

    async def registered(payload: Ping, envelope: Envelope, uow: UnitOfWork) -> None:
        known.add(envelope.subject)

    async def suggested(payload: Ping, envelope: Envelope, uow: UnitOfWork) -> None:
        if "org_new" not in known:
            raise NotYetKnown("organization org_new not registered yet", ["org_new"])
        notified.append(envelope.id)

    events.subscribe(REGISTERED, registered, Ping)
    events.subscribe(SUGGESTED, suggested, Ping)

    await events.process(delivery(SUGGESTED, "match_1", "ev_match"))  # before its organization
    [parked] = await database[PARKED].find().to_list()
    assert parked["waiting_for"] == ["org_new"]
    assert (parked["next_at"] - utcnow()).total_seconds() > 3  # the timer alone: seconds away

    retrying = asyncio.create_task(events.retry_parked(longest_wait=30))
    try:
        await asyncio.sleep(0.2)  # the loop has looked once and now waits (30 s)
        assert notified == []
        await events.process(delivery(REGISTERED, "org_new", "ev_registered"))
        for _ in range(40):
            if notified:
                break
            await asyncio.sleep(0.05)
        assert notified == ["ev_match"]  # woken by the arrival, not the poll or the backoff
        assert await database[PARKED].count_documents({}) == 0
    finally:
        retrying.cancel()
        await asyncio.gather(retrying, return_exceptions=True)
