"""Notifications' use cases against a real document store, without the stack: an event fills
the inboxes of its audience (and the operator's) and announces each notification; an event
about an organization not heard of yet waits for it; email follows each member's
preferences; a webhook registers once with a secret shown once and hears what it asked
for; the inbox pages and marks read all or nothing."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from pymongo import AsyncMongoClient

from services.notifications.domain.preferences import PreferencesPatch, QuietHours
from services.notifications.service import (
    InboxService,
    Notifier,
    WebhookInput,
    WebhookService,
)
from services.notifications.store import (
    INDEXES,
    DeliveryQueue,
    NotificationStore,
    PreferenceStore,
)
from shared.consumer import NotYetKnown
from shared.contracts import (
    MatchesSuggested,
    MatchParty,
    MatchSuggested,
    MemberJoined,
    MemberRef,
    OrganizationProfile,
    OrganizationRegistered,
    Payload,
    SuggestedPartner,
    operator_member_id,
)
from shared.errors import AppError, ErrorCode
from shared.events import Envelope
from shared.mongo import Database, Document, Session, ensure_indexes
from shared.outbox import Outbox
from tests.support.documents import outbox_events

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # a Monday, 09:00 UTC
DIGEST_HOUR = 8


class Notifications:
    def __init__(self, mongo: AsyncMongoClient[Document], db: Database) -> None:
        self.db = db
        self.outbox = Outbox(mongo, db, source="commonweave/notifications")
        store, preferences = NotificationStore(db), PreferenceStore(db)
        self.notifier = Notifier(
            store,
            DeliveryQueue(db),
            preferences,
            email_on=True,
            digest_hour=DIGEST_HOUR,
            clock=lambda: NOW,
        )
        self.inbox = InboxService(store, preferences, DIGEST_HOUR)
        self.webhooks = WebhookService(store, self.outbox, allow_loopback=True)

    async def hear(self, kind: str, subject: str, payload: Payload) -> Envelope:
        envelope = Envelope(source="test", type=kind, subject=subject)
        async with self.outbox.transaction() as tx:
            await self.notifier(payload, envelope, tx)
        return envelope

    async def register(self, org: str, admin: str, email: str = "") -> None:
        profile = OrganizationProfile(
            organization_id=org, network_id="net_1", version=1, name=f"Org {org}"
        )
        ref = MemberRef(member_id=admin, name=f"Admin {admin}", email=email, role="ADMIN")
        registered = OrganizationRegistered(profile=profile, admin=ref, network_name="Lane")
        await self.hear("organization.registered", org, registered)

    async def deliveries(self) -> list[Document]:
        return await self.db["deliveries"].find({}).sort("_id", 1).to_list()


@pytest.fixture
async def service(mongo: AsyncMongoClient[Document], database: Database) -> Notifications:
    await ensure_indexes(database, INDEXES)
    return Notifications(mongo, database)


def suggestion(*organization_ids: str) -> MatchSuggested:
    parties = [MatchParty(organization_id=o, name=f"Org {o}") for o in organization_ids]
    return MatchSuggested(match_id="mat_1", network_id="net_1", parties=parties, score=0.8)


async def titles(service: Notifications, member_id: str) -> list[str]:
    page = await service.inbox.inbox(member_id, unread_only=False, first=20, after=None)
    return [item["title"] for item in page.items]


async def test_a_registration_welcomes_the_admin_and_tells_the_operator(
    service: Notifications,
) -> None:
    await service.register("org_a", "mem_a")
    assert await titles(service, "mem_a") == ["Welcome to Lane, Org org_a"]
    assert await titles(service, operator_member_id("net_1")) == ["New organization: Org org_a"]
    created = await outbox_events(service.db)
    assert [e.type for e in created] == ["notification.created"] * 2
    assert {e.subject for e in created} == {"mem_a", operator_member_id("net_1")}


async def test_an_event_about_an_organization_not_heard_of_yet_waits_and_writes_nothing(
    service: Notifications,
) -> None:
    await service.register("org_a", "mem_a")
    with pytest.raises(NotYetKnown, match="org_b"):
        await service.hear("match.suggested", "mat_1", suggestion("org_a", "org_b"))
    assert await titles(service, "mem_a") == ["Welcome to Lane, Org org_a"]
    await service.register("org_b", "mem_b")
    await service.hear("match.suggested", "mat_1", suggestion("org_a", "org_b"))
    assert (await titles(service, "mem_b"))[0] == "New partner suggestion: Org org_a and Org org_b"


async def test_email_follows_each_members_preferences(service: Notifications) -> None:
    await service.register("org_a", "mem_a", email="a@example.org")
    joined = MemberJoined(
        network_id="net_1",
        organization_id="org_a",
        member=MemberRef(member_id="mem_b", name="B", email="b@example.org", role="MEMBER"),
    )
    await service.hear("member.joined", "mem_b", joined)
    quiet = PreferencesPatch(quiet_hours=QuietHours(start="08:00", end="12:00"))
    await service.inbox.update_preferences("mem_a", quiet)
    await service.inbox.update_preferences("mem_b", PreferencesPatch(digest="DAILY"))
    await service.hear("match.suggested", "mat_1", suggestion("org_a"))
    by_id = {d["_id"]: d for d in await service.deliveries()}
    held = next(d for d in by_id.values() if d.get("to") == "a@example.org" and d["held"])
    assert held["next_at"] == datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
    digest = by_id["digest:mem_b:2026-03-03"]
    assert digest["next_at"] == datetime(2026, 3, 3, DIGEST_HOUR, 0, tzinfo=UTC)


def newcomer_suggested(**ranks: int) -> MatchesSuggested:
    partners = [
        SuggestedPartner(
            match_id=f"mat_{org}",
            organization_id=org,
            name=f"Org {org}",
            network_id="net_1",
            score=0.8,
            reasons=[f"Org {org} offers meals, which you need"],
            partner_reasons=["Org org_new offers outreach, which you need"],
            partner_rank=rank,
        )
        for org, rank in ranks.items()
    ]
    return MatchesSuggested(
        organization_id="org_new", name="Org org_new", network_id="net_1", suggestions=partners
    )


async def test_a_newcomer_gets_one_message_and_a_partner_hears_at_once_only_from_its_top_3(
    service: Notifications,
) -> None:
    await service.register("org_new", "mem_new", email="new@example.org")
    for org in ("org_a", "org_b", "org_c"):
        await service.register(org, f"mem_{org[-1]}", email=f"{org}@example.org")
    for member in ("mem_b", "mem_c"):  # b takes the daily digest, c single emails
        digest = PreferencesPatch(digest="DAILY") if member == "mem_b" else PreferencesPatch()
        await service.inbox.update_preferences(member, digest)
    envelope = await service.hear(
        "matches.suggested", "org_new", newcomer_suggested(org_a=2, org_b=4, org_c=9)
    )
    assert (await titles(service, "mem_new"))[0] == "3 partner suggestions for Org org_new"
    assert (await titles(service, "mem_a"))[0] == "New partner suggestion: Org org_new"
    assert await titles(service, "mem_b") == ["Welcome to Lane, Org org_b"]
    assert await titles(service, "mem_c") == ["Welcome to Lane, Org org_c"]
    announced = [e for e in await outbox_events(service.db) if e.data["kind"] == envelope.type]
    assert sorted(e.subject for e in announced) == ["mem_a", "mem_new"]
    # the suggestion waits for b's digest; c, without one, finds it in its matches list
    items = await service.db["digest_items"].find({"_id": {"$regex": envelope.id}}).to_list()
    assert [(i["member_id"], i["title"]) for i in items] == [
        ("mem_b", "New partner suggestion: Org org_new")
    ]
    emails = {d["to"] for d in await service.deliveries() if envelope.id in d["_id"]}
    assert emails == {"new@example.org", "org_a@example.org"}


async def test_no_email_is_queued_for_an_address_that_cannot_receive_one(
    service: Notifications,
) -> None:
    # an organization imported from a directory: its placeholder admin's domain is .invalid
    await service.register("org_a", "mem_a", email="org_a@directory.invalid")
    await service.register("org_b", "mem_b", email="b@example.org")
    await service.hear("match.suggested", "mat_1", suggestion("org_a", "org_b"))
    assert (await titles(service, "mem_a"))[0].startswith("New partner suggestion")
    assert {d.get("to") for d in await service.deliveries()} == {"b@example.org"}


async def test_preferences_name_only_kinds_that_are_notified(service: Notifications) -> None:
    assert (await service.inbox.preferences_of("mem_a"))["digestHour"] == DIGEST_HOUR
    patch = PreferencesPatch.model_validate(
        {"channels": [{"kind": "match.suggested", "channels": []}, {"kind": "x", "channels": []}]}
    )
    with pytest.raises(AppError) as refused:
        await service.inbox.update_preferences("mem_a", patch)
    assert (refused.value.code, refused.value.field) == (
        ErrorCode.BAD_USER_INPUT,
        "input.channels[1].kind",
    )


async def test_a_webhook_registers_with_its_secret_once_and_hears_what_it_asked_for(
    service: Notifications,
) -> None:
    await service.register("org_a", "mem_a")
    remembered: list[Any] = []

    async def answered(session: Session, answer: Any) -> None:
        remembered.append(answer)

    data = WebhookInput(
        network_id="net_1",
        organization_id="org_a",
        url="http://127.0.0.1:9/hook",
        event_types=["match.suggested"],
    )
    registered = await service.webhooks.register(data, answered)
    assert remembered == [registered]
    assert registered["secret"].startswith("whsec_")
    read = await service.webhooks.webhook(registered["id"])
    assert "secret" not in read
    assert read == {k: v for k, v in registered.items() if k != "secret"}

    await service.hear("match.suggested", "mat_1", suggestion("org_a"))
    [delivery] = [d for d in await service.deliveries() if d["channel"] == "webhook"]
    assert delivery["webhook_id"] == registered["id"]

    unknown = data.model_copy(update={"event_types": ["match.suggested", "no.such"]})
    with pytest.raises(AppError) as refused:
        await service.webhooks.register(unknown)
    assert refused.value.field == "input.eventTypes"
    with pytest.raises(AppError) as missing:
        await service.webhooks.webhook("whk_missing")
    assert missing.value.code is ErrorCode.NOT_FOUND


async def test_the_inbox_pages_newest_first_and_marks_read_all_or_nothing(
    service: Notifications,
) -> None:
    await service.register("org_a", "mem_a")
    for n in range(3):
        await service.hear("match.suggested", f"mat_{n}", suggestion("org_a"))
    first = await service.inbox.inbox("mem_a", unread_only=False, first=2, after=None)
    assert first.has_next_page is True
    rest = await service.inbox.inbox("mem_a", False, 2, after=first.items[-1]["id"])
    assert (len(rest.items), rest.has_next_page) == (2, False)
    assert rest.items[-1]["title"].startswith("Welcome")
    assert first.model_dump()["hasNextPage"] is True  # the internal answer's shape
    ids = [item["id"] for item in first.items]
    with pytest.raises(AppError) as refused:
        await service.inbox.mark_read("mem_a", [*ids, "ntf_other"])
    assert refused.value.code is ErrorCode.NOT_FOUND
    assert await service.inbox.unread_count("mem_a") == 4
    assert await service.inbox.mark_read("mem_a", ids) == 2
    assert await service.inbox.unread_count("mem_a") == 2
