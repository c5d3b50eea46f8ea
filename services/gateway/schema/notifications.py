"""GraphQL types and operations served by the notifications service."""

from __future__ import annotations

from datetime import datetime

import strawberry

from services.gateway.auth import require_member_of, require_network, require_operator
from services.gateway.schema.context import Info
from services.gateway.schema.mapping import build, build_all, request
from services.gateway.schema.relay import Connection, check_page_size, connection_of
from shared.contracts.requests import notifications as rq


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
        page = await info.context.clients.notifications.inbox(
            caller.member_id, check_page_size(first), unread_only=unread_only, after=after
        )
        return connection_of(page, lambda item: build(Notification, item), after)

    @strawberry.field
    async def unread_notification_count(self, info: Info) -> int:
        caller = await info.context.caller()
        return await info.context.clients.notifications.unread_count(caller.member_id)


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
    found = await info.context.clients.intake.organization(organization_id)
    network_id = found.network_id
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
        webhook = request(
            rq.RegisterWebhook, input, network_id=network_id, organization_id=organization_id
        )
        registered = await info.context.clients.notifications.register_webhook(
            webhook, headers=info.context.idempotency_headers()
        )
        return build(RegisterWebhookPayload, registered, webhook=registered)

    @strawberry.mutation
    async def mark_notifications_read(self, info: Info, ids: list[strawberry.ID]) -> int:
        """Marks the caller's own notifications read; returns how many changed. An id that is
        not the caller's answers NOT_FOUND and nothing is marked."""
        caller = await info.context.caller()
        read = request(rq.MarkRead, ids=ids)
        return await info.context.clients.notifications.mark_read(caller.member_id, read)


@strawberry.type
class WebhookQuery:
    @strawberry.field
    async def webhook_deliveries(
        self, info: Info, webhook_id: strawberry.ID, first: int = 20
    ) -> list[WebhookDelivery]:
        """The delivery log of a webhook, newest first."""
        notifications = info.context.clients.notifications
        webhook = await notifications.webhook(webhook_id)
        caller = await info.context.caller()
        require_network(caller, webhook.network_id, "webhook", str(webhook_id))
        if not caller.is_operator:
            require_member_of(caller, webhook.organization_id or "", webhook.network_id)
        entries = await notifications.webhook_deliveries(webhook_id, check_page_size(first))
        return build_all(WebhookDelivery, entries)


QUERIES: list[type] = [NotificationsQuery, WebhookQuery]
MUTATIONS: list[type] = [NotificationsMutation]
