"""Webhooks after the Standard Webhooks specification (standardwebhooks.com): the `whsec_`
secret, the `webhook-id`/`webhook-timestamp`/`webhook-signature` headers, and the CloudEvent a
delivery carries. No I/O: which URLs may be called is `service/egress.py`'s, the sending is
the delivery worker's."""

from __future__ import annotations

import base64
import binascii
import json
import secrets
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from standardwebhooks import Webhook

from shared.events import Envelope


def new_secret() -> str:
    """24 random bytes, base64, after the `whsec_` prefix: what every Standard Webhooks library
    takes as a secret."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


def signer(secret: str) -> Webhook:
    """The key is the secret's base64 after `whsec_`. Secrets issued before Standard Webhooks
    were URL-safe base64; they still sign (a receiver swaps `-_` for `+/` to verify)."""
    encoded = secret.removeprefix("whsec_")
    try:
        key = base64.b64decode(encoded, validate=True)
    except binascii.Error:
        key = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
    return Webhook(key)


def signed_headers(
    secret: str | Sequence[str], message_id: str, body: bytes, at: datetime
) -> dict[str, str]:
    """The three Standard Webhooks headers: the signature covers `id.timestamp.body`. With
    several secrets (a rotation's overlap), one `v1,<signature>` each, space-separated."""
    at = at.astimezone(UTC)
    secrets_ = [secret] if isinstance(secret, str) else list(secret)
    signatures = [signer(s).sign(message_id, at, body.decode()) for s in secrets_]
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": " ".join(signatures),
    }


def cloudevent_json(envelope: Envelope, data: dict[str, Any]) -> bytes:
    """The structured-mode CloudEvent a webhook receives."""
    event = {**envelope.model_dump(mode="json"), "data": data}
    return json.dumps(event, separators=(",", ":")).encode()
