"""Signing in to /app by a one-time link. `request_links` records a nonce per membership of
the email and announces the signed link (notifications emails it); `redeem` checks the
signature and age (itsdangerous), uses the nonce once, and makes a session token that
resolves like any bearer token until it expires or is ended. Lifetimes run on the injected
wall clock (real time, not the service's settable clock, which tests move a quarter ahead):
the signature's age and the stored `expires_at` must both hold."""

from __future__ import annotations

import secrets
from datetime import timedelta

from itsdangerous import BadData, TimestampSigner, URLSafeTimedSerializer

from services.intake.service.unit_of_work import IntakeUnitOfWork
from services.intake.tokens import new_token
from shared.clock import Clock
from shared.contracts import SignInRequested
from shared.contracts.sessions import Session, SessionsEnded, SignInLinks
from shared.errors import AppError, ErrorCode

LINK_LIFETIME = timedelta(minutes=15)
SESSION_LIFETIME = timedelta(hours=8)
SALT = "commonweave.sign-in-link"  # the key is derived for this purpose only


def refused() -> AppError:
    return AppError(ErrorCode.UNAUTHENTICATED, "this sign-in link has expired or was already used")


def signer_on(clock: Clock) -> type[TimestampSigner]:
    """itsdangerous's timestamp signer, telling (and judging) a signature's age by `clock`
    rather than by `time.time()`."""

    class ClockedSigner(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(clock.now().timestamp())

    return ClockedSigner


class Sessions:
    def __init__(self, secret: str, wall_clock: Clock) -> None:
        self.wall_clock = wall_clock
        self.signer = URLSafeTimedSerializer(secret, salt=SALT, signer=signer_on(wall_clock))

    async def request_links(self, email: str, uow: IntakeUnitOfWork) -> SignInLinks:
        """One link per membership of the email (none for an unknown email: the caller is
        told the same either way)."""
        memberships = await uow.sessions.memberships(email)
        if not memberships:
            return SignInLinks(sent=0)
        names = await uow.sessions.network_names([m["network_id"] for m in memberships])
        expires_at = self.wall_clock.now() + LINK_LIFETIME
        async with uow:
            for holder in memberships:
                nonce = secrets.token_urlsafe(24)
                await uow.sessions.add_link(nonce, holder, expires_at)
                event = SignInRequested(
                    **holder,
                    email=email.lower(),
                    network_name=names.get(holder["network_id"], ""),
                    token=self.signer.dumps(nonce),
                    expires_at=expires_at,
                )
                await uow.publish(event, holder["member_id"])
        return SignInLinks(sent=len(memberships))

    async def redeem(self, token: str, uow: IntakeUnitOfWork) -> Session:
        """A new session for the link's holder; the link works once."""
        try:
            nonce = self.signer.loads(token, max_age=int(LINK_LIFETIME.total_seconds()))
        except BadData:
            raise refused() from None
        now = self.wall_clock.now()
        session_token = new_token("ses")
        expires_at = now + SESSION_LIFETIME
        async with uow:
            holder = await uow.sessions.use_link(str(nonce), now)
            if holder is None:
                raise refused()
            if holder["role"] != "OPERATOR" and await uow.members.get(holder["member_id"]) is None:
                raise refused()  # removed since the link was sent
            await uow.sessions.add_session(session_token, holder, expires_at)
        return Session(
            token=session_token,
            expires_at=expires_at,
            member_id=holder["member_id"],
            network_id=holder["network_id"],
            organization_id=holder.get("organization_id"),
            role=holder["role"],
        )

    async def end(self, token: str, everywhere: bool, uow: IntakeUnitOfWork) -> SessionsEnded:
        """Ends this session, or with `everywhere` every session of its member (API tokens
        stay valid)."""
        async with uow:
            found = await uow.sessions.session(token)
            if found is None:
                return SessionsEnded(ended=0)
            one = None if everywhere else found["_id"]
            return SessionsEnded(ended=await uow.sessions.end(found["member_id"], one))
