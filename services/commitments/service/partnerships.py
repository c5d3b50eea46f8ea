"""Forming and running partnerships: formed by a caller or from an accepted match (one
partnership per match), their organizations' read model, roles and status."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from services.commitments.domain import health as scoring
from services.commitments.domain import rules
from services.commitments.domain.models import (
    CADENCE_DAYS,
    CheckInCadence,
    PartnershipChanges,
    PartnershipInput,
    PartnershipStatus,
    RolesInput,
    StatusInput,
)
from services.commitments.domain.records import partnership_id_for_match, ref
from services.commitments.service.base import UseCases, view_as
from services.commitments.service.unit_of_work import CommitmentsUnitOfWork
from shared import contracts as c
from shared.errors import bad_input, not_found
from shared.events import new_id
from shared.mongo import Document


class Partnerships(UseCases):
    async def keep_profile(
        self, profile: c.OrganizationProfile, uow: CommitmentsUnitOfWork
    ) -> None:
        """The read model of an organization, from intake's events (in the event's unit of
        work)."""
        await uow.profiles.save(profile)

    async def form(
        self, data: PartnershipInput, offers: dict[str, list[str]], uow: CommitmentsUnitOfWork
    ) -> c.PartnershipView:
        profiles = await uow.profiles.of(data.organization_ids)
        for i, org in enumerate(data.organization_ids):
            known = profiles.get(org)
            if known is not None and (known["network_id"] != data.network_id or known["archived"]):
                raise bad_input(
                    f"input.organization_ids[{i}]", f"{org} cannot join this partnership"
                )
        offers = {**{org: p["offers"] for org, p in profiles.items()}, **offers}
        async with uow:
            doc = await self.create(new_id("ptn"), data, offers, None, uow)
            answer = view_as(c.PartnershipView, doc)
            await uow.answer(answer)
        return answer

    async def form_from_match(self, event: c.MatchAccepted, uow: CommitmentsUnitOfWork) -> None:
        """One partnership per accepted match (in the event's unit of work)."""
        partnership_id = partnership_id_for_match(event.match_id)
        if await uow.partnerships.get(partnership_id) is not None:
            return
        data = PartnershipInput(
            network_id=event.network_id,
            name=" & ".join(p.name for p in event.parties)[:200],
            organization_ids=[p.organization_id for p in event.parties],
            goals=[r[:500] for r in event.reasons[:5]],
            time_zone=event.time_zone,
            need_id=event.need_id,
            network_ids=event.network_ids,
        )
        await self.create(partnership_id, data, event.offers, event.match_id, uow)

    async def create(
        self,
        partnership_id: str,
        data: PartnershipInput,
        offers: dict[str, list[str]],
        match_id: str | None,
        uow: CommitmentsUnitOfWork,
    ) -> Document:
        now = self.clock.now()
        roles = rules.suggested_roles(offers, data.organization_ids)
        doc: Document = {
            "_id": partnership_id,
            **data.model_dump(mode="json"),
            "network_ids": sorted({data.network_id, *data.network_ids}),
            "match_id": match_id,
            "status": PartnershipStatus.FORMING.value,
            "roles": [r.model_dump() for r in roles],
            "formed_at": now,
            "last_check_in_at": None,
            "next_check_in_at": now + timedelta(days=CADENCE_DAYS[data.check_in_cadence]),
            "health": {"score": scoring.NEUTRAL, "label": "new", "parts": []},
        }
        await uow.partnerships.add(doc)
        await uow.health.add_point({"partnership_id": partnership_id, "at": now, **doc["health"]})
        formed = c.PartnershipFormed(
            partnership=ref(doc),
            goals=data.goals,
            check_in_cadence=data.check_in_cadence.value,
            roles=roles,
            match_id=match_id,
            need_id=data.need_id,
        )
        await uow.publish(formed, partnership_id)
        return doc

    async def assign_roles(
        self, partnership_id: str, data: RolesInput, uow: CommitmentsUnitOfWork
    ) -> c.PartnershipView:
        async with uow:
            p = await self._running(partnership_id, uow)
            rules.check_partner(data.organization_id, p["organization_ids"], "organization_id")
            role = c.PartnershipRole(**data.model_dump(), suggested=False).model_dump()
            roles = [r for r in p["roles"] if r["organization_id"] != data.organization_id]
            order = p["organization_ids"].index
            roles = sorted([*roles, role], key=lambda r: order(r["organization_id"]))
            await self._set(p, {"roles": roles}, uow)
            await self._announce_update(p, uow)
            answer = view_as(c.PartnershipView, p)
            await uow.answer(answer)
        return answer

    async def update(
        self, partnership_id: str, data: PartnershipChanges, uow: CommitmentsUnitOfWork
    ) -> c.PartnershipView:
        """Name, goals, cadence or need, as the partners settle them. A new cadence counts the
        next check-in from the last one (or formation) and re-scores check-in regularity."""
        async with uow:
            p = await self._running(partnership_id, uow)
            changes = data.model_dump(mode="json", exclude_none=True)
            cadence = changes.get("check_in_cadence")
            if cadence is not None and cadence != p["check_in_cadence"]:
                since = p["last_check_in_at"] or p["formed_at"]
                days = CADENCE_DAYS[CheckInCadence(cadence)]
                changes["next_check_in_at"] = since + timedelta(days=days)
            if changes:
                p.update(changes)  # no work done: the status stays
                await uow.partnerships.set(p["_id"], changes)
                if cadence is not None:
                    await self.refresh_health(p, uow)
                await self._announce_update(p, uow)
            answer = view_as(c.PartnershipView, p)
            await uow.answer(answer)
        return answer

    async def set_status(
        self, partnership_id: str, data: StatusInput, uow: CommitmentsUnitOfWork
    ) -> c.PartnershipView:
        async with uow:
            p = await uow.partnerships.get(partnership_id)
            if p is None:
                raise not_found("partnership", partnership_id)
            rules.check_partnership_move(PartnershipStatus(p["status"]), data.status)
            changes: dict[str, Any] = {"status": data.status.value}
            if data.status is PartnershipStatus.CLOSED:
                changes["closed_at"] = self.clock.now()
            await self._set(p, changes, uow)
            await self._announce_update(p, uow)
            answer = view_as(c.PartnershipView, p)
            await uow.answer(answer)
        return answer
