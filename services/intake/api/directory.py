"""Directory imports and exports (operator), Open Referral HSDS 1.x data packages: every row
is checked first; the good ones register or update organizations in one transaction with
their events. An organization's identity is its HSDS id within the network, so the same
directory again changes nothing (and answers so)."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from fastapi import APIRouter, Depends, Query

from services.intake.api.common import ImportBody, again_if_raced, get_service
from services.intake.domain.hsds import ParsedDirectory
from services.intake.service import IntakeService
from shared.contracts.intake import DirectoryExport, DirectoryImport
from shared.idempotency import WriteOnce

router = APIRouter()
log = logging.getLogger(__name__)


class DirectoryBody(ImportBody):
    file: str


@router.post("/directory/import", response_model=DirectoryImport)
async def import_directory(
    body: DirectoryBody,
    service: IntakeService = Depends(get_service),
    once: WriteOnce = Depends(),
) -> dict[str, Any]:
    started = asyncio.get_running_loop().time()
    parsed = await service.parse_directory(body.network_id, body.file)
    answer = await import_once(service, once, body.network_id, parsed)
    log.info(
        "directory import for %s done in %.2f s: %d organizations created, %d updated, "
        "%d unchanged",
        body.network_id, asyncio.get_running_loop().time() - started,
        answer["organizationsCreated"], answer["organizationsUpdated"],
        answer["organizationsUnchanged"],
    )  # fmt: skip
    return answer


async def import_once(
    service: IntakeService, once: WriteOnce, network_id: str, parsed: ParsedDirectory
) -> dict[str, Any]:
    """The import once; again when an organization changed meanwhile (StaleWrite) or a
    concurrent import of the same directory registered it first (ConcurrentWrite): the run
    after it finds those organizations and leaves them as they are."""
    request = {"network_id": network_id, "sha256": parsed.sha256}
    return await again_if_raced(
        lambda: once(request, lambda a: service.import_directory(network_id, parsed, a))
    )


@router.get("/directory/export", response_model=DirectoryExport)
async def export_directory(
    network_id: str = Query(min_length=1, max_length=200),
    service: IntakeService = Depends(get_service),
) -> dict[str, Any]:
    return await service.export_directory(network_id)
