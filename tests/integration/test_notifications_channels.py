"""Notifications against a real SMTP server (aiosmtpd): every partner hears of a milestone in
the inbox and by email, a redelivered event notifies once, and email queued while the mail
server is down arrives once it is back."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from email import message_from_bytes, policy
from email.message import Message
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from deploy.stack import Stack
from shared import contracts as c
from tests.integration.test_slice import INBOX, REGISTER, registration
from tests.support.events import produce
from tests.support.stack import Client, create_network, free_port, stack_settings
from tests.support.wait import eventually


class Mailbox:
    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"

    def subjects_to(self, address: str) -> list[str]:
        return [str(m["Subject"]) for m in self.messages if m["To"] == address]


@pytest.fixture(scope="module")
def smtp_port() -> int:
    return free_port()


@pytest.fixture(scope="module")
def mail_stack(tmp_path_factory: pytest.TempPathFactory, smtp_port: int) -> Iterator[Stack]:
    data_dir: Path = tmp_path_factory.mktemp("mail")
    settings = stack_settings(
        data_dir,
        smtp_host="127.0.0.1",
        smtp_port=smtp_port,
        email_poll_seconds=0.2,
        email_max_backoff_seconds=1.0,
    )
    with Stack(settings, report=lambda line: None) as running:
        yield running


def two_partners(stack: Stack) -> tuple[c.PartnershipRef, list[tuple[Client, str]]]:
    network = create_network(stack)
    operator = Client(stack.graphql_url, network["operatorToken"])
    admins, org_ids = [], []
    for name in ("GreenLeaf", "Northside School"):
        email = f"{uuid.uuid4().hex[:8]}@{name.split()[0].lower()}.org"
        data = operator.data(REGISTER, {"input": registration(network["networkId"], name, email)})
        admins.append((operator.as_(data["registerOrganization"]["adminToken"]), email))
        org_ids.append(data["registerOrganization"]["organization"]["id"])
    partnership = c.PartnershipRef(
        partnership_id=f"prt_{uuid.uuid4().hex}",
        network_id=network["networkId"],
        name="GreenLeaf + Northside School",
        organization_ids=org_ids,
    )
    return partnership, admins


def kinds(client: Client) -> list[str]:
    edges = client.data(INBOX)["notifications"]["edges"]
    return [edge["node"]["kind"] for edge in edges]


async def test_email_waits_for_the_mail_server_and_every_event_notifies_once(
    mail_stack: Stack, smtp_port: int
) -> None:
    mailbox = Mailbox()
    partnership, admins = two_partners(mail_stack)  # the mail server is still down here
    milestone = c.MilestoneReached(
        partnership=partnership, milestone_id="ms_1", title="First recycling drive done"
    )
    bootstrap = mail_stack.settings.kafka_bootstrap
    sent = await produce(bootstrap, "milestone.reached", partnership.partnership_id, milestone)
    await produce(
        bootstrap, "milestone.reached", partnership.partnership_id, milestone, event_id=sent.id
    )
    for client, _ in admins:
        eventually(lambda cl=client: "milestone.reached" in kinds(cl))
    assert mailbox.messages == []

    controller = Controller(mailbox, hostname="127.0.0.1", port=smtp_port)
    controller.start()
    try:
        for _, email in admins:
            eventually(lambda e=email: len(mailbox.subjects_to(e)) >= 2, timeout=30)
    finally:
        controller.stop()

    for client, email in admins:
        assert kinds(client).count("milestone.reached") == 1
        subjects = mailbox.subjects_to(email)
        assert any(
            s.startswith("🎉 GreenLeaf + Northside School reached a milestone") for s in subjects
        )
        assert len(subjects) == 2, subjects  # the welcome and the milestone, once each


def test_marking_read_lowers_the_unread_count(mail_stack: Stack) -> None:
    _, admins = two_partners(mail_stack)
    client = admins[0][0]
    ids = eventually(
        lambda: [
            e["node"]["id"]
            for e in client.data("{ notifications { edges { node { id } } } }")["notifications"][
                "edges"
            ]
        ]
    )
    assert client.data(INBOX)["unreadNotificationCount"] == 1
    changed = client.data(
        "mutation($ids: [ID!]!) { markNotificationsRead(ids: $ids) }", {"ids": [*ids, "not-mine"]}
    )
    assert changed["markNotificationsRead"] == 1
    assert client.data(INBOX)["unreadNotificationCount"] == 0
