"""Notifications' storage, the only code that touches its collections (private to each
class): recipients, inbox and webhooks; members' preferences; the delivery queue."""

from __future__ import annotations

from services.notifications.store.notifications import INDEXES as NOTIFICATION_INDEXES
from services.notifications.store.notifications import NotificationStore
from services.notifications.store.preferences import PreferenceStore
from services.notifications.store.queue import QUEUE_INDEXES, DeliveryQueue
from shared.mongo import IndexSpec

INDEXES: IndexSpec = {**NOTIFICATION_INDEXES, **QUEUE_INDEXES}

__all__ = ["INDEXES", "DeliveryQueue", "NotificationStore", "PreferenceStore"]
