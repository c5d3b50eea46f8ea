"""The one way a member is told something in the app: a `notification.created` per recipient,
its inbox row (built from that event by the store) and the event itself, in one unit of work,
each drawn in the recipient's language (their `language` preference; English if none). The
event use case (`notifier.py`) and the delivery worker (a webhook it disabled) both come
here."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from services.notifications.domain.preferences import Preferences
from services.notifications.domain.templates import Message
from services.notifications.service.unit_of_work import NotificationsUnitOfWork
from shared.contracts import NotificationCreated
from shared.i18n import Catalogs
from shared.sortable_id import sortable_id


@dataclass(frozen=True)
class Telling:
    """One message of an event to some members, of one network, about one subject."""

    member_ids: list[str]
    message: Message
    network_id: str
    subject_id: str


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
    catalogs: Catalogs | None = None,
) -> list[NotificationCreated]:
    """Inbox rows and their events; `event_id` is what they come from (one row per event,
    member and channel, whatever the redelivery)."""
    chosen = await uow.preferences.of(member_ids)
    telling = Telling(member_ids, message, network_id, subject_id)
    return await tell_all(
        uow, [telling], chosen, kind=kind, event_id=event_id, at=at, catalogs=catalogs
    )


async def tell_all(
    uow: NotificationsUnitOfWork,
    tellings: list[Telling],
    chosen: dict[str, Preferences],
    *,
    kind: str,
    event_id: str,
    at: datetime,
    catalogs: Catalogs | None = None,
) -> list[NotificationCreated]:
    """Every message of one event in one inbox write and one outbox write, whatever the
    number of messages (`chosen`: the recipients' preferences, read once by the caller)."""
    catalogs = catalogs or Catalogs.load()
    created: list[NotificationCreated] = []
    for telling in tellings:
        drawn = in_their_languages(chosen, telling.member_ids, telling.message, catalogs)
        created += [
            NotificationCreated(
                notification_id=sortable_id(),
                network_id=telling.network_id,
                member_id=member_id,
                kind=kind,
                title=str(drawn[member_id].title),
                body=str(drawn[member_id].body),
                subject_id=telling.subject_id,
                created_at=at,
            )
            for member_id in telling.member_ids
        ]
    await uow.inbox.add(created, event_id)
    await uow.publish_many([(c, c.member_id) for c in created])
    return created


def in_their_languages(
    chosen: dict[str, Preferences], member_ids: list[str], message: Message, catalogs: Catalogs
) -> dict[str, Message]:
    """The message as each member reads it, drawn once per language among them."""
    language = {m: chosen.get(m, Preferences()).language for m in member_ids}
    drawn = {code: message.drawn(catalogs.get(code)) for code in set(language.values())}
    return {m: drawn[language[m]] for m in member_ids}
