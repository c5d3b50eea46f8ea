"""GraphQL of the caller's notification preferences (served by the notifications service)."""

from __future__ import annotations

from typing import Any

import strawberry

from services.gateway.schema.context import Info
from services.gateway.schema.enums import DigestMode, NotificationChannel
from services.gateway.schema.intake import input_to_body
from services.gateway.schema.mapping import build
from shared import contracts as c


@strawberry.type
class KindChannels:
    kind: str
    channels: list[NotificationChannel]


@strawberry.type
class QuietHours:
    start: str
    end: str


@strawberry.type
class NotificationPreferences:
    channels: list[KindChannels] = strawberry.field(
        description="Channels per event kind; the inbox is always one of them."
    )
    default_channels: list[NotificationChannel] = strawberry.field(
        description="Channels of kinds not listed in `channels`."
    )
    quiet_hours: QuietHours | None
    time_zone: str
    digest: DigestMode
    digest_hour: int = strawberry.field(description="Local hour of the daily digest.")
    language: str | None = strawberry.field(
        default=None,
        description="The language notifications and /app speak to the member in (`en`, `es`); "
        "null: not chosen yet (English).",
    )


@strawberry.input
class KindChannelsInput:
    kind: str = strawberry.field(description="An event kind, e.g. commitment.due_soon.")
    channels: list[NotificationChannel]


@strawberry.input
class QuietHoursInput:
    start: str = strawberry.field(description="HH:MM, local time.")
    end: str = strawberry.field(description="HH:MM, local time; before start wraps past midnight.")


@strawberry.input(
    description="Only the fields given change. The inbox cannot be switched off: it is always "
    "added to a kind's channels, so a kind without EMAIL is delivered to the inbox only."
)
class NotificationPreferencesInput:
    channels: list[KindChannelsInput] | None = strawberry.UNSET
    default_channels: list[NotificationChannel] | None = strawberry.UNSET
    quiet_hours: QuietHoursInput | None = strawberry.field(
        default=strawberry.UNSET, description="null clears the quiet hours."
    )
    time_zone: str | None = strawberry.field(
        default=strawberry.UNSET, description="IANA name; by default the organization's."
    )
    digest: DigestMode | None = strawberry.UNSET
    digest_hour: int | None = strawberry.field(
        default=strawberry.UNSET, description="0-23; null: the service's configured hour."
    )
    language: str | None = strawberry.field(
        default=strawberry.UNSET, description="A language the product speaks: `en` or `es`."
    )


def _patch(i: NotificationPreferencesInput) -> dict[str, Any]:
    """The fields the caller gave, as the notifications service reads them."""
    return {k: input_to_body(v) for k, v in vars(i).items() if v is not strawberry.UNSET}


@strawberry.type
class PreferencesQuery:
    @strawberry.field
    async def notification_preferences(self, info: Info) -> NotificationPreferences:
        """The caller's own notification preferences."""
        caller = await info.context.caller()
        body = await info.context.clients.notifications.get(f"/preferences/{caller.member_id}")
        return build(NotificationPreferences, c.PreferencesView.model_validate(body))


@strawberry.type
class PreferencesMutation:
    @strawberry.mutation
    async def update_notification_preferences(
        self, info: Info, input: NotificationPreferencesInput
    ) -> NotificationPreferences:
        """Changes the caller's own notification preferences."""
        caller = await info.context.caller()
        body = await info.context.clients.notifications.post(
            f"/preferences/{caller.member_id}", {"input": _patch(input)}
        )
        return build(NotificationPreferences, c.PreferencesView.model_validate(body))


QUERIES: list[type] = [PreferencesQuery]
MUTATIONS: list[type] = [PreferencesMutation]
