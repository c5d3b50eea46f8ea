"""Matching's internal HTTP routes."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends

from services.matching.store import MatchingStore
from shared.errors import not_found
from shared.service import Runtime, get_runtime

router = APIRouter()


@router.get("/profiles/{organization_id}")
async def get_profile(organization_id: str, runtime: Runtime = Depends(get_runtime)) -> Any:
    found = await MatchingStore(runtime.db).profiles.find_one({"_id": organization_id})
    if found is None:
        raise not_found("organization", organization_id)
    return found
