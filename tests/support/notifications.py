"""Notifications as members see them: the inbox through the gateway, a real SMTP mailbox
(aiosmtpd's handler), and two partner organizations whose admins have been welcomed."""

from __future__ import annotations

import uuid
from email import message_from_bytes, policy
from email.message import Message
from typing import Any

from deploy.stack import Stack
from shared import contracts as c
from tests.support.organizations import REGISTER, registration
from tests.support.stack import Client, create_network
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
