"""A one-time sign-in link is emailed at once to the address it was asked for, whatever the
member's preferences; with email off it is written to the log instead (`make run`)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any, cast

import pytest

from services.notifications.service.sign_in import SignInMailer
from services.notifications.store import DeliveryQueue
from shared.contracts import SignInRequested
from shared.events import Envelope
from shared.outbox import Transaction

EVENT = SignInRequested(
    network_id="net_1",
    member_id="mem_1",
    organization_id="org_1",
    name="Ann",
    email="ann@greenleaf.example",
    network_name="Lane Network",
    token="signed.token",
    expires_at=datetime(2026, 3, 1, 12, 15, tzinfo=UTC),
)
ENVELOPE = Envelope(source="intake", type="member.sign_in_requested", subject="mem_1")


class Queue:
    def __init__(self) -> None:
        self.queued: list[dict[str, Any]] = []

    async def enqueue(self, delivery: dict[str, Any], session: Any) -> None:
        self.queued.append(delivery)


class Tx:
    session = None


async def test_the_link_is_queued_as_an_email_to_the_address_at_once() -> None:
    queue = Queue()
    mailer = SignInMailer(cast(DeliveryQueue, queue), True, "https://cw.example.org/")
    await mailer(EVENT, ENVELOPE, cast(Transaction, Tx()))
    [delivery] = queue.queued
    assert delivery["to"] == "ann@greenleaf.example"
    assert delivery["_id"] == f"{ENVELOPE.id}:email"  # a redelivered event queues nothing new
    assert delivery["held"] is False
    assert "https://cw.example.org/app/sign-in/signed.token" in delivery["body"]
    assert delivery["subject"] == "Your sign-in link for Lane Network"


async def test_with_email_off_the_link_is_logged(caplog: pytest.LogCaptureFixture) -> None:
    queue = Queue()
    mailer = SignInMailer(cast(DeliveryQueue, queue), False, "http://127.0.0.1:8000")
    with caplog.at_level(logging.WARNING):
        await mailer(EVENT, ENVELOPE, cast(Transaction, Tx()))
    assert queue.queued == []
    assert "http://127.0.0.1:8000/app/sign-in/signed.token" in caplog.text
