"""An organization's webhooks: registering one (its secret is in that answer only, and,
encrypted, in an Idempotency-Key's answer), reading it and its recent deliveries."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from services.notifications.domain import unknown_kinds
from services.notifications.domain.standard_webhooks import new_secret
from services.notifications.service.egress import check_url
from services.notifications.service.unit_of_work import NotificationsUnitOfWork
from shared.clock import Clock
from shared.contracts.text import TextInput
from shared.errors import bad_input, not_found
from shared.events import new_id
from shared.mongo import Document

Answer = dict[str, Any]


class WebhookInput(TextInput):
    network_id: str
    organization_id: str | None = None
    url: str = Field(max_length=2000)
    event_types: list[str] = Field(default=[], max_length=50)


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
    def __init__(self, allow_loopback: bool, clock: Clock) -> None:
        self.allow_loopback = allow_loopback  # local development: loopback and private hosts
        self.clock = clock

    async def register(self, data: WebhookInput, uow: NotificationsUnitOfWork) -> Answer:
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
            "created_at": self.clock.now(),
        }
        answer = {**webhook_view(webhook), "secret": webhook["secret"]}
        async with uow:
            await uow.webhooks.add(webhook)
            await uow.answer(answer)
        return answer

    async def webhook(self, webhook_id: str, uow: NotificationsUnitOfWork) -> Answer:
        webhook = await uow.webhooks.get(webhook_id)
        if webhook is None:
            raise not_found("webhook", webhook_id)
        return webhook_view(webhook)

    async def deliveries(
        self, webhook_id: str, first: int, uow: NotificationsUnitOfWork
    ) -> list[Answer]:
        """The latest attempts, newest first."""
        return [delivery_view(e) for e in await uow.attempts.latest(webhook_id, first)]
