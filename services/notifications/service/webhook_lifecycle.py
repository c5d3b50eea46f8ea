"""A webhook's life after registration: listed with its latest attempt, deleted, enabled again
after it was disabled for failing (its owners were told then, in their inbox), and its secret
rotated with an overlap during which deliveries are signed with both secrets."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel, Field

from services.notifications.domain.standard_webhooks import new_secret
from services.notifications.domain.webhook_secrets import (
    MAX_OVERLAP_SECONDS,
    previous_secret_expires_at,
    rotation,
)
from services.notifications.service.unit_of_work import NotificationsUnitOfWork
from services.notifications.service.webhooks import delivery_view, webhook_view
from shared.clock import Clock
from shared.errors import AppError, ErrorCode, not_found
from shared.mongo import Document

Answer = dict[str, Any]
DEFAULT_OVERLAP_SECONDS = 24 * 3600


class RotateSecretInput(BaseModel):
    overlap_seconds: int = Field(DEFAULT_OVERLAP_SECONDS, ge=0, le=MAX_OVERLAP_SECONDS)


def listing_view(webhook: Document, last: Document | None, now: datetime) -> Answer:
    return {
        **webhook_view(webhook),
        "disabledReason": webhook.get("disabled_reason"),
        "previousSecretExpiresAt": previous_secret_expires_at(webhook, now),
        "lastDelivery": delivery_view(last) if last else None,
    }


class WebhookLifecycle:
    def __init__(self, clock: Clock) -> None:
        self.clock = clock

    async def _webhook(self, webhook_id: str, uow: NotificationsUnitOfWork) -> Document:
        webhook = await uow.webhooks.get(webhook_id)
        if webhook is None:
            raise not_found("webhook", webhook_id)
        return webhook

    async def _listing(self, webhook: Document, uow: NotificationsUnitOfWork) -> Answer:
        last = await uow.attempts.last_of([webhook["_id"]])
        return listing_view(webhook, last.get(webhook["_id"]), self.clock.now())

    async def webhooks(
        self, network_id: str, organization_id: str | None, uow: NotificationsUnitOfWork
    ) -> list[Answer]:
        found = await uow.webhooks.of_owner(network_id, organization_id)
        last = await uow.attempts.last_of([w["_id"] for w in found])
        now = self.clock.now()
        return [listing_view(w, last.get(w["_id"]), now) for w in found]

    async def delete(self, webhook_id: str, uow: NotificationsUnitOfWork) -> Answer:
        """Answers the webhook as it was; its queued deliveries are not sent."""
        async with uow:
            answer = await self._listing(await self._webhook(webhook_id, uow), uow)
            await uow.webhooks.delete(webhook_id)
        return answer

    async def enable(self, webhook_id: str, uow: NotificationsUnitOfWork) -> Answer:
        """Enabled again with no failures counted (a webhook that is enabled stays so)."""
        async with uow:
            changes = {"disabled": False, "failures": 0, "enabled_at": self.clock.now()}
            enabled = await uow.webhooks.set(webhook_id, changes, unset=("disabled_reason",))
            if enabled is None:
                raise not_found("webhook", webhook_id)
            return await self._listing(enabled, uow)

    async def rotate_secret(
        self, webhook_id: str, data: RotateSecretInput, uow: NotificationsUnitOfWork
    ) -> Answer:
        """A new secret, answered only here; the previous one signs beside it for
        `overlap_seconds` (0: it stops at once)."""
        now = self.clock.now()
        until = now + timedelta(seconds=data.overlap_seconds)
        async with uow:
            webhook = await self._webhook(webhook_id, uow)
            changes = rotation(webhook, new_secret(), now, until)
            rotated = await uow.webhooks.set_if_secret(webhook_id, webhook["secret"], changes)
            if rotated is None:
                raise AppError(
                    ErrorCode.CONFLICT, f"webhook {webhook_id} changed meanwhile; try again"
                )
            answer = {
                "webhook": await self._listing(rotated, uow),
                "secret": rotated["secret"],
                "previousSecretExpiresAt": previous_secret_expires_at(rotated, now),
            }
            await uow.answer(answer)
        return answer
