"""Short, human messages per event kind. Pure: an event in, a title and body out."""

from __future__ import annotations

from dataclasses import dataclass

from shared.contracts import OrganizationRegistered


@dataclass(frozen=True)
class Message:
    kind: str
    title: str
    body: str


def welcome(event: OrganizationRegistered) -> Message:
    network = event.network_name or "your network"
    return Message(
        kind="organization.registered",
        title=f"Welcome to {network}, {event.profile.name}",
        body=(
            f"{event.admin.name}, {event.profile.name} is now part of {network}. "
            "We will suggest partners whose goals and strengths fit yours."
        ),
    )
