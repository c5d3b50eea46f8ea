"""An organization's webhooks: registering one (its secret is in that answer only, and,
encrypted, in an Idempotency-Key's answer), reading it and its recent deliveries."""

from __future__ import annotations

from typing import Any

from services.notifications.domain import unknown_kinds
from services.notifications.store import NotificationStore
from services.notifications.webhooks import check_url, new_secret
from shared.contracts.requests.notifications import RegisterWebhook as WebhookInput
from shared.errors import bad_input, not_found
from shared.events import new_id, utcnow
from shared.idempotency import Answered, no_answer
from shared.mongo import Document
from shared.outbox import Outbox

Answer = dict[str, Any]


def webhook_view(webhook: Document) -> Answer:
    return {
        "id": webhook["_id"],
        "networkId": webhook["network_id"],
        "organizationId": webhook["organization_id"],
        "url": webhook["url"],
        "eventTypes": webhook["event_types"],
        "disabled": webhook["disabled"],
        "failures": webhook["failures"],
    }


def delivery_view(attempt: Document) -> Answer:
    return {
        "at": attempt["at"].isoformat(),
        "statusCode": attempt["status_code"],
        "error": attempt["error"],
        "ok": attempt["ok"],
    }


class WebhookService:
    def __init__(self, store: NotificationStore, outbox: Outbox, allow_loopback: bool) -> None:
        self.store = store
        self.outbox = outbox
        self.allow_loopback = allow_loopback  # local development: loopback and private hosts

    async def register(self, data: WebhookInput, answered: Answered = no_answer) -> Answer:
        """A URL a webhook may reach and kinds something notifies of, or BAD_USER_INPUT.
        Answers the webhook with its secret."""
        await check_url(data.url, allow_loopback=self.allow_loopback)
        unknown = unknown_kinds(data.event_types)
        if unknown:
            raise bad_input("input.eventTypes", f"unknown event types: {', '.join(unknown)}")
        webhook = {
            "_id": new_id("whk"),
            **data.model_dump(),
            "secret": new_secret(),
            "failures": 0,
            "disabled": False,
            "created_at": utcnow(),
        }
        answer = {**webhook_view(webhook), "secret": webhook["secret"]}
        async with self.outbox.transaction() as tx:
            await self.store.add_webhook(webhook, tx.session)
            await answered(tx.session, answer)
        return answer

    async def webhook(self, webhook_id: str) -> Answer:
        webhook = await self.store.webhook(webhook_id)
        if webhook is None:
            raise not_found("webhook", webhook_id)
        return webhook_view(webhook)

    async def deliveries(self, webhook_id: str, first: int) -> list[Answer]:
        """The latest attempts, newest first."""
        return [delivery_view(e) for e in await self.store.webhook_deliveries(webhook_id, first)]
