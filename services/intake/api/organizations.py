"""Organizations: register (operator or join code), read, list, update (org admin), archive
(org admin or operator). The gateway has checked who may call; these routes check the data."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from services.intake import domain
from services.intake.api.common import get_store, page, public
from services.intake.store import IntakeStore
from services.intake.tokens import new_token
from shared.contracts import OrganizationProfile
from shared.contracts.text import TextInput
from shared.errors import AppError, ErrorCode, not_found
from shared.http import batch_ids
from shared.idempotency import Idempotency, get_idempotency
from shared.service import Runtime, get_runtime

router = APIRouter()
PRIVATE = ("normalized_name", "member_writes")


class RegisterBody(TextInput):
    input: domain.OrganizationInput
    # The gateway has checked the caller is this network's operator, or passes the join code.
    authorized_as_operator: bool = False
    join_code: str | None = None


class UpdateBody(TextInput):
    input: domain.OrganizationUpdate


def conflict_with(existing_id: str) -> AppError:
    return AppError(
        ErrorCode.CONFLICT,
        f"organization already registered as {existing_id}",
        details={"existingId": existing_id},
    )


@router.post("/organizations")
async def register_organization(
    body: RegisterBody,
    runtime: Runtime = Depends(get_runtime),
    store: IntakeStore = Depends(get_store),
    idempotency: Idempotency = Depends(get_idempotency),
) -> dict[str, Any]:
    data = body.input

    async def register() -> dict[str, Any]:
        network = await store.network(data.network_id)
        if network is None:
            raise not_found("network", data.network_id)
        if not body.authorized_as_operator and body.join_code != network["join_code"]:
            # Answered exactly like a missing network, so network ids cannot be probed.
            raise not_found("network", data.network_id)
        normalized = domain.normalized_name(data.name)
        duplicate = await store.find_duplicate_organization(
            data.network_id, normalized, data.admin.email
        )
        if duplicate is not None:
            raise conflict_with(duplicate["_id"])

        profile = domain.new_organization(data)
        admin = domain.new_member(data.admin.name, data.admin.email, domain.Role.ORG_ADMIN)
        token = new_token()
        answer = {
            "organization": profile.model_dump(mode="json"),
            "adminToken": token,
            "admin": admin.model_dump(mode="json"),
        }
        async with runtime.outbox.transaction() as tx:
            org_doc = {
                "_id": profile.organization_id,
                **profile.model_dump(),
                "normalized_name": normalized,
            }
            await store.organizations.insert_one(org_doc, session=tx.session)
            await store.add_member(
                admin, data.network_id, profile.organization_id, token, tx.session
            )
            await tx.publish(
                "organization.registered",
                profile.organization_id,
                domain.contracts.OrganizationRegistered(
                    profile=profile, admin=admin, network_name=network["name"]
                ),
            )
            await idempotency.remember(tx.session, body, answer)
        return answer

    # a concurrent registration that won the race ends as CONFLICT (or its answer, same key)
    return await idempotency.once(body, register)


@router.get("/organizations")
async def list_organizations(
    network_id: str,
    store: IntakeStore = Depends(get_store),
    focus_area: str | None = None,
    resource_kind: str | None = None,
    search: Annotated[str | None, Query(max_length=200)] = None,
    first: Annotated[int, Query(ge=1, le=100)] = 20,
    after: str | None = None,
) -> dict[str, Any]:
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
    found = await store.organizations.find({"_id": {"$in": wanted}}).to_list()
    return {"items": {doc["_id"]: public(doc, *PRIVATE) for doc in found}}


@router.get("/organizations/{organization_id}")
async def get_organization(
    organization_id: str, store: IntakeStore = Depends(get_store)
) -> dict[str, Any]:
    found = await store.organization(organization_id)
    if found is None:
        raise not_found("organization", organization_id)
    return public(found, *PRIVATE)


async def current_profile(store: IntakeStore, organization_id: str) -> OrganizationProfile:
    found = await store.organization(organization_id)
    if found is None:
        raise not_found("organization", organization_id)
    return OrganizationProfile(**found)


@router.post("/organizations/{organization_id}/profile")
async def update_organization(
    organization_id: str,
    body: UpdateBody,
    runtime: Runtime = Depends(get_runtime),
    store: IntakeStore = Depends(get_store),
    idempotency: Idempotency = Depends(get_idempotency),
) -> dict[str, Any]:
    """A partial update: the fields sent replace the stored ones; organization.updated
    carries the whole new profile."""

    async def update() -> dict[str, Any]:
        current = await current_profile(store, organization_id)
        if current.archived:
            raise AppError(ErrorCode.CONFLICT, f"organization {organization_id} is archived")
        profile = domain.updated_organization(current, body.input)
        normalized = domain.normalized_name(profile.name)
        twin = await store.organization_named(current.network_id, normalized, organization_id)
        if twin is not None:
            raise conflict_with(twin["_id"])
        answer = {"organization": profile.model_dump(mode="json")}
        async with runtime.outbox.transaction() as tx:
            changes = {**profile.model_dump(), "normalized_name": normalized}
            await store.update_organization(organization_id, current.version, changes, tx.session)
            await tx.publish(
                "organization.updated",
                organization_id,
                domain.contracts.OrganizationUpdated(profile=profile),
            )
            await idempotency.remember(tx.session, body, answer)
        return answer

    return await idempotency.once(body, update)


@router.post("/organizations/{organization_id}/archive")
async def archive_organization(
    organization_id: str,
    runtime: Runtime = Depends(get_runtime),
    store: IntakeStore = Depends(get_store),
    idempotency: Idempotency = Depends(get_idempotency),
) -> dict[str, Any]:
    """Archived organizations leave listings and matching; archiving twice changes nothing."""
    request = {"organization_id": organization_id}

    async def archive() -> dict[str, Any]:
        current = await current_profile(store, organization_id)
        if current.archived:
            return {"organization": current.model_dump(mode="json")}
        profile = domain.archived_organization(current)
        answer = {"organization": profile.model_dump(mode="json")}
        async with runtime.outbox.transaction() as tx:
            changes = {"archived": True, "version": profile.version}
            await store.update_organization(organization_id, current.version, changes, tx.session)
            await tx.publish(
                "organization.archived",
                organization_id,
                domain.contracts.OrganizationArchived(profile=profile),
            )
            await idempotency.remember(tx.session, request, answer)
        return answer

    return await idempotency.once(request, archive)
