"""Webhooks: which URLs may be called, how a delivery is signed, and the CloudEvent it carries.
Pure functions; the delivery worker does the I/O."""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import secrets
import socket
from typing import Any
from urllib.parse import urlparse

from shared.errors import bad_input
from shared.events import Envelope

SIGNATURE_HEADER = "X-Commonweave-Signature"
METADATA_HOSTS = {"169.254.169.254", "fd00:ec2::254", "metadata.google.internal"}


def new_secret() -> str:
    return f"whsec_{secrets.token_urlsafe(24)}"


def check_url(url: str, *, allow_loopback: bool, field: str = "input.url") -> str:
    """Refuses what a webhook must never reach: other schemes, cloud metadata, link-local
    addresses, and (unless allowed, for local development) loopback and private hosts."""
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        raise bad_input(field, "a webhook URL must be http:// or https:// with a host")
    host = parsed.hostname
    if host in METADATA_HOSTS:
        raise bad_input(field, "cloud metadata addresses are not allowed")
    try:
        addresses = {str(info[4][0]) for info in socket.getaddrinfo(host, parsed.port or 443)}
    except socket.gaierror as exc:
        raise bad_input(field, f"the host {host} does not resolve") from exc
    for address in addresses:
        ip = ipaddress.ip_address(address.split("%")[0])
        if ip.is_link_local or str(ip) in METADATA_HOSTS:
            raise bad_input(field, f"{host} is a link-local or metadata address")
        if (ip.is_loopback or ip.is_private or ip.is_unspecified) and not allow_loopback:
            raise bad_input(field, f"{host} is a loopback or private address")
    return url


def signature(secret: str, timestamp: int, body: bytes) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={digest.hexdigest()}"


def verify(secret: str, header: str, body: bytes) -> bool:
    parts = dict(part.split("=", 1) for part in header.split(",") if "=" in part)
    if "t" not in parts or "v1" not in parts:
        return False
    expected = signature(secret, int(parts["t"]), body)
    return hmac.compare_digest(expected, header)


def cloudevent_json(envelope: Envelope, data: dict[str, Any]) -> bytes:
    """The structured-mode CloudEvent a webhook receives."""
    event = {**envelope.model_dump(mode="json"), "data": data}
    return json.dumps(event, separators=(",", ":")).encode()
