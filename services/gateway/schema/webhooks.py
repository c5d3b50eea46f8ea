"""The webhook lifecycle: the webhooks a caller manages, with their latest attempt; delete;
enable again after failures disabled one; rotate the signing secret with an overlap. Who may:
an organization's webhook, its admins and the network's operator; a network-wide one, the
operator. Another network's webhook is NOT_FOUND, as a missing one."""

from __future__ import annotations

from datetime import datetime

import strawberry

from services.gateway.auth import require_member_of, require_network, require_operator
from services.gateway.schema.context import Info
from services.gateway.schema.mapping import build, build_all, request
from services.gateway.schema.notifications import Webhook
from shared import contracts as c
from shared.contracts.requests import notifications as rq

DAY = 24 * 3600


@strawberry.type
class RotateWebhookSecretPayload:
    webhook: Webhook
    secret: str = strawberry.field(description="The new signing secret, shown only this once.")
    previous_secret_expires_at: datetime | None = strawberry.field(
        description="Until when deliveries are signed with the previous secret too."
    )


async def _manageable(info: Info, webhook_id: str) -> c.WebhookView:
    webhook = await info.context.clients.notifications.webhook(webhook_id)
    caller = await info.context.caller()
    require_network(caller, webhook.network_id, "webhook", webhook_id)
    if webhook.organization_id is None:
        require_operator(caller, webhook.network_id)
    else:
        require_member_of(
            caller, webhook.organization_id, webhook.network_id, admin=True, operator_allowed=True
        )
    return webhook


@strawberry.type
class WebhooksQuery:
    @strawberry.field
    async def webhooks(
        self, info: Info, organization_id: strawberry.ID | None = None
    ) -> list[Webhook]:
        """The webhooks the caller may see, each with its latest delivery attempt: for the
        operator the network's (or one organization's), for a member their organization's."""
        caller = await info.context.caller()
        organization = str(organization_id) if organization_id else caller.organization_id
        if organization is not None and (organization_id or not caller.is_operator):
            found = await info.context.clients.intake.organization(organization)
            network_id = found.network_id
            require_member_of(caller, organization, network_id, operator_allowed=True)
        notifications = info.context.clients.notifications
        return build_all(Webhook, await notifications.webhooks(caller.network_id, organization))


@strawberry.type
class WebhooksMutation:
    @strawberry.mutation
    async def delete_webhook(self, info: Info, id: strawberry.ID) -> Webhook:
        """Deletes the webhook and its delivery log; deliveries still queued are not sent.
        Answers it as it was."""
        await _manageable(info, str(id))
        return build(Webhook, await info.context.clients.notifications.delete_webhook(id))

    @strawberry.mutation
    async def enable_webhook(self, info: Info, id: strawberry.ID) -> Webhook:
        """Enables a webhook again (after repeated failures disabled it), its failure count
        back to zero; new events reach it, the ones missed meanwhile do not."""
        await _manageable(info, str(id))
        return build(Webhook, await info.context.clients.notifications.enable_webhook(id))

    @strawberry.mutation
    async def rotate_webhook_secret(
        self, info: Info, id: strawberry.ID, overlap_seconds: int = DAY
    ) -> RotateWebhookSecretPayload:
        """A new signing secret. For `overlapSeconds` (at most 7 days; 0 ends the old one at
        once) each delivery carries two signatures, one with each secret, so the receiver can
        switch whenever it is ready."""
        await _manageable(info, str(id))
        rotation = request(rq.RotateWebhookSecret, overlap_seconds=overlap_seconds)
        answer = await info.context.clients.notifications.rotate_webhook_secret(
            id, rotation, headers=info.context.idempotency_headers()
        )
        return build(RotateWebhookSecretPayload, answer, webhook=answer.webhook)


QUERIES: list[type] = [WebhooksQuery]
MUTATIONS: list[type] = [WebhooksMutation]
