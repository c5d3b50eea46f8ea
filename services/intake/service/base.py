"""What every use case of intake shares: its dependencies, reading a network or an
organization that must exist, and the answers and refusals more than one area gives."""

from __future__ import annotations

from typing import Any

from services.intake.store import IntakeStore
from shared.clock import Clock
from shared.contracts import OrganizationProfile
from shared.errors import AppError, ErrorCode, not_found
from shared.mongo import Document
from shared.outbox import Outbox

Answer = dict[str, Any]
MAX_REJECTED_LISTED = 1000  # an import's rowsRejected counts them all


def archived(organization_id: str) -> AppError:
    return AppError(ErrorCode.CONFLICT, f"organization {organization_id} is archived")


class UseCases:
    def __init__(self, store: IntakeStore, outbox: Outbox, clock: Clock) -> None:
        self.store = store
        self.outbox = outbox
        self.clock = clock

    async def _network(self, network_id: str) -> Document:
        found = await self.store.network(network_id)
        if found is None:
            raise not_found("network", network_id)
        return found

    async def _profile(self, organization_id: str) -> OrganizationProfile:
        found = await self.store.organization(organization_id)
        if found is None:
            raise not_found("organization", organization_id)
        return OrganizationProfile(**found)
