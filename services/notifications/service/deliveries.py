"""The delivery worker: drains the `deliveries` queue (written by the event handlers in their
transaction) to SMTP and to webhooks. A channel that fails backs off with jitter and never
blocks the others; a mail server that is down delays email without losing it; a webhook that
keeps failing is disabled and its owner told. Email held for quiet hours and daily digests are
deliveries whose `next_at` lies ahead. The clock is a dependency: `deliver_due(now)` runs one
pass at any instant (tests tick it through `POST /deliveries/tick`)."""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from typing import TypeVar

import aiosmtplib
import httpx

from services.notifications.domain.standard_webhooks import signed_headers
from services.notifications.domain.templates import Message, digest, webhook_disabled
from services.notifications.domain.webhook_secrets import signing_secrets
from services.notifications.service.delivery_metrics import FAILED, SENT, SKIPPED, DeliveryMetrics
from services.notifications.service.egress import Resolver, system_resolver, webhook_client
from services.notifications.service.notify import tell
from services.notifications.service.unit_of_work import NotificationsUnitOfWork
from shared.clock import Clock, WallClock
from shared.i18n import Catalogs
from shared.logs import log_repeated
from shared.mongo import Document, retry_transient
from shared.settings import Settings

log = logging.getLogger(__name__)
LEASE = timedelta(minutes=2)  # a claimed delivery whose worker died is retried after this


T = TypeVar("T")


@dataclass(frozen=True)
class Attempt:
    """One post to a webhook: the receiver's status code, or why it failed."""

    webhook: Document
    delivery_id: str
    status: int | None
    error: str | None
    at: datetime


class DeliveryFailed(Exception):
    pass


class Skipped(Exception):
    """The delivery no longer applies (its webhook was disabled or deleted)."""


