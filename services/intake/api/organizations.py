"""Organizations: register (operator or join code), read, list, update (org admin), archive
(org admin or operator). The gateway has checked who may call; these routes check the data."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from services.intake import domain
from services.intake.api.common import EdgePage, get_service, get_store, page, public
from services.intake.service import IntakeService
from services.intake.store import IntakeStore
from shared.contracts.text import TextInput
from shared.errors import not_found
from shared.http import batch_ids
from shared.idempotency import WriteOnce

router = APIRouter()
PRIVATE = ("normalized_name", "member_writes", "hsds_id")


class RegisterBody(TextInput):
    input: domain.OrganizationInput
    # The gateway has checked the caller is this network's operator, or passes the join code.
    authorized_as_operator: bool = False
    join_code: str | None = None


class UpdateBody(TextInput):
    input: domain.OrganizationUpdate


@router.post("/organizations")
async def register_organization(
    body: RegisterBody,
    service: IntakeService = Depends(get_service),
    once: WriteOnce = Depends(),
) -> dict[str, Any]:
    # a concurrent registration that won the race ends as CONFLICT (or its answer, same key)
    return await once(
        body,
        lambda a: service.register_organization(
            body.input, body.authorized_as_operator, body.join_code, a
        ),
    )


@router.get("/organizations")
async def list_organizations(
    network_id: str,
    store: IntakeStore = Depends(get_store),
    focus_area: str | None = None,
    resource_kind: str | None = None,
    search: Annotated[str | None, Query(max_length=200)] = None,
    first: Annotated[int, Query(ge=1, le=100)] = 20,
    after: str | None = None,
) -> EdgePage:
    focus = None
    if focus_area:
        code = domain.focus_code(focus_area)
        focus = {"focus_areas": code} if code else {"free_tags": domain.need_focus(focus_area)}
    docs = await store.organizations_page(
        network_id,
        focus=focus,
        resource_kind=resource_kind,
        search=search.strip() if search else None,
        first=first,
        after=after,
    )
    return page(docs, first, lambda doc: public(doc, *PRIVATE))


@router.get("/organizations/by-ids")
async def organizations_by_ids(
    ids: Annotated[str, Query(min_length=1, max_length=10_000)],
    store: IntakeStore = Depends(get_store),
) -> dict[str, Any]:
    """The batch form the gateway's DataLoader uses: `{"items": {id: profile}}`."""
    wanted = batch_ids(ids)
    found = await store.organizations_by_ids(wanted)
    return {"items": {doc["_id"]: public(doc, *PRIVATE) for doc in found}}


@router.get("/organizations/{organization_id}")
async def get_organization(
    organization_id: str, store: IntakeStore = Depends(get_store)
) -> dict[str, Any]:
    found = await store.organization(organization_id)
    if found is None:
        raise not_found("organization", organization_id)
    return public(found, *PRIVATE)


@router.post("/organizations/{organization_id}/profile")
async def update_organization(
    organization_id: str,
    body: UpdateBody,
    service: IntakeService = Depends(get_service),
    once: WriteOnce = Depends(),
) -> dict[str, Any]:
    """A partial update: the fields sent replace the stored ones."""
    return await once(body, lambda a: service.update_organization(organization_id, body.input, a))


@router.post("/organizations/{organization_id}/archive")
async def archive_organization(
    organization_id: str,
    service: IntakeService = Depends(get_service),
    once: WriteOnce = Depends(),
) -> dict[str, Any]:
    """Archived organizations leave listings and matching; archiving twice changes nothing."""
    request = {"organization_id": organization_id}
    return await once(request, lambda a: service.archive_organization(organization_id, a))
