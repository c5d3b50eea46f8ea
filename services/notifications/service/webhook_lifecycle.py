"""A webhook's life after registration: listed with its latest attempt, deleted, enabled again
after it was disabled for failing (its owners were told then, in their inbox), and its secret
rotated with an overlap during which deliveries are signed with both secrets."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from services.notifications.domain.webhook_secrets import previous_secret_expires_at
from services.notifications.service.webhooks import delivery_view, webhook_view
from services.notifications.store import NotificationStore
from services.notifications.store.webhook_admin import WebhookAdminStore
from services.notifications.webhooks import new_secret
from shared.contracts.requests.notifications import RotateWebhookSecret as RotateSecretInput
from shared.errors import AppError, ErrorCode, not_found
from shared.idempotency import Answered, no_answer
from shared.mongo import Document
from shared.outbox import Outbox

Answer = dict[str, Any]


def listing_view(webhook: Document, last: Document | None, now: datetime) -> Answer:
    return {
        **webhook_view(webhook),
        "disabledReason": webhook.get("disabled_reason"),
        "previousSecretExpiresAt": previous_secret_expires_at(webhook, now),
        "lastDelivery": delivery_view(last) if last else None,
    }


class WebhookLifecycle:
    def __init__(
        self,
        store: NotificationStore,
        admin: WebhookAdminStore,
        outbox: Outbox,
        clock: Callable[[], datetime],
    ) -> None:
        self.store = store
        self.admin = admin
        self.outbox = outbox
        self.clock = clock

    async def _webhook(self, webhook_id: str) -> Document:
        webhook = await self.store.webhook(webhook_id)
        if webhook is None:
            raise not_found("webhook", webhook_id)
        return webhook

    async def _listing(self, webhook: Document) -> Answer:
        last = await self.admin.last_attempts([webhook["_id"]])
        return listing_view(webhook, last.get(webhook["_id"]), self.clock())

    async def webhooks(self, network_id: str, organization_id: str | None) -> list[Answer]:
        found = await self.admin.webhooks(network_id, organization_id)
        last = await self.admin.last_attempts([w["_id"] for w in found])
        now = self.clock()
        return [listing_view(w, last.get(w["_id"]), now) for w in found]

    async def delete(self, webhook_id: str) -> Answer:
        """Answers the webhook as it was; its queued deliveries are not sent."""
        webhook = await self._webhook(webhook_id)
        answer = await self._listing(webhook)
        async with self.outbox.transaction() as tx:
            await self.admin.delete(webhook_id, tx.session)
        return answer

    async def enable(self, webhook_id: str) -> Answer:
        """Enabled again with no failures counted (a webhook that is enabled stays so)."""
        await self._webhook(webhook_id)
        async with self.outbox.transaction() as tx:
            enabled = await self.admin.enable(webhook_id, self.clock(), tx.session)
        if enabled is None:
            raise not_found("webhook", webhook_id)
        return await self._listing(enabled)

    async def rotate_secret(
        self, webhook_id: str, data: RotateSecretInput, answered: Answered = no_answer
    ) -> Answer:
        """A new secret, answered only here; the previous one signs beside it for
        `overlap_seconds` (0: it stops at once)."""
        webhook = await self._webhook(webhook_id)
        now = self.clock()
        until = now + timedelta(seconds=data.overlap_seconds)
        async with self.outbox.transaction() as tx:
            rotated = await self.admin.rotate(webhook, new_secret(), now, until, tx.session)
            if rotated is None:
                raise AppError(
                    ErrorCode.CONFLICT, f"webhook {webhook_id} changed meanwhile; try again"
                )
            answer = {
                "webhook": await self._listing(rotated),
                "secret": rotated["secret"],
                "previousSecretExpiresAt": previous_secret_expires_at(rotated, now),
            }
            await answered(tx.session, answer)
        return answer