class DeliveryWorker:
    def __init__(
        self,
        unit_of_work: Callable[[], NotificationsUnitOfWork],
        settings: Settings,
        clock: Clock,
        resolve: Resolver = system_resolver,
        metrics: DeliveryMetrics | None = None,
        wall_clock: Clock | None = None,
    ) -> None:
        self._metrics = metrics or DeliveryMetrics()
        # Signature timestamps: receivers compare them with their own clocks (real time).
        self._wall_clock = wall_clock or WallClock()
        self._unit_of_work = unit_of_work
        self._settings = settings
        self._clock = clock
        self._http = webhook_client(
            timeout=settings.webhook_timeout_seconds,
            allow_loopback=settings.webhook_allow_loopback,
            resolve=resolve,
        )

    async def run(self) -> None:
        while True:
            try:
                await self.deliver_due()
            except Exception:
                log_repeated(log, "deliveries: reading the queue failed; retrying")
            await asyncio.sleep(self._settings.email_poll_seconds)

    async def deliver_due(self, now: datetime | None = None) -> int:
        """Sends what is due at `now` (the clock's time by default); returns how many went."""
        now = now or self._clock.now()
        due = await self._unit_of_work().deliveries.due(now)
        # a unit of work per delivery: they are sent side by side
        results = await asyncio.gather(*(self._deliver(d, now, self._unit_of_work()) for d in due))
        return sum(results)

    async def _write(self, uow: NotificationsUnitOfWork, work: Callable[[], Awaitable[T]]) -> T:
        """`work` in one transaction of `uow`, again while it collides with another."""

        async def once() -> T:
            async with uow:
                return await work()

        return await retry_transient(once)

    async def _deliver(
        self, delivery: Document, now: datetime, uow: NotificationsUnitOfWork
    ) -> bool:
        claimed = await self._write(uow, lambda: uow.deliveries.claim(delivery, now, LEASE))
        if not claimed:
            return False  # another pass took it
        delivery_id, channel = delivery["_id"], delivery["channel"]
        try:
            if channel == "email":
                message = Message(delivery["subject"], delivery["body"])
                await self._send_email(delivery["to"], message)
            elif channel == "digest":
                await self._send_digest(delivery, now, uow)
            else:
                await self._post_webhook(delivery, now, uow)
        except DeliveryFailed as failure:
            self._metrics.attempted(channel, FAILED)
            await self._retry_later(delivery, str(failure), now, uow)
            return False
        except Skipped:
            self._metrics.attempted(channel, SKIPPED)
            await self._write(uow, lambda: uow.deliveries.set(delivery_id, {"status": "skipped"}))
            return False
        self._metrics.attempted(channel, SENT)
        sent = {"status": "sent", "sent_at": now}
        await self._write(uow, lambda: uow.deliveries.set(delivery_id, sent))
        return True

    async def _send_digest(
        self, delivery: Document, now: datetime, uow: NotificationsUnitOfWork
    ) -> None:
        member_id = delivery["member_id"]
        items = await uow.deliveries.unsent_digest_items(member_id, now)
        if not items:
            raise Skipped
        chosen = (await uow.preferences.of([member_id])).get(member_id)  # its own words' language
        language = Catalogs.load().get(chosen.language if chosen else None)
        items_drawn = [Message(item["title"], item["body"]) for item in items]
        await self._send_email(delivery["to"], digest(items_drawn).drawn(language))
        ids = [item["_id"] for item in items]
        await self._write(uow, lambda: uow.deliveries.mark_digest_items_sent(ids, delivery["_id"]))

    async def _send_email(self, to: str, message: Message) -> None:
        s = self._settings
        email = EmailMessage()
        email["From"] = s.smtp_from
        email["To"] = to
        email["Subject"] = str(message.title)  # drawn in the reader's language already
        email.set_content(message.body)
        try:
            await aiosmtplib.send(
                email,
                hostname=s.smtp_host,
                port=s.smtp_port,
                start_tls=s.smtp_tls,
                username=s.smtp_username or None,
                password=s.smtp_password.get_secret_value() or None,
                timeout=10,
            )
        except (aiosmtplib.SMTPException, OSError) as exc:
            raise DeliveryFailed(f"SMTP: {exc}") from exc

    async def _post_webhook(
        self, delivery: Document, now: datetime, uow: NotificationsUnitOfWork
    ) -> None:
        webhook = await uow.webhooks.get(delivery["webhook_id"])
        if webhook is None or webhook["disabled"]:
            raise Skipped
        body = delivery["body"].encode()
        # the delivery's id stays the same across retries, so receivers can drop repeats; the
        # timestamp is the real time of this attempt (receivers reject old ones)
        signed_at = self._wall_clock.now()
        headers = {
            "content-type": "application/cloudevents+json",
            # during a secret rotation's overlap, signed with the old secret too
            **signed_headers(signing_secrets(webhook, now), delivery["_id"], body, signed_at),
        }
        status, error = None, None
        try:
            response = await self._http.post(webhook["url"], content=body, headers=headers)
            status = response.status_code
            if status >= 300:
                error = f"HTTP {status}"
        except httpx.HTTPError as exc:
            error = f"unreachable: {type(exc).__name__} {exc}".strip()
        attempt = Attempt(webhook, delivery["_id"], status, error, self._clock.now())
        if await self._write(uow, lambda: self._record(attempt, uow)):
            self._metrics.webhook_disabled()
        if error is not None:
            raise DeliveryFailed(error)

    async def _record(self, attempt: Attempt, uow: NotificationsUnitOfWork) -> bool:
        """Logs a webhook's attempt and counts its failures in a row; the one that reaches
        the limit disables it and tells the members of the organization that registered it
        (answers True then)."""
        webhook, webhook_id = attempt.webhook, attempt.webhook["_id"]
        await uow.attempts.add(
            webhook_id, attempt.delivery_id, attempt.status, attempt.error, attempt.at
        )
        await uow.attempts.trim(webhook_id, self._settings.webhook_log_size)
        if attempt.error is None:
            await uow.webhooks.set(webhook_id, {"failures": 0})
            return False
        failures = await uow.webhooks.failed(webhook_id)
        if failures < self._settings.webhook_max_failures:
            return False
        if not await uow.webhooks.disable(webhook_id, attempt.error):
            return False  # disabled already (a concurrent delivery's failure)
        network_id = webhook["network_id"]
        owners = await uow.recipients.of_organization(network_id, webhook.get("organization_id"))
        await tell(
            uow,
            [owner["_id"] for owner in owners],
            webhook_disabled(webhook["url"], attempt.error),
            kind="webhook.disabled",
            network_id=network_id,
            subject_id=webhook_id,
            event_id=f"webhook-disabled:{attempt.delivery_id}",
            at=attempt.at,
        )
        return True

    async def _retry_later(
        self, delivery: Document, reason: str, now: datetime, uow: NotificationsUnitOfWork
    ) -> None:
        attempts = delivery["attempts"] + 1
        delay = min(2**attempts, self._settings.email_max_backoff_seconds)
        delay *= random.uniform(0.5, 1.0)  # jitter: retries of many deliveries spread out
        log.warning(
            "%s delivery %s failed (%s); retry in %.1fs",
            delivery["channel"],
            delivery["_id"],
            reason,
            delay,
        )
        changes = {
            "status": "pending",
            "attempts": attempts,
            "next_at": now + timedelta(seconds=delay),
            "last_error": reason[:500],
        }
        await self._write(uow, lambda: uow.deliveries.set(delivery["_id"], changes))
