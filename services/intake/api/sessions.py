"""Signing in to /app (called by the gateway): ask for one-time links for an email, redeem a
link for a session token, end a session or all of a member's."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends

from services.intake.service.sessions import Sessions
from services.intake.store.sessions import SessionStore
from shared.contracts.requests import intake as rq
from shared.contracts.sessions import Session, SessionsEnded, SignInLinks
from shared.service import Runtime, get_runtime

router = APIRouter()


def get_sessions(runtime: Runtime = Depends(get_runtime)) -> Sessions:
    secret = runtime.settings.service_token.get_secret_value()
    return Sessions(SessionStore(runtime.db), runtime.outbox, secret)


@router.post("/auth/sign-in-links", response_model=SignInLinks)
async def request_links(
    body: rq.RequestSignInLinks, sessions: Sessions = Depends(get_sessions)
) -> dict[str, Any]:
    return await sessions.request_links(body.email)


@router.post("/auth/sign-in-links/redeem", response_model=Session)
async def redeem(
    body: rq.RedeemSignInLink, sessions: Sessions = Depends(get_sessions)
) -> dict[str, Any]:
    return await sessions.redeem(body.token)


@router.post("/auth/sessions/end", response_model=SessionsEnded)
async def end(body: rq.EndSessions, sessions: Sessions = Depends(get_sessions)) -> dict[str, Any]:
    return await sessions.end(body.token, body.everywhere)
