"""Members' preferences against a real stack and a real SMTP server (aiosmtpd), with the
delivery worker's clock moved by its tick route instead of waiting for hours: channels per
kind, quiet hours (email held, then sent once), the daily digest (one email with every item,
once, across a restart of the service) and the operator's inbox."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from deploy.stack import Stack
from shared import contracts as c
from tests.support import http
from tests.support.events import produce
from tests.support.notifications import Mailbox, MailServer, kinds, two_partners
from tests.support.organizations import REGISTER, registration
from tests.support.stack import Client, create_network
from tests.support.wait import eventually

PREFERENCES = """
{ notificationPreferences {
    channels { kind channels } defaultChannels quietHours { start end } timeZone digest digestHour
} }"""
UPDATE = """
mutation($input: NotificationPreferencesInput!) {
  updateNotificationPreferences(input: $input) {
    channels { kind channels } defaultChannels quietHours { start end } timeZone digest digestHour
  }
}"""


@pytest.fixture
def mailbox(mail: MailServer) -> Mailbox:
    """The session's mailbox; each test reads the messages to its own addresses only."""
    return mail.mailbox


def tick(stack: Stack, now: datetime) -> int:
    """One pass of the delivery worker at `now`."""
    response = http.post(
        f"{stack.service_url('notifications')}/deliveries/tick",
        params={"now": now.isoformat()},
        headers={"X-Service-Token": stack.settings.service_token.get_secret_value()},
        timeout=30,
    )
    response.raise_for_status()
    sent: int = response.json()["sent"]
    return sent


def one_organization(stack: Stack) -> tuple[Client, str, c.PartnershipRef]:
    """An admin (welcomed, so notifications knows them), their email and a partnership."""
    network = create_network(stack)
    operator = Client(stack.graphql_url, network["operatorToken"])
    email = f"{uuid.uuid4().hex[:8]}@solo.org"
    data = operator.data(REGISTER, {"input": registration(network["networkId"], "Solo", email)})
    admin = operator.as_(data["registerOrganization"]["adminToken"])
    eventually(lambda: "organization.registered" in kinds(admin), timeout=45)
    partnership = c.PartnershipRef(
        partnership_id=f"prt_{uuid.uuid4().hex}",
        network_id=network["networkId"],
        name="Solo + Friends",
        organization_ids=[data["registerOrganization"]["organization"]["id"]],
    )
    return admin, email, partnership


async def milestone(stack: Stack, partnership: c.PartnershipRef, title: str) -> c.MilestoneReached:
    event = c.MilestoneReached(partnership=partnership, milestone_id=uuid.uuid4().hex, title=title)
    bootstrap = stack.settings.kafka_bootstrap
    await produce(bootstrap, "milestone.reached", partnership.partnership_id, event)
    return event


def field_of(client: Client, variables: dict[str, Any]) -> tuple[str, str]:
    error = client.errors(UPDATE, {"input": variables})[0]
    return error["extensions"]["code"], error["extensions"].get("field", "")


def test_preferences_are_read_updated_and_validated(stack: Stack) -> None:
    admin, _, _ = one_organization(stack)
    defaults = admin.data(PREFERENCES)["notificationPreferences"]
    assert defaults == {
        "channels": [],
        "defaultChannels": ["INBOX", "EMAIL"],
        "quietHours": None,
        "timeZone": "UTC",
        "digest": "OFF",
        "digestHour": 8,
    }
    updated = admin.data(
        UPDATE,
        {
            "input": {
                "channels": [{"kind": "commitment.due_soon", "channels": ["EMAIL"]}],
                "quietHours": {"start": "22:00", "end": "07:00"},
                "timeZone": "America/Los_Angeles",
                "digest": "DAILY",
            }
        },
    )["updateNotificationPreferences"]
    assert updated["channels"] == [{"kind": "commitment.due_soon", "channels": ["INBOX", "EMAIL"]}]
    assert (updated["quietHours"], updated["timeZone"], updated["digest"]) == (
        {"start": "22:00", "end": "07:00"},
        "America/Los_Angeles",
        "DAILY",
    )
    # only what is given changes
    partial = admin.data(UPDATE, {"input": {"digest": "OFF", "digestHour": 18}})
    assert partial["updateNotificationPreferences"]["quietHours"] == updated["quietHours"]

    assert field_of(admin, {"timeZone": "Mars/Olympus"}) == ("BAD_USER_INPUT", "input.timeZone")
    assert field_of(admin, {"quietHours": {"start": "25:00", "end": "07:00"}}) == (
        "BAD_USER_INPUT",
        "input.quietHours.start",
    )
    assert field_of(admin, {"quietHours": {"start": "07:00", "end": "07:00"}}) == (
        "BAD_USER_INPUT",
        "input.quietHours",
    )
    assert field_of(admin, {"channels": [{"kind": "no.such", "channels": ["INBOX"]}]}) == (
        "BAD_USER_INPUT",
        "input.channels[0].kind",
    )
    assert field_of(admin, {"digestHour": 24}) == ("BAD_USER_INPUT", "input.digestHour")
    after = admin.data(PREFERENCES)["notificationPreferences"]
    assert after == {**updated, "digest": "OFF", "digestHour": 18}  # nothing half-written


