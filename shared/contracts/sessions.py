"""Signing in to the web workspace (/app) by a one-time link, owned by intake: a member (or a
network's operator) asks for a link with the email the network knows; intake records a
single-use nonce and announces the signed link token, which notifications emails (or, with
email off, writes to its log). Redeeming the link makes a session token that resolves exactly
as a bearer token does, and expires."""

from __future__ import annotations

from datetime import datetime

from shared.contracts.base import CamelAnswer, Payload


class SignInRequested(Payload):
    """A one-time sign-in link for one membership of the email. `token` is the signed link
    token (single use, expiring at `expires_at`): only the email's owner should see it."""

    network_id: str
    member_id: str
    organization_id: str | None = None
    name: str
    email: str
    network_name: str
    token: str
    expires_at: datetime


class SignInLinks(CamelAnswer):
    """How many links went out (the gateway never says: that would tell who is a member)."""

    sent: int


class Session(CamelAnswer):
    """A session token made from a redeemed link: used like a bearer token until it expires
    or is ended."""

    token: str
    expires_at: datetime
    member_id: str
    network_id: str
    organization_id: str | None = None
    role: str


class SessionsEnded(CamelAnswer):
    ended: int


EVENTS: dict[str, type[Payload]] = {"member.sign_in_requested": SignInRequested}
