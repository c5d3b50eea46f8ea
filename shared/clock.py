"""The time a service acts on: the document store's clock, carried forward between readings by
this process's monotonic clock; unless `settings.clock_control` is on, in which case tests set
it (`PUT /clock` on the service) to run a quarter in seconds instead of sleeping through it.

Why not the host's wall clock: it can be stepped (NTP correcting it, a VM resumed, an
operator's mistake), back or a day ahead, and every stamp taken meanwhile (health points,
reminders sent, records closed) would be wrong for good, and the scheduler would send
reminders that are not due. The store's clock is the one the replicas share; the monotonic
clock cannot step. Before the first reading (and if the store cannot be read) the wall clock
is used."""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from pymongo import AsyncMongoClient
from pymongo.errors import PyMongoError

from shared.events import utcnow

log = logging.getLogger(__name__)
# How often the store's clock is read again: the monotonic clock drifts by parts per million,
# and a step of the store's own clock is followed within this.
FOLLOW_SECONDS = 60.0
# A difference from the wall clock worth a warning (the host's clock is off)
WARN_SECONDS = 2.0


class Clock:
    def __init__(self) -> None:
        self._set_to: datetime | None = None
        self._anchor: tuple[datetime, float] | None = None  # the store's time, monotonic then

    def now(self) -> datetime:
        if self._set_to is not None:
            return self._set_to
        if self._anchor is None:
            return utcnow()
        at, then = self._anchor
        return at + timedelta(seconds=time.monotonic() - then)

    def set(self, moment: datetime | None) -> None:
        """`None` goes back to the service's clock."""
        self._set_to = moment

    async def read_store(self, client: AsyncMongoClient[Any]) -> None:
        """Anchors to the store's clock (`hello`'s localTime, taken as read halfway through
        the round trip: milliseconds apart on one network)."""
        before = time.monotonic()
        hello = await client.admin.command("hello")
        after = time.monotonic()
        at: datetime = hello["localTime"]
        at = at if at.tzinfo else at.replace(tzinfo=UTC)
        self._anchor = (at, (before + after) / 2)
        off = (utcnow() - self.now()).total_seconds()
        if abs(off) > WARN_SECONDS:
            log.warning(
                "this host's clock is %+.1f s off the document store's; acting on the store's", off
            )

    async def follow(self, client: AsyncMongoClient[Any], every: float = FOLLOW_SECONDS) -> None:
        while True:
            try:
                await self.read_store(client)
            except (PyMongoError, KeyError) as exc:  # keep the last anchor, or the wall clock
                log.warning("could not read the document store's clock (%s)", exc)
            await asyncio.sleep(every)


class WallClock(Clock):
    """Real time, which neither `PUT /clock` nor the store's clock moves: for what a party
    outside judges by its own clock (a webhook receiver checking a signature's timestamp, a
    browser expiring a cookie) and for security lifetimes (sign-in links, sessions), which
    must run out in real time even while tests move the service's clock a quarter ahead.
    A test passes a `Clock` it sets instead."""

    def now(self) -> datetime:
        return utcnow()

    def set(self, moment: datetime | None) -> None:
        raise TypeError("a wall clock follows real time; pass a Clock to set one")