async def test_email_switched_off_for_a_kind_reaches_the_inbox_only(
    stack: Stack, mailbox: Mailbox
) -> None:
    partnership, admins = two_partners(stack)
    (quiet_client, quiet_email), (_, loud_email) = admins
    quiet_client.data(
        UPDATE, {"input": {"channels": [{"kind": "milestone.reached", "channels": ["INBOX"]}]}}
    )
    await milestone(stack, partnership, "Garden planted")
    eventually(
        lambda: any("reached a milestone" in s for s in mailbox.subjects_to(loud_email)),
        timeout=30,
    )
    eventually(lambda: "milestone.reached" in kinds(quiet_client), timeout=30)
    tick(stack, datetime.now(UTC) + timedelta(days=2))
    assert not any("reached a milestone" in s for s in mailbox.subjects_to(quiet_email))


async def test_email_in_quiet_hours_is_held_then_sent_once(stack: Stack, mailbox: Mailbox) -> None:
    admin, email, partnership = one_organization(stack)
    now = datetime.now(UTC)
    start, end = now - timedelta(hours=1), now + timedelta(hours=2)
    admin.data(
        UPDATE,
        {
            "input": {
                "timeZone": "UTC",
                "quietHours": {"start": start.strftime("%H:%M"), "end": end.strftime("%H:%M")},
            }
        },
    )
    event = c.MilestoneReached(partnership=partnership, milestone_id="ms_q", title="Quiet win")
    bootstrap = stack.settings.kafka_bootstrap
    sent = await produce(bootstrap, "milestone.reached", partnership.partnership_id, event)
    # the same event again (a redelivery): still one notification, one email
    await produce(
        bootstrap, "milestone.reached", partnership.partnership_id, event, event_id=sent.id
    )
    eventually(lambda: "milestone.reached" in kinds(admin), timeout=30)

    def milestone_emails() -> int:
        return sum("reached a milestone" in s for s in mailbox.subjects_to(email))

    tick(stack, datetime.now(UTC))  # still quiet
    tick(stack, end - timedelta(minutes=2))
    assert milestone_emails() == 0
    tick(stack, end + timedelta(minutes=1))
    eventually(milestone_emails, timeout=10)
    tick(stack, end + timedelta(hours=1))
    assert milestone_emails() == 1
    assert kinds(admin).count("milestone.reached") == 1


async def test_digest_members_get_one_email_a_day_listing_every_item(
    stack: Stack, mailbox: Mailbox
) -> None:
    admin, email, partnership = one_organization(stack)
    now = datetime.now(UTC)
    hour = (now + timedelta(hours=12)).hour  # far from now: every item joins the same digest
    admin.data(UPDATE, {"input": {"timeZone": "UTC", "digest": "DAILY", "digestHour": hour}})
    titles = ["Drive one", "Drive two", "Drive three"]
    for title in titles:
        await milestone(stack, partnership, title)
    eventually(lambda: kinds(admin).count("milestone.reached") == 3, timeout=30)
    assert not any("reached a milestone" in s for s in mailbox.subjects_to(email))

    def digests() -> list[str]:
        return [
            m.get_content()
            for m in mailbox.messages
            if m["To"] == email and str(m["Subject"]).startswith("Your Commonweave digest")
        ]

    tick(stack, now + timedelta(hours=11))  # before the digest hour: nothing yet
    assert digests() == []
    at = now + timedelta(hours=13)
    tick(stack, at)
    body = eventually(digests, timeout=10)[0]
    assert all(title in body for title in titles), body
    # a restarted service (and its worker) does not send the day's digest again
    stack.stop_component("notifications")
    stack.start_component("notifications")
    tick(stack, at)
    tick(stack, at + timedelta(days=2))
    assert len(digests()) == 1
    assert not any("reached a milestone" in s for s in mailbox.subjects_to(email))


async def test_the_operator_hears_of_network_wide_events(stack: Stack) -> None:
    network = create_network(stack)
    network_id = network["networkId"]
    operator = Client(stack.graphql_url, network["operatorToken"])
    operator.data(REGISTER, {"input": registration(network_id, "Pantry", "p@pantry.org")})
    need = c.NeedReported(
        need=c.NeedProfile(
            need_id=f"need_{uuid.uuid4().hex}",
            network_id=network_id,
            version=1,
            title="Winter coats",
            focus_area="housing",
            area="Westside",
            severity=4,
        )
    )
    survey = c.SurveyImported(
        network_id=network_id,
        survey_id=f"srv_{uuid.uuid4().hex}",
        rows_imported=12,
        rows_rejected=1,
        needs_created=3,
        needs_strengthened=2,
    )
    bootstrap = stack.settings.kafka_bootstrap
    sent = await produce(bootstrap, "need.reported", need.need.need_id, need)
    await produce(bootstrap, "need.reported", need.need.need_id, need, event_id=sent.id)
    await produce(bootstrap, "survey.imported", survey.survey_id, survey)
    expected = {"organization.registered", "need.reported", "survey.imported"}
    eventually(lambda: expected <= set(kinds(operator)), timeout=45)
    assert kinds(operator).count("need.reported") == 1
    titles = {e["node"]["title"] for e in operator.data(INBOX_TITLES)["notifications"]["edges"]}
    assert {"New organization: Pantry", "Need reported: Winter coats"} <= titles
    assert operator.data("{ unreadNotificationCount }")["unreadNotificationCount"] >= 3


INBOX_TITLES = "{ notifications(first: 20) { edges { node { kind title } } } }"
