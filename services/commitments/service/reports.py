"""Reading a partnership for its partners: meeting times that suit every organization's
availability, and the report of everything recorded (JSON, or CSV)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from services.commitments.domain.health import Health
from services.commitments.domain.meetings import Schedule, meeting_slots
from services.commitments.domain.report import build_report
from services.commitments.service.base import UseCases
from services.commitments.service.unit_of_work import CHILDREN, CommitmentsUnitOfWork
from shared.contracts import HealthPart
from shared.errors import not_found
from shared.mongo import Document


class Reports(UseCases):
    async def existing(self, partnership_id: str, uow: CommitmentsUnitOfWork) -> Document:
        found = await uow.partnerships.get(partnership_id)
        if found is None:
            raise not_found("partnership", partnership_id)
        return found

    async def meeting_times(
        self,
        partnership_id: str,
        first: int,
        days: int,
        duration: timedelta,
        uow: CommitmentsUnitOfWork,
    ) -> list[dict[str, Any]]:
        p = await self.existing(partnership_id, uow)
        profiles = await uow.profiles.of(p["organization_ids"])
        schedules = [
            Schedule(
                org,
                profiles[org]["time_zone"],
                [(w["day"], w["start"], w["end"]) for w in profiles[org]["availability"]],
            )
            for org in p["organization_ids"]
            if org in profiles
        ]
        slots = meeting_slots(
            schedules, self.clock.now(), days=days, duration=duration, limit=first
        )
        return [
            {
                "start": s.start,
                "end": s.end,
                "local_starts": [
                    {"organization_id": org, "start": local}
                    for org, local in s.local_starts.items()
                ],
            }
            for s in slots
        ]

    async def report(
        self, partnership_id: str, uow: CommitmentsUnitOfWork
    ) -> tuple[dict[str, Any], dict[str, str]]:
        """The report, and the organizations' names (its CSV form needs them)."""
        p = await self.existing(partnership_id, uow)
        records = {
            name: (await uow.records.of(name, [p["_id"]])).get(p["_id"], []) for name in CHILDREN
        }
        profiles = await uow.profiles.of(p["organization_ids"])
        names = {org: doc["name"] for org, doc in profiles.items()}
        stored = p["health"]
        health = Health(stored["score"], [HealthPart(**x) for x in stored["parts"]])
        built = build_report(
            p,
            names,
            commitments=records["commitments"],
            check_ins=records["check_ins"],
            milestones=records["milestones"],
            contributions=records["contributions"],
            feedback=records["feedback"],
            health=health,
        )
        return built, names
