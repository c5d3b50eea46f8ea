"""Notifications' use cases against the fake unit of work (milliseconds, no database): an
event fills the inboxes of its audience (and the operator's) and announces each notification;
an event about an organization not heard of yet waits for it and writes nothing; email follows
each member's preferences; a sign-in link is emailed at once; a webhook registers once with a
secret shown once and hears what it asked for; the inbox pages and marks read all or nothing.
tests/unit/notifications/test_store.py keeps the real store's side."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import ValidationError

from services.notifications.domain.preferences import PreferencesPatch, QuietHours
from services.notifications.service import (
    InboxService,
    Notifier,
    SignInMailer,
    WebhookInput,
    WebhookService,
)
from shared.clock import Clock
from shared.consumer import NotYetKnown
from shared.contracts import (
    CheckInDue,
    MatchesSuggested,
    MatchParty,
    MatchSuggested,
    MemberJoined,
    MemberRef,
    MemberRemoved,
    OrganizationProfile,
    OrganizationRegistered,
    PartnershipRef,
    Payload,
    SignInRequested,
    SuggestedPartner,
    event_type_of,
    operator_member_id,
)
from shared.errors import AppError, ErrorCode
from shared.events import Envelope
from shared.unit_of_work import AlreadyProcessed
from tests.support.fake_notifications import FakeNotificationsUnitOfWork

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # a Monday, 09:00 UTC
DIGEST_HOUR = 8


class Notifications:
    """The use cases as app.py wires them, over one fake unit of work."""

    def __init__(self, email_on: bool = True) -> None:
        self.clock = Clock()
        self.clock.set(NOW)
        self.uow = FakeNotificationsUnitOfWork()
        self.notifier = Notifier(email_on=email_on, digest_hour=DIGEST_HOUR, clock=self.clock)
        self.inbox = InboxService(DIGEST_HOUR)
        self.webhooks = WebhookService(allow_loopback=True, clock=self.clock)

    async def hear(self, subject: str, payload: Payload, envelope: Envelope | None = None) -> None:
        """As the consumer runs a handler: in one unit of work, after its duplicate guard."""
        envelope = envelope or Envelope(source="test", type=event_type_of(payload), subject=subject)
        async with self.uow:
            await self.uow.processed(f"notifications:{envelope.id}", envelope.type)
            await self.notifier.hear(payload, envelope, self.uow)

    async def register(self, org: str, admin: str, email: str = "", zone: str = "UTC") -> None:
        profile = OrganizationProfile(
            organization_id=org, network_id="net_1", version=1, name=f"Org {org}", time_zone=zone
        )
        ref = MemberRef(member_id=admin, name=f"Admin {admin}", email=email, role="ADMIN")
        await self.hear(
            org, OrganizationRegistered(profile=profile, admin=ref, network_name="Lane")
        )

    async def join(self, org: str, member: str, email: str = "") -> None:
        ref = MemberRef(member_id=member, name=member, email=email, role="MEMBER")
        await self.hear(member, MemberJoined(network_id="net_1", organization_id=org, member=ref))

    async def titles(self, member_id: str) -> list[str]:
        page = await self.inbox.inbox(member_id, False, 20, None, self.uow)
        return [item["title"] for item in page.items]

    def deliveries(self) -> dict[str, dict[str, object]]:
        return self.uow.tables["deliveries"]


@pytest.fixture
def service() -> Notifications:
    return Notifications()


def suggestion(*organization_ids: str) -> MatchSuggested:
    parties = [MatchParty(organization_id=o, name=f"Org {o}") for o in organization_ids]
    return MatchSuggested(match_id="mat_1", network_id="net_1", parties=parties, score=0.8)


async def test_a_registration_welcomes_the_admin_and_tells_the_operator(
    service: Notifications,
) -> None:
    await service.register("org_a", "mem_a")
    assert await service.titles("mem_a") == ["Welcome to Lane, Org org_a"]
    assert await service.titles(operator_member_id("net_1")) == ["New organization: Org org_a"]
    assert service.uow.types == ["notification.created"] * 2
    assert {e.subject for e in service.uow.events} == {"mem_a", operator_member_id("net_1")}
    [row] = [r for r in service.uow.tables["inbox"].values() if r["member_id"] == "mem_a"]
    [event] = [e for e in service.uow.events if e.subject == "mem_a"]
    assert row["_id"] == event.data["notification_id"] and row["read"] is False


async def test_a_missed_check_in_becomes_a_notification_for_each_partner(
    service: Notifications,
) -> None:
    await service.register("org_a", "mem_a")
    await service.register("org_b", "mem_b")
    await service.join("org_b", "mem_c")
    before = len(service.uow.events)
    ref = PartnershipRef(
        partnership_id="ptn_1", network_id="net_1", name="Lane", organization_ids=["org_a", "org_b"]
    )
    await service.hear("ptn_1", CheckInDue(partnership=ref, due_at=NOW))
    told = service.uow.events[before:]
    assert sorted(e.subject for e in told) == ["mem_a", "mem_b", "mem_c"]
    assert {(e.data["kind"], e.data["subject_id"]) for e in told} == {("checkin.due", "ptn_1")}
    assert (await service.titles("mem_c"))[0] == "Time for a check-in: Lane"


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
    # b takes the daily digest, c single emails
    await service.inbox.update_preferences("mem_b", PreferencesPatch(digest="DAILY"), service.uow)
    before = len(service.uow.events)
    envelope = Envelope(source="test", type="matches.suggested", subject="org_new")
    await service.hear("org_new", newcomer_suggested(org_a=2, org_b=4, org_c=9), envelope)
    assert (await service.titles("mem_new"))[0] == "3 partner suggestions for Org org_new"
    assert (await service.titles("mem_a"))[0] == "New partner suggestion: Org org_new"
    assert await service.titles("mem_b") == ["Welcome to Lane, Org org_b"]
    assert await service.titles("mem_c") == ["Welcome to Lane, Org org_c"]
    assert sorted(e.subject for e in service.uow.events[before:]) == ["mem_a", "mem_new"]
    # the suggestion waits for b's digest; c, without one, finds it in its matches list
    items = [i for k, i in service.uow.tables["digest_items"].items() if envelope.id in k]
    assert [(i["member_id"], i["title"]) for i in items] == [
        ("mem_b", "New partner suggestion: Org org_new")
    ]
    emails = {d["to"] for k, d in service.deliveries().items() if envelope.id in k}
    assert emails == {"new@example.org", "org_a@example.org"}


async def test_an_event_about_an_organization_not_heard_of_yet_waits_and_writes_nothing(
    service: Notifications,
) -> None:
    await service.register("org_a", "mem_a")
    written = len(service.uow.events)
    with pytest.raises(NotYetKnown, match="org_b"):
        await service.hear("mat_1", suggestion("org_a", "org_b"))
    assert len(service.uow.events) == written
    assert await service.titles("mem_a") == ["Welcome to Lane, Org org_a"]
    await service.register("org_b", "mem_b")
    await service.hear("mat_1", suggestion("org_a", "org_b"))
    assert (await service.titles("mem_b"))[0] == "New partner suggestion: Org org_a and Org org_b"


async def test_an_event_heard_twice_tells_each_member_once(service: Notifications) -> None:
    await service.register("org_a", "mem_a", email="a@example.org")
    envelope = Envelope(source="test", type="match.suggested", subject="mat_1")
    await service.hear("mat_1", suggestion("org_a"), envelope)
    told = (len(service.uow.events), len(service.deliveries()))
    with pytest.raises(AlreadyProcessed):
        await service.hear("mat_1", suggestion("org_a"), envelope)
    assert (len(service.uow.events), len(service.deliveries())) == told
    assert len(await service.titles("mem_a")) == 2


async def test_a_member_who_joins_later_takes_a_colleagues_time_zone_and_leaves_untold(
    service: Notifications,
) -> None:
    await service.register("org_a", "mem_a", zone="America/Los_Angeles")
    await service.join("org_a", "mem_b")
    prefs = await service.inbox.preferences_of("mem_b", service.uow)
    assert prefs["timeZone"] == "America/Los_Angeles"
    removed = MemberRemoved(
        network_id="net_1",
        organization_id="org_a",
        member=MemberRef(member_id="mem_b", name="B", email="", role="MEMBER"),
        removed_by="mem_a",
    )
    await service.hear("mem_b", removed)  # the remaining members hear of it, mem_b not
    assert (await service.titles("mem_a"))[0] == "B was removed"
    assert await service.titles("mem_b") == ["Welcome, mem_b"]  # and nothing since


async def test_email_follows_each_members_preferences(service: Notifications) -> None:
    await service.register("org_a", "mem_a", email="a@example.org")
    await service.join("org_a", "mem_b", email="b@example.org")
    quiet = PreferencesPatch(quiet_hours=QuietHours(start="08:00", end="12:00"))
    await service.inbox.update_preferences("mem_a", quiet, service.uow)
    await service.inbox.update_preferences("mem_b", PreferencesPatch(digest="DAILY"), service.uow)
    await service.hear("mat_1", suggestion("org_a"))
    by_id = service.deliveries()
    held = next(d for d in by_id.values() if d.get("to") == "a@example.org" and d["held"])
    assert held["next_at"] == datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
    digest = by_id["digest:mem_b:2026-03-03"]
    assert digest["next_at"] == datetime(2026, 3, 3, DIGEST_HOUR, 0, tzinfo=UTC)
    [item] = service.uow.tables["digest_items"].values()
    assert (item["member_id"], item["kind"]) == ("mem_b", "match.suggested")


async def test_no_email_is_queued_for_an_address_that_cannot_receive_one(
    service: Notifications,
) -> None:
    # an organization imported from a directory: its placeholder admin's domain is .invalid
    await service.register("org_a", "mem_a", email="org_a@directory.invalid")
    await service.register("org_b", "mem_b", email="b@example.org")
    await service.hear("mat_1", suggestion("org_a", "org_b"))
    assert (await service.titles("mem_a"))[0].startswith("New partner suggestion")
    assert {d.get("to") for d in service.deliveries().values()} == {"b@example.org"}


async def test_with_email_off_only_the_inbox_and_webhooks_are_written() -> None:
    service = Notifications(email_on=False)
    await service.register("org_a", "mem_a", email="a@example.org")
    await service.hear("mat_1", suggestion("org_a"))
    assert service.deliveries() == {}
    assert len(await service.titles("mem_a")) == 2


async def test_preferences_default_and_name_only_kinds_that_are_notified(
    service: Notifications,
) -> None:
    defaults = await service.inbox.preferences_of("mem_a", service.uow)
    assert (defaults["digestHour"], defaults["timeZone"]) == (DIGEST_HOUR, "UTC")
    patch = PreferencesPatch.model_validate(
        {"channels": [{"kind": "match.suggested", "channels": []}, {"kind": "x", "channels": []}]}
    )
    with pytest.raises(AppError) as refused:
        await service.inbox.update_preferences("mem_a", patch, service.uow)
    assert (refused.value.code, refused.value.field) == (
        ErrorCode.BAD_USER_INPUT,
        "input.channels[1].kind",
    )
    assert service.uow.tables["preferences"] == {}
    changed = await service.inbox.update_preferences(
        "mem_a", PreferencesPatch(digest="DAILY"), service.uow
    )
    assert changed["digest"] == "DAILY"
    assert (await service.inbox.preferences_of("mem_a", service.uow)) == changed


async def test_a_webhook_registers_with_its_secret_once_and_hears_what_it_asked_for(
    service: Notifications,
) -> None:
    await service.register("org_a", "mem_a")
    data = WebhookInput(
        network_id="net_1",
        organization_id="org_a",
        url="http://127.0.0.1:9/hook",
        event_types=["match.suggested"],
    )
    registered = await service.webhooks.register(data, service.uow)
    assert service.uow.answers == [registered]
    assert registered["secret"].startswith("whsec_")
    read = await service.webhooks.webhook(registered["id"], service.uow)
    assert "secret" not in read
    assert read == {k: v for k, v in registered.items() if k != "secret"}

    await service.hear("mat_1", suggestion("org_a"))
    await service.hear("mem_z", MemberJoined(
        network_id="net_1",
        organization_id="org_a",
        member=MemberRef(member_id="mem_z", name="Z", email="", role="MEMBER"),
    ))  # fmt: skip
    [delivery] = [d for d in service.deliveries().values() if d["channel"] == "webhook"]
    assert delivery["webhook_id"] == registered["id"]
    assert '"type":"match.suggested"' in str(delivery["body"])


async def test_a_webhook_with_an_unknown_kind_or_a_private_url_is_refused(
    service: Notifications,
) -> None:
    data = WebhookInput(network_id="net_1", url="http://127.0.0.1:9/hook", event_types=["no.such"])
    with pytest.raises(AppError) as unknown:
        await service.webhooks.register(data, service.uow)
    assert unknown.value.field == "input.eventTypes"
    strict = WebhookService(allow_loopback=False, clock=service.clock)
    with pytest.raises(AppError) as private:
        await strict.register(data.model_copy(update={"event_types": []}), service.uow)
    assert private.value.field == "input.url"
    with pytest.raises(AppError) as missing:
        await service.webhooks.webhook("whk_missing", service.uow)
    assert missing.value.code is ErrorCode.NOT_FOUND
    assert service.uow.tables["webhooks"] == {} and service.uow.answers == []


async def test_the_inbox_pages_newest_first_and_marks_read_all_or_nothing(
    service: Notifications,
) -> None:
    await service.register("org_a", "mem_a")
    for n in range(3):
        await service.hear(f"mat_{n}", suggestion("org_a"))
    first = await service.inbox.inbox("mem_a", False, 2, None, service.uow)
    assert first.has_next_page is True
    rest = await service.inbox.inbox("mem_a", False, 2, first.items[-1]["id"], service.uow)
    assert (len(rest.items), rest.has_next_page) == (2, False)
    assert rest.items[-1]["title"].startswith("Welcome")
    ids = [item["id"] for item in first.items]
    with pytest.raises(AppError) as refused:
        await service.inbox.mark_read("mem_a", [*ids, "ntf_other"], service.uow)
    assert refused.value.code is ErrorCode.NOT_FOUND
    assert await service.inbox.unread_count("mem_a", service.uow) == 4
    assert await service.inbox.mark_read("mem_a", ids, service.uow) == 2
    assert await service.inbox.mark_read("mem_a", ids, service.uow) == 0
    assert await service.inbox.unread_count("mem_a", service.uow) == 2
    unread = await service.inbox.inbox("mem_a", True, 20, None, service.uow)
    assert [item["id"] for item in unread.items] == [i["id"] for i in rest.items]


SIGN_IN = SignInRequested(
    network_id="net_1",
    member_id="mem_1",
    organization_id="org_1",
    name="Ann",
    email="ann@greenleaf.example",
    network_name="Lane Network",
    token="signed.token",
    expires_at=datetime(2026, 3, 1, 12, 15, tzinfo=UTC),
)
SIGN_IN_ENVELOPE = Envelope(source="intake", type="member.sign_in_requested", subject="mem_1")


async def test_a_sign_in_link_is_queued_as_an_email_to_the_address_at_once(
    service: Notifications,
) -> None:
    mailer = SignInMailer(True, "https://cw.example.org/", service.clock)
    async with service.uow:
        await mailer.send(SIGN_IN, SIGN_IN_ENVELOPE, service.uow)
    [delivery] = service.deliveries().values()
    assert delivery["to"] == "ann@greenleaf.example"
    assert delivery["_id"] == f"{SIGN_IN_ENVELOPE.id}:email"  # redelivered: nothing new
    assert (delivery["held"], delivery["next_at"]) == (False, NOW)
    assert "https://cw.example.org/app/sign-in/signed.token" in str(delivery["body"])
    assert delivery["subject"] == "Your sign-in link for Lane Network"
    assert service.uow.events == []  # the member's own request, not a notification


async def test_with_email_off_the_sign_in_link_is_logged(
    service: Notifications, caplog: pytest.LogCaptureFixture
) -> None:
    mailer = SignInMailer(False, "http://127.0.0.1:8000", service.clock)
    with caplog.at_level(logging.WARNING):
        async with service.uow:
            await mailer.send(SIGN_IN, SIGN_IN_ENVELOPE, service.uow)
    assert service.deliveries() == {}
    assert "http://127.0.0.1:8000/app/sign-in/signed.token" in caplog.text


async def test_each_member_reads_the_notification_in_their_own_language(
    service: Notifications,
) -> None:
    """One event, two partners: the one who chose Spanish gets the Spanish template in the inbox
    and in the email; the other, English."""
    await service.register("org_a", "mem_a", email="a@example.org")
    await service.register("org_b", "mem_b", email="b@example.org")
    chosen = await service.inbox.update_preferences(
        "mem_a", PreferencesPatch(language="es"), service.uow
    )
    assert chosen["language"] == "es"
    envelope = Envelope(source="test", type="match.suggested", subject="mat_1")
    await service.hear("mat_1", suggestion("org_a", "org_b"), envelope)
    assert "Nueva sugerencia de socios: Org org_a y Org org_b" in await service.titles("mem_a")
    assert "New partner suggestion: Org org_a and Org org_b" in await service.titles("mem_b")
    emails = {d["to"]: d for key, d in service.deliveries().items() if key.startswith(envelope.id)}
    spanish = emails["a@example.org"]
    assert spanish["subject"] == "Nueva sugerencia de socios: Org org_a y Org org_b"
    assert spanish["body"] == "Sus objetivos y fortalezas encajan. Puntuación: 0,80."
    assert emails["b@example.org"]["body"] == "Your goals and strengths fit. Score 0.80."


async def test_a_member_who_reads_spanish_gets_the_sign_in_link_in_spanish(
    service: Notifications,
) -> None:
    await service.inbox.update_preferences("mem_1", PreferencesPatch(language="es"), service.uow)
    mailer = SignInMailer(True, "https://cw.example.org", service.clock)
    async with service.uow:
        await mailer.send(SIGN_IN, SIGN_IN_ENVELOPE, service.uow)
    [delivery] = service.deliveries().values()
    assert delivery["subject"] == "Su enlace para iniciar sesión en Lane Network"
    assert str(delivery["body"]).startswith("Hola, Ann:")
    assert "https://cw.example.org/app/sign-in/signed.token" in str(delivery["body"])
    assert "12:15 UTC" in str(delivery["body"])


def test_a_language_the_product_does_not_speak_is_refused_by_name() -> None:
    with pytest.raises(ValidationError) as refused:
        PreferencesPatch.model_validate({"language": "xx"})
    assert refused.value.errors()[0]["loc"] == ("language",)
    assert "is not a language Commonweave speaks (en, es)" in str(refused.value)


async def test_an_event_of_many_messages_reads_preferences_once_and_writes_once(
    service: Notifications, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A registration tells the admin and the operator (two messages): one preference read,
    one inbox write and one outbox write for both, not one of each per message."""
    calls: list[str] = []

    def counted(name: str, method: Any) -> Any:
        async def wrapper(*args: Any, **kwargs: Any) -> Any:
            calls.append(name)
            return await method(*args, **kwargs)

        return wrapper

    uow = service.uow
    monkeypatch.setattr(uow.preferences, "of", counted("preferences", uow.preferences.of))
    monkeypatch.setattr(uow.inbox, "add", counted("inbox", uow.inbox.add))
    monkeypatch.setattr(uow, "_append", counted("outbox", uow._append))
    await service.register("org_a", "mem_a", email="a@example.org")
    assert sorted(calls) == ["inbox", "outbox", "preferences"]
    assert await service.titles("mem_a") == ["Welcome to Lane, Org org_a"]
    assert await service.titles(operator_member_id("net_1")) == ["New organization: Org org_a"]
    assert len(service.uow.events) == 2 and len(service.deliveries()) == 1
