"""Which secrets sign a webhook delivery: the current one, and during the overlap after a
rotation the previous ones too (Standard Webhooks puts several `v1,<signature>` in one
`webhook-signature` header, and a receiver accepts any that verifies), so a receiver can
switch to the new secret at any moment of the overlap without losing a delivery."""

from __future__ import annotations

from datetime import datetime
from typing import Any

MAX_OVERLAP_SECONDS = 7 * 24 * 3600


def signing_secrets(webhook: dict[str, Any], now: datetime) -> list[str]:
    """The current secret first, then the rotated-out ones whose overlap lasts past `now`."""
    previous = [p["secret"] for p in webhook.get("previous_secrets", []) if p["until"] > now]
    return [webhook["secret"], *previous]


def previous_secret_expires_at(webhook: dict[str, Any], now: datetime) -> datetime | None:
    """When the last rotated-out secret stops signing; None when none signs any more."""
    ends = [p["until"] for p in webhook.get("previous_secrets", []) if p["until"] > now]
    return max(ends) if ends else None


PREVIOUS_SECRETS_KEPT = 5  # rotations in a row within one overlap: the oldest drop out


def rotation(
    webhook: dict[str, Any], secret: str, now: datetime, until: datetime
) -> dict[str, Any]:
    """The changes of a rotation: the new secret signs from now; the current one goes on
    signing beside it until `until` (the overlap), and older ones still signing stop by then
    too, so a rotation with no overlap leaves the new secret alone."""
    previous = [
        {"secret": p["secret"], "until": min(p["until"], until)}
        for p in webhook.get("previous_secrets", [])
        if p["until"] > now
    ]
    previous.append({"secret": webhook["secret"], "until": until})
    return {
        "secret": secret,
        "previous_secrets": previous[-PREVIOUS_SECRETS_KEPT:],
        "secret_rotated_at": now,
    }
