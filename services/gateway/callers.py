"""Resolved callers, kept a few seconds so a client's requests do not each cost intake a
token lookup. A removed member's tokens are revoked in intake; the `member.removed` event
drops them here at once (through the event feed), and the short life of an entry is the
backstop should the feed miss one (a broker outage)."""

from __future__ import annotations

import hashlib
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the context holds a cache: imported for its type only
    from services.gateway.context import Caller

REVOKING_TOPICS = ("member.removed",)


@dataclass(frozen=True)
class _Entry:
    caller: Caller
    until: float


class CallerCache:
    def __init__(
        self,
        seconds: float,
        capacity: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._seconds = seconds
        self._capacity = capacity
        self._clock = clock
        self._entries: OrderedDict[str, _Entry] = OrderedDict()

    @staticmethod
    def _key(token: str) -> str:  # no token kept in memory longer than its request
        return hashlib.sha256(token.encode()).hexdigest()

    def get(self, token: str) -> Caller | None:
        key = self._key(token)
        entry = self._entries.get(key)
        if entry is None:
            return None
        if entry.until <= self._clock():
            del self._entries[key]
            return None
        self._entries.move_to_end(key)
        return entry.caller

    def put(self, token: str, caller: Caller) -> None:
        if self._seconds <= 0:
            return
        self._entries[self._key(token)] = _Entry(caller, self._clock() + self._seconds)
        self._entries.move_to_end(self._key(token))
        while len(self._entries) > self._capacity:
            self._entries.popitem(last=False)

    def forget_member(self, member_id: str) -> int:
        """Drops every cached token of the member; answers how many."""
        stale = [k for k, e in self._entries.items() if e.caller.member_id == member_id]
        for key in stale:
            del self._entries[key]
        return len(stale)

    def __len__(self) -> int:
        return len(self._entries)
