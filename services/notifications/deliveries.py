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
from collections.abc import Callable
from datetime import datetime, timedelta
from email.message import EmailMessage

import aiosmtplib
import httpx

from services.notifications.delivery_metrics import FAILED, SENT, SKIPPED, DeliveryMetrics
from services.notifications.domain.templates import Message, digest
from services.notifications.domain.webhook_secrets import signing_secrets
from services.notifications.egress import Resolver, system_resolver, webhook_client
from services.notifications.store import DeliveryQueue, NotificationStore
from services.notifications.webhooks import signed_headers
from shared.events import utcnow
from shared.i18n import Catalogs
from shared.logs import log_repeated
from shared.mongo import Document
from shared.settings import Settings

log = logging.getLogger(__name__)
LEASE = timedelta(minutes=2)  # a claimed delivery whose worker died is retried after this


class DeliveryFailed(Exception):
    pass


class Skipped(Exception):
    """The delivery no longer applies (its webhook was disabled or deleted)."""


class DeliveryWorker:
    def __init__(
        self,
        store: NotificationStore,
        queue: DeliveryQueue,
        settings: Settings,
        clock: Callable[[], datetime] = utcnow,
        resolve: Resolver = system_resolver,
        metrics: DeliveryMetrics | None = None,
    ) -> None:
        self._metrics = metrics or DeliveryMetrics()
        self._store = store
        self._queue = queue
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
        now = now or self._clock()
        due = await self._queue.due_deliveries(now)
        results = await asyncio.gather(*(self._deliver(d, now) for d in due))
        return sum(results)

    async def _deliver(self, delivery: Document, now: datetime) -> bool:
        if not await self._queue.claim(delivery, now, LEASE):
            return False  # another pass took it
        try:
            if delivery["channel"] == "email":
                await self._send_email(delivery["to"], delivery["subject"], delivery["body"])
            elif delivery["channel"] == "digest":
                await self._send_digest(delivery, now)
            else:
                await self._post_webhook(delivery, now)
        except DeliveryFailed as failure:
            self._metrics.attempted(delivery["channel"], FAILED)
            await self._retry_later(delivery, str(failure), now)
            return False
        except Skipped:
            self._metrics.attempted(delivery["channel"], SKIPPED)
            await self._queue.mark_delivery(delivery["_id"], {"status": "skipped"})
            return False
        self._metrics.attempted(delivery["channel"], SENT)
        await self._queue.mark_delivery(delivery["_id"], {"status": "sent", "sent_at": now})
        return True

    async def _send_digest(self, delivery: Document, now: datetime) -> None:
        items = await self._queue.unsent_digest_items(delivery["member_id"], now)
        if not items:
            raise Skipped
        language = Catalogs.load().get(delivery.get("language"))
        message = digest([Message(item["title"], item["body"]) for item in items]).drawn(language)
        await self._send_email(delivery["to"], str(message.title), str(message.body))
        await self._queue.mark_digest_items_sent([item["_id"] for item in items], delivery["_id"])

    async def _send_email(self, to: str, subject: str, body: str) -> None:
        s = self._settings
        message = EmailMessage()
        message["From"] = s.smtp_from
        message["To"] = to
        message["Subject"] = subject
        message.set_content(body)
        try:
            await aiosmtplib.send(
                message,
                hostname=s.smtp_host,
                port=s.smtp_port,
                start_tls=s.smtp_tls,
                username=s.smtp_username or None,
                password=s.smtp_password.get_secret_value() or None,
                timeout=10,
            )
        except (aiosmtplib.SMTPException, OSError) as exc:
            raise DeliveryFailed(f"SMTP: {exc}") from exc

    async def _post_webhook(self, delivery: Document, now: datetime) -> None:
        webhook = await self._store.webhook(delivery["webhook_id"])
        if webhook is None or webhook["disabled"]:
            raise Skipped
        body = delivery["body"].encode()
        # the delivery's id stays the same across retries, so receivers can drop repeats; the
        # timestamp is the real time of this attempt (receivers reject old ones)
        headers = {
            "content-type": "application/cloudevents+json",
            # during a secret rotation's overlap, signed with the old secret too
            **signed_headers(signing_secrets(webhook, now), delivery["_id"], body, utcnow()),
        }
        status, error = None, None
        try:
            response = await self._http.post(webhook["url"], content=body, headers=headers)
            status = response.status_code
            if status >= 300:
                error = f"HTTP {status}"
        except httpx.HTTPError as exc:
            error = f"unreachable: {type(exc).__name__} {exc}".strip()
        await self._store.log_webhook_attempt(webhook["_id"], delivery["_id"], status, error)
        await self._store.trim_webhook_log(webhook["_id"], self._settings.webhook_log_size)
        if error is None:
            await self._store.webhook_succeeded(webhook["_id"])
            return
        failures = await self._store.webhook_failed(webhook["_id"])
        if failures >= self._settings.webhook_max_failures:
            await self._store.disable_webhook(webhook, reason=error)
            self._metrics.webhook_disabled()
        raise DeliveryFailed(error)

    async def _retry_later(self, delivery: Document, reason: str, now: datetime) -> None:
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
        await self._queue.mark_delivery(
            delivery["_id"],
            {
                "status": "pending",
                "attempts": attempts,
                "next_at": now + timedelta(seconds=delay),
                "last_error": reason[:500],
            },
        )
