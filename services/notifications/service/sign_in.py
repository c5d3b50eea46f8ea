"""One-time sign-in links to /app (`member.sign_in_requested`): emailed at once to the
address the network knows, whatever the member's preferences (it is the member's own
request, not a notification; no inbox entry, no digest, no quiet hours). With email off
(`make run` without SMTP) the link is written to the log instead, so a developer can sign in."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from services.notifications.domain.templates import Message
from services.notifications.service.unit_of_work import NotificationsUnitOfWork
from shared.clock import Clock
from shared.contracts import SignInRequested
from shared.events import Envelope

log = logging.getLogger(__name__)
PATH = "/app/sign-in/"


def sign_in_email(event: SignInRequested, link: str) -> tuple[str, str]:
    where = event.network_name or "Commonweave"
    greeting = f"Hello {event.name}," if event.name else "Hello,"
    body = (
        f"{greeting}\n\nSomeone (we hope you) asked to sign in to {where} on Commonweave.\n"
        f"Open this link to sign in:\n\n{link}\n\n"
        f"It works once, until {event.expires_at:%H:%M} UTC. "
        "If you did not ask, ignore this email: nobody can sign in without the link.\n"
    )
    return f"Your sign-in link for {where}", body


@dataclass
class SignInMailer:
    email_on: bool
    public_url: str  # where people open the gateway: the link's address
    clock: Clock

    async def send(
        self, event: SignInRequested, envelope: Envelope, uow: NotificationsUnitOfWork
    ) -> None:
        """The link emailed at once (in the consumer's unit of work), or logged with email
        off."""
        link = f"{self.public_url.rstrip('/')}{PATH}{event.token}"
        if not self.email_on:
            log.warning("email is off: the sign-in link for %s is %s", event.email, link)
            return
        message = Message(*sign_in_email(event, link))
        await uow.deliveries.add_email(
            f"{envelope.id}:email", event.email, message, self.clock.now()
        )
