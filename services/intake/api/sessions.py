"""Signing in to /app (called by the gateway): ask for one-time links for an email, redeem a
link for a session token, end a session or all of a member's."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from services.intake.api.common import Uow
from services.intake.service.sessions import Sessions
from shared.contracts.requests import intake as rq
from shared.contracts.sessions import Session, SessionsEnded, SignInLinks
from shared.mongo import retry_transient
from shared.service import Runtime, get_runtime

router = APIRouter()


def get_sessions(runtime: Runtime = Depends(get_runtime)) -> Sessions:
    return Sessions(runtime.settings.service_token.get_secret_value(), runtime.wall_clock)


Use = Annotated[Sessions, Depends(get_sessions)]


@router.post("/auth/sign-in-links", response_model=SignInLinks)
async def request_links(body: rq.RequestSignInLinks, sessions: Use, uow: Uow) -> SignInLinks:
    return await retry_transient(lambda: sessions.request_links(body.email, uow))


@router.post("/auth/sign-in-links/redeem", response_model=Session)
async def redeem(body: rq.RedeemSignInLink, sessions: Use, uow: Uow) -> Session:
    return await retry_transient(lambda: sessions.redeem(body.token, uow))


@router.post("/auth/sessions/end", response_model=SessionsEnded)
async def end(body: rq.EndSessions, sessions: Use, uow: Uow) -> SessionsEnded:
    return await retry_transient(lambda: sessions.end(body.token, body.everywhere, uow))
