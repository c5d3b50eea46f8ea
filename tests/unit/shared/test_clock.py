"""The service clock follows the document store's clock and the monotonic clock, so a step of
the host's wall clock (back 10 minutes, a day ahead) changes nothing a service stamps."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from pymongo import AsyncMongoClient

from shared.clock import Clock
from shared.mongo import Document


def stepped(offset: timedelta) -> datetime:
    return datetime.now(UTC) + offset


@pytest.mark.parametrize("step", [timedelta(minutes=-10), timedelta(days=1)])
async def test_a_stepped_wall_clock_does_not_move_the_service_clock(
    mongo: AsyncMongoClient[Document], monkeypatch: pytest.MonkeyPatch, step: timedelta
) -> None:
    clock = Clock()
    await clock.read_store(mongo)  # the store shares this host's clock here: the true time
    monkeypatch.setattr("shared.clock.utcnow", lambda: stepped(step))
    assert abs(clock.now() - datetime.now(UTC)) < timedelta(seconds=1)


async def test_a_host_clock_wrong_from_the_start_is_corrected_by_the_store(
    mongo: AsyncMongoClient[Document], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("shared.clock.utcnow", lambda: stepped(timedelta(days=1)))
    clock = Clock()
    assert clock.now() - datetime.now(UTC) > timedelta(hours=23)  # not read yet: the host's
    await clock.read_store(mongo)
    assert abs(clock.now() - datetime.now(UTC)) < timedelta(seconds=1)


async def test_the_clock_moves_on_between_readings_and_a_set_time_wins(
    mongo: AsyncMongoClient[Document],
) -> None:
    clock = Clock()
    await clock.read_store(mongo)
    first = clock.now()
    await asyncio.sleep(0.05)
    assert clock.now() - first >= timedelta(milliseconds=50)
    moment = datetime(2027, 3, 1, tzinfo=UTC)
    clock.set(moment)
    assert clock.now() == moment
    clock.set(None)
    assert abs(clock.now() - datetime.now(UTC)) < timedelta(seconds=1)
