"""Directory imports and exports (operator), Open Referral HSDS 1.x data packages: every row
is checked first; the good ones register or update organizations in one transaction with
their events. An organization's identity is its HSDS id within the network, so the same
directory again changes nothing (and answers so)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query

from services.intake.api.common import Service, Uow
from shared.contracts.intake import DirectoryExport, DirectoryImport
from shared.contracts.requests import intake as rq
from shared.idempotency import WriteOnce

router = APIRouter()


@router.post("/directory/import", response_model=DirectoryImport)
async def import_directory(
    body: rq.ImportDirectory, service: Service, uow: Uow, once: WriteOnce = Depends()
) -> dict[str, Any]:
    parsed = await service.parse_directory(body.network_id, body.file, uow)
    request = {"network_id": body.network_id, "sha256": parsed.sha256}
    return await once.run(
        request, uow, lambda: service.import_directory(body.network_id, parsed, uow)
    )


@router.get("/directory/export", response_model=DirectoryExport)
async def export_directory(
    service: Service, uow: Uow, network_id: str = Query(min_length=1, max_length=200)
) -> DirectoryExport:
    return await service.export_directory(network_id, uow)
