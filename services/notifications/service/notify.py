"""The one way a member is told something in the app: a `notification.created` per recipient,
its inbox row (built from that event by the store) and the event itself, in one unit of work.
The event use case (`notifier.py`) and the delivery worker (a webhook it disabled) both come
here."""

from __future__ import annotations

from datetime import datetime

from services.notifications.domain.templates import Message
from services.notifications.service.unit_of_work import NotificationsUnitOfWork
from shared.contracts import NotificationCreated
from shared.sortable_id import sortable_id


async def tell(
    uow: NotificationsUnitOfWork,
    member_ids: list[str],
    message: Message,
    *,
    kind: str,
    network_id: str,
    subject_id: str,
    event_id: str,
    at: datetime,
) -> list[NotificationCreated]:
    """Inbox rows and their events; `event_id` is what they come from (one row per event,
    member and channel, whatever the redelivery)."""
    created = [
        NotificationCreated(
            notification_id=sortable_id(),
            network_id=network_id,
            member_id=member_id,
            kind=kind,
            title=message.title,
            body=message.body,
            subject_id=subject_id,
            created_at=at,
        )
        for member_id in member_ids
    ]
    await uow.inbox.add(created, event_id)
    await uow.publish_many([(c, c.member_id) for c in created])
    return created
