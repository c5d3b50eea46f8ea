"""The delivery worker's metrics: `commonweave.notifications.deliveries` counts every attempt
by channel (`email`, `digest`, `webhook`) and outcome (`sent`, `failed`: retried later,
`skipped`: no longer applies), and `commonweave.notifications.webhooks.disabled` the webhooks
switched off after failing too often. Every channel and outcome starts at 0, so the first
failure is an increase a rule can see (a series born at 1 has none)."""

from __future__ import annotations

from opentelemetry.metrics import Meter

from shared.metrics import meter

DELIVERIES = "commonweave.notifications.deliveries"
WEBHOOKS_DISABLED = "commonweave.notifications.webhooks.disabled"
CHANNEL = "commonweave.delivery.channel"
OUTCOME = "commonweave.delivery.outcome"

CHANNELS = ("email", "digest", "webhook")
SENT, FAILED, SKIPPED = "sent", "failed", "skipped"


class DeliveryMetrics:
    def __init__(self, meter_: Meter | None = None) -> None:
        m = meter_ or meter()
        self._deliveries = m.create_counter(
            DELIVERIES,
            unit="{delivery}",
            description="Delivery attempts by channel and outcome (failed: retried later).",
        )
        self._disabled = m.create_counter(
            WEBHOOKS_DISABLED,
            unit="{webhook}",
            description="Webhooks disabled after too many failures in a row.",
        )
        for channel in CHANNELS:
            for outcome in (SENT, FAILED, SKIPPED):
                self._deliveries.add(0, {CHANNEL: channel, OUTCOME: outcome})
        self._disabled.add(0)

    def attempted(self, channel: str, outcome: str) -> None:
        self._deliveries.add(1, {CHANNEL: channel, OUTCOME: outcome})

    def webhook_disabled(self) -> None:
        self._disabled.add(1)
