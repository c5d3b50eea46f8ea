"""Signing in to /app by a one-time link. `request_links` records a nonce per membership of
the email and announces the signed link (notifications emails it); `redeem` checks the
signature and age (itsdangerous), uses the nonce once, and makes a session token that
resolves like any bearer token until it expires or is ended. Lifetimes are wall-clock time
(not the service's settable clock): the signature's age and the stored `expires_at` must
both hold."""

from __future__ import annotations

import secrets
from datetime import timedelta

from itsdangerous import BadData, URLSafeTimedSerializer

from services.intake.store.sessions import SessionStore
from services.intake.tokens import new_token
from shared.contracts import SignInRequested
from shared.errors import AppError, ErrorCode
from shared.events import utcnow
from shared.mongo import Document
from shared.outbox import Outbox

LINK_LIFETIME = timedelta(minutes=15)
SESSION_LIFETIME = timedelta(hours=8)
SALT = "commonweave.sign-in-link"  # the key is derived for this purpose only


def refused() -> AppError:
    return AppError(ErrorCode.UNAUTHENTICATED, "this sign-in link has expired or was already used")


class Sessions:
    def __init__(self, store: SessionStore, outbox: Outbox, secret: str) -> None:
        self.store = store
        self.outbox = outbox
        self.signer = URLSafeTimedSerializer(secret, salt=SALT)

    async def request_links(self, email: str) -> dict[str, int]:
        """One link per membership of the email (none for an unknown email: the caller is
        told the same either way)."""
        memberships = await self.store.memberships(email)
        if not memberships:
            return {"sent": 0}
        names = await self.store.network_names([m["network_id"] for m in memberships])
        expires_at = utcnow() + LINK_LIFETIME
        async with self.outbox.transaction() as tx:
            for holder in memberships:
                nonce = secrets.token_urlsafe(24)
                await self.store.add_link(nonce, holder, expires_at, tx.session)
                event = SignInRequested(
                    **holder,
                    email=email.lower(),
                    network_name=names.get(holder["network_id"], ""),
                    token=self.signer.dumps(nonce),
                    expires_at=expires_at,
                )
                await tx.publish("member.sign_in_requested", holder["member_id"], event)
        return {"sent": len(memberships)}

    async def redeem(self, token: str) -> Document:
        """A new session for the link's holder; the link works once."""
        try:
            nonce = self.signer.loads(token, max_age=int(LINK_LIFETIME.total_seconds()))
        except BadData:
            raise refused() from None
        now = utcnow()
        session_token = new_token("ses")
        expires_at = now + SESSION_LIFETIME
        async with self.outbox.transaction() as tx:
            holder = await self.store.use_link(str(nonce), now, tx.session)
            if holder is None:
                raise refused()
            if holder["role"] != "OPERATOR" and not await self.store.member_exists(
                holder["member_id"], tx.session
            ):
                raise refused()  # removed since the link was sent
            await self.store.add_session(session_token, holder, expires_at, tx.session)
        return {
            "token": session_token,
            "expiresAt": expires_at,
            "memberId": holder["member_id"],
            "networkId": holder["network_id"],
            "organizationId": holder.get("organization_id"),
            "role": holder["role"],
        }

    async def end(self, token: str, everywhere: bool) -> dict[str, int]:
        """Ends this session, or with `everywhere` every session of its member (API tokens
        stay valid)."""
        found = await self.store.session(token)
        if found is None:
            return {"ended": 0}
        query = {"member_id": found["member_id"]} if everywhere else {"_id": found["_id"]}
        return {"ended": await self.store.end_sessions(query)}
