"""What the route modules share: the use cases and the unit of work they run in, and the body
of a file imported into a network."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from services.intake.service import IntakeService
from services.intake.store import MongoIntakeUnitOfWork
from shared.service import Runtime, get_runtime


def get_service(runtime: Runtime = Depends(get_runtime)) -> IntakeService:
    return IntakeService(runtime.clock, runtime.wall_clock)


def get_uow(runtime: Runtime = Depends(get_runtime)) -> MongoIntakeUnitOfWork:
    """A request's unit of work (a write route's `WriteOnce` adds its Idempotency-Key)."""
    return MongoIntakeUnitOfWork(runtime.outbox)


Service = Annotated[IntakeService, Depends(get_service)]
Uow = Annotated[MongoIntakeUnitOfWork, Depends(get_uow)]
