"""The typed client of notifications' internal routes (services/notifications/api/): each
method sends the route's request model and answers its contract."""

from __future__ import annotations

from shared import contracts as c
from shared.contracts.page import Page
from shared.contracts.requests import notifications as rq
from shared.http import Headers, Params, ServiceClient


class NotificationsClient:
    def __init__(self, http: ServiceClient) -> None:
        self.http = http

    # A member's inbox and preferences
    async def inbox(
        self, member_id: str, first: int, *, unread_only: bool = False, after: str | None = None
    ) -> Page[c.NotificationView]:
        params: Params = {"unread_only": unread_only, "first": first, "after": after}
        return await self.http.get(f"/inbox/{member_id}", Page[c.NotificationView], params)

    async def unread_count(self, member_id: str) -> int:
        return await self.http.get(f"/inbox/{member_id}/unread-count", int)

    async def mark_read(self, member_id: str, request: rq.MarkRead) -> int:
        """How many of the member's notifications changed; NOT_FOUND (and none marked) for an
        id that is not theirs."""
        return await self.http.post(f"/inbox/{member_id}/read", int, request)

    async def preferences(self, member_id: str) -> c.PreferencesView:
        return await self.http.get(f"/preferences/{member_id}", c.PreferencesView)

    async def update_preferences(
        self, member_id: str, request: rq.UpdatePreferences
    ) -> c.PreferencesView:
        return await self.http.post(f"/preferences/{member_id}", c.PreferencesView, request)

    # Webhooks
    async def register_webhook(
        self, request: rq.RegisterWebhook, *, headers: Headers = None
    ) -> c.RegisteredWebhook:
        return await self.http.post("/webhooks", c.RegisteredWebhook, request, headers=headers)

    async def webhook(self, webhook_id: str) -> c.WebhookView:
        return await self.http.get(f"/webhooks/{webhook_id}", c.WebhookView)

    async def webhook_deliveries(self, webhook_id: str, first: int) -> list[c.WebhookDelivery]:
        path = f"/webhooks/{webhook_id}/deliveries"
        return await self.http.get(path, list[c.WebhookDelivery], {"first": first})

    async def webhooks(
        self, network_id: str, organization_id: str | None = None
    ) -> list[c.WebhookListing]:
        params: Params = {"network_id": network_id, "organization_id": organization_id}
        return await self.http.get("/webhooks", list[c.WebhookListing], params)

    async def delete_webhook(self, webhook_id: str) -> c.WebhookListing:
        return await self.http.delete(f"/webhooks/{webhook_id}", c.WebhookListing)

    async def enable_webhook(self, webhook_id: str) -> c.WebhookListing:
        return await self.http.post(f"/webhooks/{webhook_id}/enable", c.WebhookListing)

    async def rotate_webhook_secret(
        self, webhook_id: str, request: rq.RotateWebhookSecret, *, headers: Headers = None
    ) -> c.RotatedWebhookSecret:
        path = f"/webhooks/{webhook_id}/rotate-secret"
        return await self.http.post(path, c.RotatedWebhookSecret, request, headers=headers)
