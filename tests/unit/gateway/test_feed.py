"""The subscription feed pushes news only: not an event it has pushed already, nor one from
before it started (what the outbox relays send again to a broker that lost its log)."""

from __future__ import annotations

from datetime import timedelta

from services.gateway.feed import EventFeed
from shared.events import Envelope, utcnow
from shared.settings import Settings


def test_replayed_and_old_events_are_not_pushed_again() -> None:
    feed = EventFeed(Settings(_env_file=None))
    fresh = Envelope(source="t", type="notification.created", subject="m")
    assert feed._is_news(fresh)
    assert not feed._is_news(fresh)  # the same event again: a replay
    old = Envelope(
        source="t", type="notification.created", subject="m", time=utcnow() - timedelta(hours=1)
    )
    assert not feed._is_news(old)
