"""Notifications' use cases: the event use case (`Notifier`), a member's inbox and
preferences (`InboxService`), an organization's webhooks (`WebhookService`). Each write runs
in one `Outbox.transaction()` (the unit of work); the stores are their only I/O but for the
webhook URL check."""

from __future__ import annotations

from services.notifications.service.inbox import InboxService
from services.notifications.service.notifier import Notifier
from services.notifications.service.webhooks import WebhookInput, WebhookService

__all__ = ["InboxService", "Notifier", "WebhookInput", "WebhookService"]
