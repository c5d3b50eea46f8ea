"""Intake's internal HTTP routes, called by the gateway and the CLI. Thin: parse, call the
domain, store and publish in one transaction."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel
from pymongo.errors import DuplicateKeyError

from services.intake import domain
from services.intake.store import IntakeStore
from services.intake.tokens import new_join_code, new_token, token_hash
from shared.errors import AppError, ErrorCode, not_found
from shared.events import new_id, utcnow
from shared.service import Runtime, get_runtime

router = APIRouter()


def get_store(runtime: Runtime = Depends(get_runtime)) -> IntakeStore:
    return IntakeStore(runtime.db)


class TokenBody(BaseModel):
    token: str


class RegisterBody(BaseModel):
    input: domain.OrganizationInput
    # The gateway has checked the caller is this network's operator, or passes the join code.
    authorized_as_operator: bool = False
    join_code: str | None = None


@router.post("/networks")
async def create_network(
    body: domain.NetworkInput,
    runtime: Runtime = Depends(get_runtime),
    store: IntakeStore = Depends(get_store),
) -> dict[str, Any]:
    network_id, token, join_code = new_id("net"), new_token("op"), new_join_code()
    async with runtime.outbox.transaction() as tx:
        await store.networks.insert_one(
            {
                "_id": network_id,
                **body.model_dump(),
                "join_code": join_code,
                "created_at": utcnow(),
            },
            session=tx.session,
        )
        await store.tokens.insert_one(
            {
                "_id": token_hash(token),
                "role": domain.Role.OPERATOR,
                "network_id": network_id,
                "member_id": f"operator:{network_id}",
                "organization_id": None,
                "revoked": False,
            },
            session=tx.session,
        )
    return {"networkId": network_id, "operatorToken": token, "joinCode": join_code}


@router.post("/auth/resolve")
async def resolve_token(body: TokenBody, store: IntakeStore = Depends(get_store)) -> dict[str, Any]:
    found = await store.token(token_hash(body.token))
    if found is None:
        raise AppError(ErrorCode.UNAUTHENTICATED, "unknown or revoked token")
    return {
        "memberId": found["member_id"],
        "networkId": found["network_id"],
        "organizationId": found.get("organization_id"),
        "role": found["role"],
    }


@router.post("/organizations")
async def register_organization(
    body: RegisterBody,
    runtime: Runtime = Depends(get_runtime),
    store: IntakeStore = Depends(get_store),
) -> dict[str, Any]:
    data = body.input
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
        raise AppError(
            ErrorCode.CONFLICT,
            f"organization already registered as {duplicate['_id']}",
            details={"existingId": duplicate["_id"]},
        )

    profile = domain.new_organization(data)
    admin = domain.new_member(data.admin.name, data.admin.email, domain.Role.ORG_ADMIN)
    token = new_token()
    try:
        async with runtime.outbox.transaction() as tx:
            org_doc = {
                "_id": profile.organization_id,
                **profile.model_dump(),
                "normalized_name": normalized,
            }
            await store.organizations.insert_one(org_doc, session=tx.session)
            await store.members.insert_one(
                {
                    "_id": admin.member_id,
                    "network_id": data.network_id,
                    "organization_id": profile.organization_id,
                    **admin.model_dump(),
                },
                session=tx.session,
            )
            await store.tokens.insert_one(
                {
                    "_id": token_hash(token),
                    "role": admin.role,
                    "network_id": data.network_id,
                    "member_id": admin.member_id,
                    "organization_id": profile.organization_id,
                    "revoked": False,
                },
                session=tx.session,
            )
            await tx.publish(
                "organization.registered",
                profile.organization_id,
                domain.contracts.OrganizationRegistered(
                    profile=profile, admin=admin, network_name=network["name"]
                ),
            )
    except DuplicateKeyError as exc:  # a concurrent registration won the race
        raise AppError(ErrorCode.CONFLICT, "organization already registered") from exc
    return {
        "organization": profile.model_dump(mode="json"),
        "adminToken": token,
        "admin": admin.model_dump(mode="json"),
    }


@router.get("/organizations/{organization_id}")
async def get_organization(
    organization_id: str, store: IntakeStore = Depends(get_store)
) -> dict[str, Any]:
    found = await store.organization(organization_id)
    if found is None:
        raise not_found("organization", organization_id)
    found.pop("_id")
    found.pop("normalized_name", None)
    return found


@router.get("/networks/{network_id}")
async def get_network(network_id: str, store: IntakeStore = Depends(get_store)) -> dict[str, Any]:
    found = await store.network(network_id)
    if found is None:
        raise not_found("network", network_id)
    return {
        "networkId": found["_id"],
        "name": found["name"],
        "region": found["region"],
        "timeZone": found["time_zone"],
        "joinCode": found["join_code"],
    }
