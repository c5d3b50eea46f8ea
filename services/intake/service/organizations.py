"""Organizations: registered with their first admin (by the operator or with the join code),
updated in part, archived, read. Every change is written at the version it was read at and
announced with the whole new profile."""

from __future__ import annotations

from typing import Any

from services.intake import domain
from services.intake.service.base import (
    UseCases,
    archived,
    edge_page,
    network_of,
    profile_of,
)
from services.intake.service.unit_of_work import IntakeUnitOfWork
from services.intake.tokens import new_token
from shared.contracts import (
    OrganizationArchived,
    OrganizationProfile,
    OrganizationRegistered,
    OrganizationUpdated,
)
from shared.contracts.intake import OrganizationAnswer, RegisteredOrganization
from shared.contracts.page import EdgePage
from shared.errors import AppError, ErrorCode, not_found


def conflict_with(existing_id: str) -> AppError:
    return AppError(
        ErrorCode.CONFLICT,
        f"organization already registered as {existing_id}",
        details={"existingId": existing_id},
    )


class Organizations(UseCases):
    async def register_organization(
        self,
        data: domain.OrganizationInput,
        authorized_as_operator: bool,
        join_code: str | None,
        uow: IntakeUnitOfWork,
    ) -> RegisteredOrganization:
        """A new organization and its first admin, whose token is shown once. The caller is
        the network's operator (checked by the gateway) or passes its join code."""
        network = await network_of(uow, data.network_id)
        if not authorized_as_operator and join_code != network["join_code"]:
            # Answered exactly like a missing network, so network ids cannot be probed.
            raise not_found("network", data.network_id)
        normalized = domain.normalized_name(data.name)
        if (duplicate := await duplicate_of(uow, data, normalized)) is not None:
            raise conflict_with(duplicate)

        profile = domain.new_organization(data)
        admin = domain.new_member(data.admin.name, data.admin.email, domain.Role.ORG_ADMIN)
        answer = RegisteredOrganization(organization=profile, admin=admin, admin_token=new_token())
        # a concurrent registration of the same name fails here (a unique index): CONFLICT
        async with uow:
            await uow.organizations.add(profile, normalized)
            await uow.members.add(
                admin, data.network_id, profile.organization_id, answer.admin_token
            )
            registered = OrganizationRegistered(
                profile=profile, admin=admin, network_name=network["name"]
            )
            await uow.publish(registered, profile.organization_id)
            await uow.answer(answer)
        return answer

    async def update_organization(
        self, organization_id: str, update: domain.OrganizationUpdate, uow: IntakeUnitOfWork
    ) -> OrganizationAnswer:
        """A partial update: the fields sent replace the stored ones; organization.updated
        carries the whole new profile."""
        current = await profile_of(uow, organization_id)
        if current.archived:
            raise archived(organization_id)
        profile = domain.updated_organization(current, update)
        normalized = domain.normalized_name(profile.name)
        twin = await uow.organizations.named(current.network_id, normalized, organization_id)
        if twin is not None:
            raise conflict_with(twin["_id"])
        changes = {**profile.model_dump(), "normalized_name": normalized}
        return await save(uow, current, profile, changes, OrganizationUpdated(profile=profile))

    async def archive_organization(
        self, organization_id: str, uow: IntakeUnitOfWork
    ) -> OrganizationAnswer:
        """Archived organizations leave listings and matching; archiving twice changes
        nothing (and writes no answer: a repeat answers the same anyway)."""
        current = await profile_of(uow, organization_id)
        if current.archived:
            return OrganizationAnswer(organization=current)
        profile = domain.archived_organization(current)
        changes = {"archived": True, "version": profile.version}
        return await save(uow, current, profile, changes, OrganizationArchived(profile=profile))

    async def organization(
        self, organization_id: str, uow: IntakeUnitOfWork
    ) -> OrganizationProfile:
        return await profile_of(uow, organization_id)

    async def organizations_by_ids(
        self, ids: list[str], uow: IntakeUnitOfWork
    ) -> dict[str, OrganizationProfile]:
        return {d["_id"]: OrganizationProfile(**d) for d in await uow.organizations.by_ids(ids)}

    async def organizations_page(
        self,
        network_id: str,
        uow: IntakeUnitOfWork,
        *,
        focus_area: str | None = None,
        resource_kind: str | None = None,
        search: str | None = None,
        first: int = 20,
        after: str | None = None,
    ) -> EdgePage:
        """A page of the network's organizations in id order; a focus area the vocabulary
        knows matches its code, another one a free tag."""
        code = domain.focus_code(focus_area) if focus_area else None
        docs = await uow.organizations.page(
            network_id,
            focus_code=code,
            free_tag=domain.need_focus(focus_area) if focus_area and not code else None,
            resource_kind=resource_kind,
            search=search.strip() if search else None,
            first=first,
            after=after,
        )
        return edge_page(docs, first, lambda doc: OrganizationProfile(**doc))


async def duplicate_of(
    uow: IntakeUnitOfWork, data: domain.OrganizationInput, normalized: str
) -> str | None:
    """The id of the network's organization with this name, or whose admin has this email."""
    if (named := await uow.organizations.named(data.network_id, normalized)) is not None:
        return str(named["_id"])
    admin = await uow.members.by_email(data.network_id, data.admin.email)
    if admin is not None and admin["role"] == domain.Role.ORG_ADMIN:
        return str(admin["organization_id"])
    return None


async def save(
    uow: IntakeUnitOfWork,
    current: OrganizationProfile,
    profile: OrganizationProfile,
    changes: dict[str, Any],
    event: OrganizationUpdated | OrganizationArchived,
) -> OrganizationAnswer:
    """Writes a change to an organization still at `current`'s version, announced."""
    answer = OrganizationAnswer(organization=profile)
    async with uow:
        await uow.organizations.update(profile.organization_id, current.version, changes)
        await uow.publish(event, profile.organization_id)
        await uow.answer(answer)
    return answer
