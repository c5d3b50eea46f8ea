"""The time a service acts on: the system clock, unless `settings.clock_control` is on, in
which case tests set it (`PUT /clock` on the service) to run a quarter in seconds instead of
sleeping through it."""

from __future__ import annotations

from datetime import datetime

from shared.events import utcnow


class Clock:
    def __init__(self) -> None:
        self._set_to: datetime | None = None

    def now(self) -> datetime:
        return self._set_to or utcnow()

    def set(self, moment: datetime | None) -> None:
        """`None` goes back to the system clock."""
        self._set_to = moment
