"""The delivery worker: drains the `deliveries` queue (written by the event handlers in their
transaction) to SMTP and to webhooks. A channel that fails backs off with jitter and never
blocks the others; a mail server that is down delays email without losing it; a webhook that
keeps failing is disabled and its owner told."""

from __future__ import annotations

import asyncio
import logging
import random
import time
from datetime import timedelta
from email.message import EmailMessage

import aiosmtplib
import httpx

from services.notifications.store import NotificationStore
from services.notifications.webhooks import SIGNATURE_HEADER, signature
from shared.events import utcnow
from shared.mongo import Document
from shared.settings import Settings

log = logging.getLogger(__name__)


class DeliveryFailed(Exception):
    pass


class Skipped(Exception):
    """The delivery no longer applies (its webhook was disabled)."""


class DeliveryWorker:
    def __init__(self, store: NotificationStore, settings: Settings) -> None:
        self._store = store
        self._settings = settings
        self._http = httpx.AsyncClient(timeout=settings.webhook_timeout_seconds)

    async def run(self) -> None:
        while True:
            try:
                await self.deliver_due()
            except Exception:
                log.exception("deliveries: reading the queue failed; retrying")
            await asyncio.sleep(self._settings.email_poll_seconds)

    async def deliver_due(self) -> int:
        due = await self._store.due_deliveries(utcnow())
        results = await asyncio.gather(*(self._deliver(d) for d in due))
        return sum(results)

    async def _deliver(self, delivery: Document) -> bool:
        try:
            if delivery["channel"] == "email":
                await self._send_email(delivery)
            else:
                await self._post_webhook(delivery)
        except DeliveryFailed as failure:
            await self._retry_later(delivery, str(failure))
            return False
        except Skipped:
            await self._store.mark_delivery(delivery["_id"], {"status": "skipped"})
            return False
        await self._store.mark_delivery(delivery["_id"], {"status": "sent", "sent_at": utcnow()})
        return True

    async def _send_email(self, delivery: Document) -> None:
        s = self._settings
        message = EmailMessage()
        message["From"] = s.smtp_from
        message["To"] = delivery["to"]
        message["Subject"] = delivery["subject"]
        message.set_content(delivery["body"])
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

    async def _post_webhook(self, delivery: Document) -> None:
        webhook = await self._store.webhook(delivery["webhook_id"])
        if webhook is None or webhook["disabled"]:
            raise Skipped
        body = delivery["body"].encode()
        headers = {
            "content-type": "application/cloudevents+json",
            SIGNATURE_HEADER: signature(webhook["secret"], int(time.time()), body),
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
        if error is None:
            await self._store.webhook_succeeded(webhook["_id"])
            return
        failures = await self._store.webhook_failed(webhook["_id"])
        if failures >= self._settings.webhook_max_failures:
            await self._store.disable_webhook(webhook, reason=error)
        raise DeliveryFailed(error)

    async def _retry_later(self, delivery: Document, reason: str) -> None:
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
        await self._store.mark_delivery(
            delivery["_id"],
            {
                "attempts": attempts,
                "next_at": utcnow() + timedelta(seconds=delay),
                "last_error": reason[:500],
            },
        )
