"""Notifications' Kafka subscribers: every kind it notifies of goes to the Notifier (the
event use case, services/notifications/service/notifier.py), in the consumer's transaction."""

from __future__ import annotations

from services.notifications.domain import NOTIFIED_KINDS
from services.notifications.service import Notifier
from shared.consumer import EventConsumer


def register_handlers(consumer: EventConsumer, notifier: Notifier) -> None:
    for kind in NOTIFIED_KINDS:
        consumer.subscribe(kind, notifier)
