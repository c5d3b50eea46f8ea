"""Survey imports (operator): every row is validated first; good rows grouped by (area, focus
area) create or strengthen needs in one bulk write with their events, in one transaction.
The same file again (same SHA-256) changes nothing and answers the first answer."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from fastapi import APIRouter, Depends

from services.intake.api.common import ImportBody, again_if_raced, get_service
from services.intake.domain import ParsedSurvey
from services.intake.service import IntakeService
from services.intake.store import StaleWrite
from shared.contracts.intake import SurveyImport
from shared.idempotency import ConcurrentWrite, WriteOnce
from shared.service import Runtime, get_runtime

router = APIRouter()
log = logging.getLogger(__name__)


class SurveyBody(ImportBody):
    csv: str


@router.post("/surveys", response_model=SurveyImport)
async def import_survey(
    body: SurveyBody,
    runtime: Runtime = Depends(get_runtime),
    service: IntakeService = Depends(get_service),
    once: WriteOnce = Depends(),
) -> dict[str, Any]:
    started = asyncio.get_running_loop().time()
    every = runtime.settings.survey_progress_rows
    parsed = await service.parse_survey(body.network_id, body.csv, every)
    answer = await import_once(service, once, body.network_id, parsed)
    log.info(
        "survey import for %s done in %.2f s: %d needs created, %d strengthened",
        body.network_id, asyncio.get_running_loop().time() - started,
        answer["needsCreated"], answer["needsStrengthened"],
    )  # fmt: skip
    return answer


async def import_once(
    service: IntakeService, once: WriteOnce, network_id: str, parsed: ParsedSurvey
) -> dict[str, Any]:
    """The import once; again when a need changed meanwhile (StaleWrite); the first answer
    when a concurrent import of the same file committed first."""
    request = {"network_id": network_id, "sha256": parsed.sha256}
    try:
        return await again_if_raced(
            lambda: once(request, lambda a: service.import_survey(network_id, parsed, a)),
            (StaleWrite,),
        )
    except ConcurrentWrite:
        if (first := await service.first_import(network_id, parsed.sha256)) is None:
            raise
        return first
