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
from shared.i18n import Catalogs, Text

log = logging.getLogger(__name__)
PATH = "/app/sign-in/"


def sign_in_email(event: SignInRequested, link: str) -> Message:
    """The email, to be drawn in the member's language."""
    where = event.network_name or "Commonweave"
    greeting = Text("Hello %(name)s,", name=event.name) if event.name else Text("Hello,")
    body = Text(
        "%(greeting)s\n\nSomeone (we hope you) asked to sign in to %(where)s on Commonweave.\n"
        "Open this link to sign in:\n\n%(link)s\n\n"
        "It works once, until %(until)s UTC. "
        "If you did not ask, ignore this email: nobody can sign in without the link.\n",
        greeting=greeting,
        where=where,
        link=link,
        until=f"{event.expires_at:%H:%M}",
    )
    return Message(Text("Your sign-in link for %(where)s", where=where), body)


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
        chosen = (await uow.preferences.of([event.member_id])).get(event.member_id)
        language = Catalogs.load().get(chosen.language if chosen else None)
        message = sign_in_email(event, link).drawn(language)  # in the member's language
        await uow.deliveries.add_email(
            f"{envelope.id}:email", event.email, message, self.clock.now()
        )
