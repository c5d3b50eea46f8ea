"""Notifications' MongoDB collections: the repositories of its unit of work, the only code
that touches them, and their indexes."""

from __future__ import annotations

from pymongo import ASCENDING, DESCENDING, IndexModel

from services.notifications.service.unit_of_work import NotificationsUnitOfWork
from services.notifications.store.inbox import MongoInbox
from services.notifications.store.preferences import MongoPreferences
from services.notifications.store.queue import QUEUE_INDEXES, MongoDeliveries
from services.notifications.store.recipients import MongoRecipients
from services.notifications.store.webhooks import MongoAttempts, MongoWebhooks
from shared.idempotency import IDEMPOTENCY_INDEXES
from shared.mongo import IndexSpec
from shared.outbox import Outbox
from shared.unit_of_work import MongoUnitOfWork

INDEXES: IndexSpec = {
    "recipients": [IndexModel([("organization_id", ASCENDING)])],
    "inbox": [
        # exactly one notification per event, recipient and channel
        IndexModel(
            [("event_id", ASCENDING), ("member_id", ASCENDING), ("channel", ASCENDING)],
            unique=True,
        ),
        IndexModel([("member_id", ASCENDING), ("created_at", DESCENDING)]),
    ],
    "webhooks": [IndexModel([("network_id", ASCENDING)])],
    "webhook_log": [IndexModel([("webhook_id", ASCENDING), ("at", DESCENDING)])],
    **QUEUE_INDEXES,
    **IDEMPOTENCY_INDEXES,
}


class MongoNotificationsUnitOfWork(MongoUnitOfWork, NotificationsUnitOfWork):
    def __init__(self, outbox: Outbox) -> None:
        super().__init__(outbox)
        self.recipients = MongoRecipients(self)
        self.inbox = MongoInbox(self)
        self.preferences = MongoPreferences(self)
        self.webhooks = MongoWebhooks(self)
        self.attempts = MongoAttempts(self)
        self.deliveries = MongoDeliveries(self)


__all__ = ["INDEXES", "MongoNotificationsUnitOfWork"]
