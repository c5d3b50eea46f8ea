"""The email channel: a background sender drains the `deliveries` queue through SMTP
(aiosmtplib). A mail server that is down delays email, with backoff, without losing it."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from email.message import EmailMessage

import aiosmtplib

from services.notifications.store import NotificationStore
from shared.events import utcnow
from shared.mongo import Document
from shared.settings import Settings

log = logging.getLogger(__name__)


class EmailSender:
    def __init__(self, store: NotificationStore, settings: Settings) -> None:
        self._store = store
        self._settings = settings

    async def run(self) -> None:
        while True:
            try:
                await self.send_due()
            except Exception:
                log.exception("email: reading the delivery queue failed; retrying")
            await asyncio.sleep(self._settings.email_poll_seconds)

    async def send_due(self) -> int:
        sent = 0
        for delivery in await self._store.due_deliveries(utcnow()):
            if await self._send(delivery):
                sent += 1
        return sent

    async def _send(self, delivery: Document) -> bool:
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
            attempts = delivery["attempts"] + 1
            delay = min(2**attempts, self._settings.email_max_backoff_seconds)
            log.warning("email to %s failed (%s); retry in %ss", delivery["to"], exc, delay)
            await self._store.mark_delivery(
                delivery["_id"],
                {
                    "attempts": attempts,
                    "next_at": utcnow() + timedelta(seconds=delay),
                    "last_error": str(exc)[:500],
                },
            )
            return False
        await self._store.mark_delivery(delivery["_id"], {"status": "sent", "sent_at": utcnow()})
        return True
