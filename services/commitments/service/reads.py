"""What the gateway reads: partnerships (one, by ids, by organization, a network's page), the
records of partnerships, a commitment, health trends and warnings, reliability; each a typed
answer."""

from __future__ import annotations

from typing import Any

from services.commitments.service.base import UseCases, view, view_as
from services.commitments.service.unit_of_work import CommitmentsUnitOfWork
from shared import contracts as c
from shared.contracts.page import Page
from shared.errors import not_found


class Reads(UseCases):
    async def partnership(
        self, partnership_id: str, uow: CommitmentsUnitOfWork
    ) -> c.PartnershipView:
        found = await uow.partnerships.get(partnership_id)
        if found is None:
            raise not_found("partnership", partnership_id)
        return view_as(c.PartnershipView, found)

    async def partnerships_in(
        self,
        network_id: str,
        status: str | None,
        after: str | None,
        first: int,
        uow: CommitmentsUnitOfWork,
    ) -> Page[c.PartnershipView]:
        """The network's partnerships (and those formed across a link) in id order."""
        found = await uow.partnerships.in_network(network_id, status, after, first + 1)
        return Page.of([view_as(c.PartnershipView, p) for p in found], first)

    async def partnerships_by_ids(
        self, ids: list[str], uow: CommitmentsUnitOfWork
    ) -> dict[str, c.PartnershipView]:
        found = await uow.partnerships.by_ids(ids)
        return {p["_id"]: view_as(c.PartnershipView, p) for p in found}

    async def partnerships_of(
        self, organization_ids: list[str], uow: CommitmentsUnitOfWork
    ) -> dict[str, list[c.PartnershipView]]:
        found = await uow.partnerships.of_organizations(organization_ids)
        return {org: [view_as(c.PartnershipView, p) for p in docs] for org, docs in found.items()}

    async def records_of(
        self, kind: str, partnership_ids: list[str], uow: CommitmentsUnitOfWork
    ) -> dict[str, list[dict[str, Any]]]:
        """Each partnership's records of a kind, oldest first, as the gateway reads them."""
        found = await uow.records.of(kind, partnership_ids)
        return {pid: [view(d) for d in docs] for pid, docs in found.items()}

    async def commitment(self, commitment_id: str, uow: CommitmentsUnitOfWork) -> c.CommitmentView:
        found = await uow.records.commitment(commitment_id)
        if found is None:
            raise not_found("commitment", commitment_id)
        return view_as(c.CommitmentView, found)

    async def health_warnings(
        self, partnership_ids: list[str], uow: CommitmentsUnitOfWork
    ) -> dict[str, list[c.HealthWarningView]]:
        found = await uow.health.warnings(partnership_ids)
        return {pid: [view_as(c.HealthWarningView, w) for w in ws] for pid, ws in found.items()}

    async def reliability(
        self, organization_ids: list[str], uow: CommitmentsUnitOfWork
    ) -> dict[str, c.Reliability]:
        found = await uow.reliability.of(organization_ids)
        return {org: c.Reliability.model_validate(doc) for org, doc in found.items()}
