"""Intake's internal HTTP routes, called by the gateway and the CLI. Thin: parse, call one
use case or read of `services/intake/service/` with the request's unit of work, answer (no
route touches the store). Write routes honour an `Idempotency-Key` header through `WriteOnce`
(shared/idempotency.py)."""

from __future__ import annotations

from fastapi import APIRouter

from services.intake.api import (
    directory,
    links,
    members,
    needs,
    networks,
    organizations,
    sessions,
    surveys,
)

router = APIRouter()
for part in (networks, links, organizations, members, needs, surveys, directory, sessions):
    router.include_router(part.router)
