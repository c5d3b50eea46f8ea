"""Notifications as members see them: the inbox through the gateway, a real SMTP server and
its mailbox (aiosmtpd), and two partner organizations whose admins have been welcomed."""

from __future__ import annotations

import uuid
from email import message_from_bytes, policy
from email.message import Message
from typing import Any

from aiosmtpd.controller import Controller

from deploy.stack import Stack
from shared import contracts as c
from tests.support.organizations import REGISTER, registration
from tests.support.stack import Client, create_network, free_port
from tests.support.wait import eventually

INBOX = (
    "{ notifications(first: 10) { edges { node { kind title body } } } unreadNotificationCount }"
)


class Mailbox:
    """An aiosmtpd handler that keeps every message it is given."""

    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"

    def subjects_to(self, address: str) -> list[str]:
        return [str(m["Subject"]) for m in self.messages if m["To"] == address]


class MailServer:
    """A real SMTP server (aiosmtpd) on a port of its own that a test can stop and start again
    (email waits while it is down); every message lands in `mailbox`. A test shares it with
    the others of its session: it reads only what was sent to its own addresses."""

    def __init__(self) -> None:
        self.mailbox = Mailbox()
        self.port = free_port()
        self._controller: Controller | None = None

    @property
    def running(self) -> bool:
        return self._controller is not None

    def start(self) -> None:
        if self._controller is None:
            self._controller = Controller(self.mailbox, hostname="127.0.0.1", port=self.port)
            self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None


def kinds(client: Client) -> list[str]:
    """The kinds of the caller's latest notifications, newest first."""
    edges = client.data(INBOX)["notifications"]["edges"]
    return [edge["node"]["kind"] for edge in edges]


def two_partners(stack: Stack) -> tuple[c.PartnershipRef, list[tuple[Client, str]]]:
    """A new network with two organizations, their admins (client and email) once welcomed,
    and a partnership reference naming both."""
    network = create_network(stack)
    operator = Client(stack.graphql_url, network["operatorToken"])
    admins, org_ids = [], []
    for name in ("GreenLeaf", "Northside School"):
        email = f"{uuid.uuid4().hex[:8]}@{name.split()[0].lower()}.org"
        data = operator.data(REGISTER, {"input": registration(network["networkId"], name, email)})
        admins.append((operator.as_(data["registerOrganization"]["adminToken"]), email))
        org_ids.append(data["registerOrganization"]["organization"]["id"])
    for client, _ in admins:  # notifications knows them once it has welcomed them
        eventually(lambda cl=client: "organization.registered" in kinds(cl), timeout=45)
    partnership = c.PartnershipRef(
        partnership_id=f"prt_{uuid.uuid4().hex}",
        network_id=network["networkId"],
        name="GreenLeaf + Northside School",
        organization_ids=org_ids,
    )
    return partnership, admins
