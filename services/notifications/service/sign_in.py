"""One-time sign-in links to /app (`member.sign_in_requested`): emailed at once to the
address the network knows, whatever the member's preferences (it is the member's own
request, not a notification; no inbox entry, no digest, no quiet hours). With email off
(`make run` without SMTP) the link is written to the log instead, so a developer can sign in."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from services.notifications.store import DeliveryQueue, PreferenceStore
from shared.contracts import SignInRequested
from shared.events import Envelope, utcnow
from shared.i18n import Catalogs, Language, Text
from shared.outbox import Transaction

log = logging.getLogger(__name__)
PATH = "/app/sign-in/"


def sign_in_email(
    event: SignInRequested, link: str, language: Language | None = None
) -> tuple[str, str]:
    """The email in the member's language (English when none is given)."""
    draw = language or Catalogs.load().get(None)
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
    return draw(Text("Your sign-in link for %(where)s", where=where)), draw(body)


@dataclass
class SignInMailer:
    queue: DeliveryQueue
    email_on: bool
    public_url: str  # where people open the gateway: the link's address
    preferences: PreferenceStore  # the language the member reads
    catalogs: Catalogs = field(default_factory=Catalogs.load)

    async def __call__(self, event: SignInRequested, envelope: Envelope, tx: Transaction) -> None:
        link = f"{self.public_url.rstrip('/')}{PATH}{event.token}"
        if not self.email_on:
            log.warning("email is off: the sign-in link for %s is %s", event.email, link)
            return
        chosen = await self.preferences.of([event.member_id], tx.session)
        language = chosen[event.member_id].language if event.member_id in chosen else None
        subject, body = sign_in_email(event, link, self.catalogs.get(language))
        delivery = {
            "_id": f"{envelope.id}:email",
            "channel": "email",
            "to": event.email,
            "subject": subject,
            "body": body,
            "status": "pending",
            "attempts": 0,
            "next_at": utcnow(),
            "held": False,
        }
        await self.queue.enqueue(delivery, tx.session)
