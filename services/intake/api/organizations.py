"""Organizations: register (operator or join code), read, list, update (org admin), archive
(org admin or operator). The gateway has checked who may call; the use cases check the data."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from services.intake.api.common import Service, Uow
from shared.contracts.intake import (
    OrganizationAnswer,
    OrganizationProfile,
    RegisteredOrganization,
)
from shared.contracts.page import Batch, Edge, EdgePage, Page
from shared.contracts.requests import intake as rq
from shared.http import batch_ids
from shared.idempotency import WriteOnce

router = APIRouter()


@router.post("/organizations", response_model=RegisteredOrganization)
async def register_organization(
    body: rq.RegisterOrganization, service: Service, uow: Uow, once: WriteOnce = Depends()
) -> dict[str, Any]:
    # a concurrent registration that won the race ends as CONFLICT (or its answer, same key)
    return await once.run(
        body,
        uow,
        lambda: service.register_organization(
            body.input, body.authorized_as_operator, body.join_code, uow
        ),
    )


@router.get("/organizations", response_model=Page[Edge[OrganizationProfile]])
async def list_organizations(
    network_id: str,
    service: Service,
    uow: Uow,
    focus_area: str | None = None,
    resource_kind: str | None = None,
    search: Annotated[str | None, Query(max_length=200)] = None,
    first: Annotated[int, Query(ge=1, le=100)] = 20,
    after: str | None = None,
) -> EdgePage:
    return await service.organizations_page(
        network_id,
        uow,
        focus_area=focus_area,
        resource_kind=resource_kind,
        search=search,
        first=first,
        after=after,
    )


@router.get("/organizations/by-ids", response_model=Batch[OrganizationProfile])
async def organizations_by_ids(
    ids: Annotated[str, Query(min_length=1, max_length=10_000)], service: Service, uow: Uow
) -> Batch[OrganizationProfile]:
    """The batch form the gateway's DataLoader uses: `{"items": {id: profile}}`."""
    return Batch(items=await service.organizations_by_ids(batch_ids(ids), uow))


@router.get("/organizations/{organization_id}", response_model=OrganizationProfile)
async def get_organization(organization_id: str, service: Service, uow: Uow) -> OrganizationProfile:
    return await service.organization(organization_id, uow)


@router.post("/organizations/{organization_id}/profile", response_model=OrganizationAnswer)
async def update_organization(
    organization_id: str,
    body: rq.UpdateOrganization,
    service: Service,
    uow: Uow,
    once: WriteOnce = Depends(),
) -> dict[str, Any]:
    """A partial update: the fields sent replace the stored ones."""
    return await once.run(
        body, uow, lambda: service.update_organization(organization_id, body.input, uow)
    )


@router.post("/organizations/{organization_id}/archive", response_model=OrganizationAnswer)
async def archive_organization(
    organization_id: str, service: Service, uow: Uow, once: WriteOnce = Depends()
) -> dict[str, Any]:
    """Archived organizations leave listings and matching; archiving twice changes nothing."""
    request = {"organization_id": organization_id}
    return await once.run(request, uow, lambda: service.archive_organization(organization_id, uow))
