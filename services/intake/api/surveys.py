"""Survey imports (operator): every row is validated first; good rows grouped by (area, focus
area) create or strengthen needs in one bulk write with their events, in one transaction.
The same file again (same SHA-256) changes nothing and answers the first answer."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends

from services.intake.api.common import Service, Uow
from shared.contracts.intake import SurveyImport
from shared.contracts.requests import intake as rq
from shared.idempotency import WriteOnce
from shared.service import Runtime, get_runtime

router = APIRouter()


@router.post("/surveys", response_model=SurveyImport)
async def import_survey(
    body: rq.ImportSurvey,
    service: Service,
    uow: Uow,
    runtime: Runtime = Depends(get_runtime),
    once: WriteOnce = Depends(),
) -> dict[str, Any]:
    every = runtime.settings.survey_progress_rows
    parsed = await service.parse_survey(body.network_id, body.csv, every, uow)
    request = {"network_id": body.network_id, "sha256": parsed.sha256}
    return await once.run(request, uow, lambda: service.import_survey(body.network_id, parsed, uow))
