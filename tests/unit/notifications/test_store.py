"""Notifications' repositories and unit of work against a real document store: an event's
inbox rows and their `notification.created` commit together, and a second write of one
event's rows is refused by the unique index with nothing written, and an event of two messages
writes its inbox and outbox once each (the store's own counters); a webhook registered with an
Idempotency-Key is written once; what the repositories read back (inbox pages, the delivery
log, the queue) is in the order the fake keeps (test_notifications_usecases.py tests the use
cases over the fake)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pymongo import AsyncMongoClient
from pymongo.errors import DuplicateKeyError

from services.notifications.domain.templates import Message
from services.notifications.service import InboxService, Notifier, WebhookInput, WebhookService
from services.notifications.service.unit_of_work import DigestEntry
from services.notifications.store import INDEXES, MongoNotificationsUnitOfWork
from shared.clock import Clock
from shared.contracts import (
    MatchParty,
    MatchSuggested,
    MemberRef,
    OrganizationProfile,
    OrganizationRegistered,
    Payload,
)
from shared.events import Envelope
from shared.idempotency import IDEMPOTENCY, Idempotency, WriteOnce
from shared.mongo import Database, Document, ensure_indexes
from shared.outbox import Outbox
from tests.support.documents import outbox_events

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
async def uow(
    mongo: AsyncMongoClient[Document], database: Database
) -> MongoNotificationsUnitOfWork:
    await ensure_indexes(database, INDEXES)
    return MongoNotificationsUnitOfWork(Outbox(mongo, database, "commonweave/notifications"))


@pytest.fixture
def clock() -> Clock:
    clock = Clock()
    clock.set(NOW)
    return clock


async def hear(
    notifier: Notifier, uow: MongoNotificationsUnitOfWork, payload: Payload, envelope: Envelope
) -> None:
    async with uow:
        await notifier.hear(payload, envelope, uow)


def registered(org: str, admin: str) -> OrganizationRegistered:
    profile = OrganizationProfile(organization_id=org, network_id="net_1", version=1, name=org)
    ref = MemberRef(member_id=admin, name=admin, email=f"{admin}@example.org", role="ADMIN")
    return OrganizationRegistered(profile=profile, admin=ref, network_name="Lane")


async def test_inbox_rows_and_their_events_commit_together_once_per_event(
    uow: MongoNotificationsUnitOfWork, database: Database, clock: Clock
) -> None:
    notifier = Notifier(email_on=True, digest_hour=8, clock=clock)
    envelope = Envelope(source="test", type="organization.registered", subject="org_a")
    await hear(notifier, uow, registered("org_a", "mem_a"), envelope)
    events = await outbox_events(database)
    assert [e.type for e in events] == ["notification.created"] * 2
    rows = await database["inbox"].find({}).to_list()
    assert {r["_id"] for r in rows} == {e.data["notification_id"] for e in events}
    assert await database["deliveries"].count_documents({}) == 1  # the admin's welcome email

    with pytest.raises(DuplicateKeyError):  # the same event's rows again: nothing written
        await hear(notifier, uow, registered("org_a", "mem_a"), envelope)
    assert len(await outbox_events(database)) == 2
    assert await database["inbox"].count_documents({}) == 2

    inbox = InboxService(8)
    await hear(notifier, uow, registered("org_b", "mem_b"), Envelope(
        source="test", type="organization.registered", subject="org_b"
    ))  # fmt: skip
    parties = [MatchParty(organization_id=o, name=o) for o in ("org_a", "org_b")]
    suggested = MatchSuggested(match_id="m", network_id="net_1", parties=parties, score=0.8)
    await hear(notifier, uow, suggested, Envelope(source="t", type="match.suggested", subject="m"))
    page = await inbox.inbox("mem_a", False, 1, None, uow)
    assert page.has_next_page and page.items[0]["title"].startswith("New partner suggestion")
    rest = await inbox.inbox("mem_a", False, 5, page.items[0]["id"], uow)
    assert [i["title"] for i in rest.items] == ["Welcome to Lane, org_a"]
    assert await inbox.mark_read("mem_a", [page.items[0]["id"]], uow) == 1
    assert await inbox.unread_count("mem_a", uow) == 1


async def test_a_webhook_registered_with_a_key_is_written_once(
    uow: MongoNotificationsUnitOfWork, database: Database, clock: Clock
) -> None:
    service = WebhookService(allow_loopback=True, clock=clock)
    once = WriteOnce(Idempotency(database[IDEMPOTENCY], "key-1", "POST /webhooks"))
    data = WebhookInput(network_id="net_1", url="http://127.0.0.1:9/hook")

    async def call() -> dict[str, Any]:
        return await once.run(data, uow, lambda: service.register(data, uow))

    first = await call()
    assert await call() == first  # the secret too, from the encrypted answer
    assert await database["webhooks"].count_documents({}) == 1
    assert (await service.webhook(first["id"], uow))["url"] == data.url


async def test_the_webhook_log_keeps_the_newest_attempts_and_the_lifecycle_writes(
    uow: MongoNotificationsUnitOfWork,
) -> None:
    webhook = {"_id": "whk_1", "network_id": "n", "organization_id": None, "url": "u",
               "event_types": [], "secret": "s1", "failures": 0, "disabled": False,
               "created_at": NOW}  # fmt: skip
    async with uow:
        await uow.webhooks.add(webhook)
    for n in range(7):
        async with uow:
            await uow.attempts.add("whk_1", f"d{n}", 200 + n, None, NOW + timedelta(seconds=n))
            await uow.attempts.trim("whk_1", keep=3)
    assert [a["status_code"] for a in await uow.attempts.latest("whk_1", 10)] == [206, 205, 204]
    assert (await uow.attempts.last_of(["whk_1", "whk_2"]))["whk_1"]["delivery_id"] == "d6"

    async with uow:
        assert await uow.webhooks.failed("whk_1") == 1
        assert await uow.webhooks.disable("whk_1", "HTTP 500")
        assert not await uow.webhooks.disable("whk_1", "HTTP 500")  # once
        assert await uow.webhooks.set_if_secret("whk_1", "other", {"secret": "s2"}) is None
        enabled = await uow.webhooks.set("whk_1", {"disabled": False}, unset=("disabled_reason",))
    assert enabled is not None and "disabled_reason" not in enabled
    async with uow:
        await uow.webhooks.delete("whk_1")
    assert await uow.webhooks.get("whk_1") is None
    assert await uow.attempts.latest("whk_1", 10) == []


async def test_the_queue_hands_out_due_deliveries_once_and_one_digest_a_day(
    uow: MongoNotificationsUnitOfWork,
) -> None:
    message = Message("Hi", "there")
    digest = DigestEntry("digest:mem_a:2026-03-03", "mem_a", "a@example.org", NOW)
    async with uow:
        await uow.deliveries.add_email("e1", "a@example.org", message, NOW + timedelta(hours=1))
        await uow.deliveries.add_webhook_post("w1", "whk_1", "{}", NOW)
        for n in range(2):
            await uow.deliveries.add_to_digest(digest, f"i{n}", message, "match.suggested", NOW)
    due = await uow.deliveries.due(NOW)
    assert sorted(d["_id"] for d in due) == ["digest:mem_a:2026-03-03", "w1"]
    async with uow:
        assert await uow.deliveries.claim(due[0], NOW, timedelta(minutes=2))
        assert not await uow.deliveries.claim(due[0], NOW, timedelta(minutes=2))
    items = await uow.deliveries.unsent_digest_items("mem_a", NOW)
    assert [i["_id"] for i in items] == ["i0", "i1"]
    async with uow:
        await uow.deliveries.mark_digest_items_sent(["i0", "i1"], digest.digest_id)
    assert await uow.deliveries.unsent_digest_items("mem_a", NOW) == []


async def test_an_event_of_two_messages_writes_its_inbox_and_outbox_once_each(
    uow: MongoNotificationsUnitOfWork, mongo: AsyncMongoClient[Document], clock: Clock
) -> None:
    """A registration tells its admin and the network's operator: one inbox insert and one
    outbox insert for both (and the admin's email), counted by the store itself."""
    notifier = Notifier(email_on=True, digest_hour=8, clock=clock)
    envelope = Envelope(source="test", type="organization.registered", subject="org_a")
    before = (await mongo.admin.command("serverStatus"))["opcounters"]
    await hear(notifier, uow, registered("org_a", "mem_a"), envelope)
    after = (await mongo.admin.command("serverStatus"))["opcounters"]
    spent = {k: after[k] - before[k] for k in ("insert", "query", "update")}
    # inserts: the inbox rows, their events, the welcome email; queries: the admin's
    # recipient row, both members' preferences, the webhooks, and the outbox's newest pending
    # event (read once per process: its ordering key never goes back); the update: the
    # recipient saved
    assert spent == {"insert": 3, "query": 4, "update": 1}
