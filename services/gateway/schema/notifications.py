"""GraphQL types and operations served by the notifications service."""

from __future__ import annotations

from datetime import datetime

import strawberry

from services.gateway.auth import require_member_of, require_network, require_operator
from services.gateway.schema.context import Info
from services.gateway.schema.mapping import build, build_all
from services.gateway.schema.relay import Connection, check_page_size, connection_of
from shared import contracts as c
from shared.contracts.page import Page


@strawberry.type
class Notification:
    id: strawberry.ID
    kind: str
    title: str
    body: str
    subject_id: strawberry.ID
    read: bool
    created_at: datetime


@strawberry.type
class NotificationsQuery:
    @strawberry.field
    async def notifications(
        self, info: Info, unread_only: bool = False, first: int = 20, after: str | None = None
    ) -> Connection[Notification]:
        caller = await info.context.caller()
        answer = await info.context.clients.notifications.get(
            f"/inbox/{caller.member_id}",
            {"unread_only": unread_only, "first": check_page_size(first), "after": after},
        )
        page = Page[c.NotificationView].model_validate(answer)
        return connection_of(page, lambda item: build(Notification, item), after)

    @strawberry.field
    async def unread_notification_count(self, info: Info) -> int:
        caller = await info.context.caller()
        count: int = await info.context.clients.notifications.get(
            f"/inbox/{caller.member_id}/unread-count"
        )
        return count


@strawberry.type
class WebhookDelivery:
    at: datetime
    status_code: int | None
    error: str | None
    ok: bool


@strawberry.type
class Webhook:
    id: strawberry.ID
    url: str
    event_types: list[str]
    organization_id: strawberry.ID | None
    disabled: bool
    failures: int
    # filled where the lifecycle answers them (`webhooks`, services/gateway/schema/webhooks.py)
    disabled_reason: str | None = None
    previous_secret_expires_at: datetime | None = strawberry.field(
        default=None,
        description="While a rotated-out secret still signs deliveries: until when.",
    )
    last_delivery: WebhookDelivery | None = None


@strawberry.input
class RegisterWebhookInput:
    url: str
    event_types: list[str] = strawberry.field(default_factory=list)
    organization_id: strawberry.ID | None = None


@strawberry.type
class RegisterWebhookPayload:
    webhook: Webhook
    secret: str = strawberry.field(description="The signing secret, shown only this once.")


async def _authorize_webhook_owner(info: Info, organization_id: str | None) -> str:
    """An org admin for an organization's webhook, the operator for a network-wide one."""
    caller = await info.context.caller()
    if organization_id is None:
        require_operator(caller, caller.network_id)
        return caller.network_id
    found = await info.context.clients.intake.get(f"/organizations/{organization_id}")
    network_id = c.OrganizationProfile.model_validate(found).network_id
    require_member_of(caller, organization_id, network_id, admin=True, operator_allowed=True)
    return caller.network_id


@strawberry.type
class NotificationsMutation:
    @strawberry.mutation
    async def register_webhook(
        self, info: Info, input: RegisterWebhookInput
    ) -> RegisterWebhookPayload:
        organization_id = str(input.organization_id) if input.organization_id else None
        network_id = await _authorize_webhook_owner(info, organization_id)
        created = await info.context.clients.notifications.post(
            "/webhooks",
            {
                "network_id": network_id,
                "organization_id": organization_id,
                "url": input.url,
                "event_types": input.event_types,
            },
            headers=info.context.idempotency_headers(),
        )
        registered = c.RegisteredWebhook.model_validate(created)
        return build(RegisterWebhookPayload, registered, webhook=registered)

    @strawberry.mutation
    async def mark_notifications_read(self, info: Info, ids: list[strawberry.ID]) -> int:
        """Marks the caller's own notifications read; returns how many changed. An id that is
        not the caller's answers NOT_FOUND and nothing is marked."""
        caller = await info.context.caller()
        changed: int = await info.context.clients.notifications.post(
            f"/inbox/{caller.member_id}/read", {"ids": [str(i) for i in ids]}
        )
        return changed


@strawberry.type
class WebhookQuery:
    @strawberry.field
    async def webhook_deliveries(
        self, info: Info, webhook_id: strawberry.ID, first: int = 20
    ) -> list[WebhookDelivery]:
        """The delivery log of a webhook, newest first."""
        found = await info.context.clients.notifications.get(f"/webhooks/{webhook_id}")
        webhook = c.WebhookView.model_validate(found)
        caller = await info.context.caller()
        require_network(caller, webhook.network_id, "webhook", str(webhook_id))
        if not caller.is_operator:
            require_member_of(caller, webhook.organization_id or "", webhook.network_id)
        entries = await info.context.clients.notifications.get(
            f"/webhooks/{webhook_id}/deliveries", {"first": check_page_size(first)}
        )
        return build_all(WebhookDelivery, [c.WebhookDelivery.model_validate(e) for e in entries])


QUERIES: list[type] = [NotificationsQuery, WebhookQuery]
MUTATIONS: list[type] = [NotificationsMutation]
