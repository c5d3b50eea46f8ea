"""Organizations: registered with their first admin (by the operator or with the join code),
updated in part, archived. Every change is written at the version it was read at and
announced with the whole new profile."""

from __future__ import annotations

from typing import Any

from services.intake import domain
from services.intake.service.base import Answer, UseCases, archived
from services.intake.tokens import new_token
from shared.contracts import (
    OrganizationArchived,
    OrganizationProfile,
    OrganizationRegistered,
    OrganizationUpdated,
)
from shared.errors import AppError, ErrorCode, not_found
from shared.idempotency import Answered, no_answer


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
        answered: Answered = no_answer,
    ) -> Answer:
        """A new organization and its first admin, whose token is shown once. The caller is
        the network's operator (checked by the gateway) or passes its join code."""
        network = await self._network(data.network_id)
        if not authorized_as_operator and join_code != network["join_code"]:
            # Answered exactly like a missing network, so network ids cannot be probed.
            raise not_found("network", data.network_id)
        normalized = domain.normalized_name(data.name)
        duplicate = await self.store.find_duplicate_organization(
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
        # a concurrent registration of the same name fails here (a unique index): CONFLICT
        async with self.outbox.transaction() as tx:
            await self.store.add_organization(profile, normalized, tx.session)
            await self.store.add_member(
                admin, data.network_id, profile.organization_id, token, tx.session
            )
            await tx.publish(
                "organization.registered",
                profile.organization_id,
                OrganizationRegistered(profile=profile, admin=admin, network_name=network["name"]),
            )
            await answered(tx.session, answer)
        return answer

    async def update_organization(
        self,
        organization_id: str,
        update: domain.OrganizationUpdate,
        answered: Answered = no_answer,
    ) -> Answer:
        """A partial update: the fields sent replace the stored ones; organization.updated
        carries the whole new profile."""
        current = await self._profile(organization_id)
        if current.archived:
            raise archived(organization_id)
        profile = domain.updated_organization(current, update)
        normalized = domain.normalized_name(profile.name)
        twin = await self.store.organization_named(current.network_id, normalized, organization_id)
        if twin is not None:
            raise conflict_with(twin["_id"])
        changes = {**profile.model_dump(), "normalized_name": normalized}
        event = OrganizationUpdated(profile=profile)
        return await self._save_organization(current, profile, changes, event, answered)

    async def archive_organization(
        self, organization_id: str, answered: Answered = no_answer
    ) -> Answer:
        """Archived organizations leave listings and matching; archiving twice changes
        nothing (and writes no answer: a repeat answers the same anyway)."""
        current = await self._profile(organization_id)
        if current.archived:
            return {"organization": current.model_dump(mode="json")}
        profile = domain.archived_organization(current)
        changes = {"archived": True, "version": profile.version}
        event = OrganizationArchived(profile=profile)
        return await self._save_organization(current, profile, changes, event, answered)

    async def _save_organization(
        self,
        current: OrganizationProfile,
        profile: OrganizationProfile,
        changes: dict[str, Any],
        event: OrganizationUpdated | OrganizationArchived,
        answered: Answered,
    ) -> Answer:
        """Writes a change to an organization still at `current`'s version, announced."""
        answer = {"organization": profile.model_dump(mode="json")}
        is_archive = isinstance(event, OrganizationArchived)
        kind = "organization.archived" if is_archive else "organization.updated"
        async with self.outbox.transaction() as tx:
            await self.store.update_organization(
                profile.organization_id, current.version, changes, tx.session
            )
            await tx.publish(kind, profile.organization_id, event)
            await answered(tx.session, answer)
        return answer
