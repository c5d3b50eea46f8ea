"""Fault injection for tests, like the clock: with `settings.fault_injection` on (never in
production), `PUT /faults {"failing_subjects": [...]}` on a service makes its event handlers
fail for events about those subjects, as a bug in a handler would; an empty list is the bug
fixed. The DLQ round trip (`commonweave dlq`) is tested with it."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, Field

from shared.events import Envelope


class InjectedFault(RuntimeError):
    """The failure a test asked for."""


class Faults:
    def __init__(self) -> None:
        self._subjects: frozenset[str] = frozenset()

    def set(self, subjects: list[str]) -> None:
        self._subjects = frozenset(subjects)

    def check(self, envelope: Envelope) -> None:
        """Raises InjectedFault when the event's subject is one a test made fail."""
        if envelope.subject in self._subjects:
            raise InjectedFault(f"injected fault for subject {envelope.subject}")


class FaultsBody(BaseModel):
    failing_subjects: list[str] = Field(default=[], max_length=100)


def faults_router(faults: Faults) -> APIRouter:
    """Mounted only with `fault_injection`, which production leaves off."""
    router = APIRouter()

    @router.put("/faults")
    async def set_faults(body: FaultsBody) -> FaultsBody:
        faults.set(body.failing_subjects)
        return body

    return router
