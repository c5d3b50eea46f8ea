"""Notifications' use cases: the event use case (`Notifier`), sign-in links (`SignInMailer`),
a member's inbox and preferences (`InboxService`), an organization's webhooks
(`WebhookService`, `WebhookLifecycle`) and the delivery worker (`DeliveryWorker`). Each takes
the unit of work it reads and writes through (`unit_of_work.py`); the webhook URL check and the
worker's sending are their only other I/O."""

from __future__ import annotations

from services.notifications.service.deliveries import DeliveryWorker
from services.notifications.service.inbox import InboxService
from services.notifications.service.notifier import Notifier
from services.notifications.service.sign_in import SignInMailer
from services.notifications.service.webhook_lifecycle import WebhookLifecycle
from services.notifications.service.webhooks import WebhookInput, WebhookService

__all__ = [
    "DeliveryWorker",
    "InboxService",
    "Notifier",
    "SignInMailer",
    "WebhookInput",
    "WebhookLifecycle",
    "WebhookService",
]
