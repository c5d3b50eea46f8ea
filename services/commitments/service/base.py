"""What every use case of commitments shares: its dependencies, reading a running
partnership, saving a change to one (the first real work activates it) and recomputing health
(kept as a dated point, with its early warnings) and reliability in the transaction of the
record that moves them."""

from __future__ import annotations

from datetime import datetime
from typing import Any, TypeVar

from pydantic import BaseModel

from services.commitments.domain import health as scoring
from services.commitments.domain import rules
from services.commitments.domain.models import CADENCE_DAYS, CheckInCadence, PartnershipStatus
from services.commitments.domain.records import closed, is_closed, ref
from services.commitments.service.health_points import keep_point
from services.commitments.service.unit_of_work import CommitmentsUnitOfWork
from shared import contracts as c
from shared.clock import Clock
from shared.errors import not_found
from shared.events import new_id
from shared.mongo import Document
from shared.settings import Settings

V = TypeVar("V", bound=BaseModel)


def view(doc: Document) -> dict[str, Any]:
    """A stored document as the gateway reads it: `id` instead of `_id`."""
    body = {k: v for k, v in doc.items() if k != "_id"}
    return {"id": doc["_id"], **body}


def view_as(model: type[V], doc: Document) -> V:
    """A stored document as its typed answer (`PartnershipView`, `CommitmentView`, ...)."""
    return model.model_validate(view(doc))


RECORD_ID_PREFIX = {
    "commitments": "cmt",
    "check_ins": "chk",
    "milestones": "mil",
    "contributions": "con",
    "feedback": "fbk",
    "updates": "upd",
    "community_responses": "cvr",
}


class UseCases:
    def __init__(self, clock: Clock, settings: Settings) -> None:
        self.clock = clock
        self.settings = settings

    async def _running(self, partnership_id: str, uow: CommitmentsUnitOfWork) -> Document:
        p = await uow.partnerships.get(partnership_id)
        if p is None:
            raise not_found("partnership", partnership_id)
        rules.check_open(PartnershipStatus(p["status"]))
        return p

    async def _set(self, p: Document, changes: dict[str, Any], uow: CommitmentsUnitOfWork) -> None:
        """Saves changes to a partnership; the first piece of real work makes it active."""
        if "status" not in changes:
            after = rules.status_after_work(PartnershipStatus(p["status"]))
            if after.value != p["status"]:
                changes["status"] = after.value
        p.update(changes)
        await uow.partnerships.set(p["_id"], changes)

    async def _add_record(
        self,
        p: Document,
        collection: str,
        fields: dict[str, Any],
        uow: CommitmentsUnitOfWork,
        now: datetime,
    ) -> Document:
        """A new record of the partnership `p` in `collection`, its id prefixed by kind."""
        doc = {
            "_id": new_id(RECORD_ID_PREFIX[collection]),
            "partnership_id": p["_id"],
            **fields,
            "created_at": now,
        }
        await uow.records.add(collection, doc)
        return doc

    async def _announce_update(self, p: Document, uow: CommitmentsUnitOfWork) -> None:
        roles = [c.PartnershipRole(**r) for r in p["roles"]]
        updated = c.PartnershipUpdated(partnership=ref(p), status=p["status"], roles=roles)
        await uow.publish(updated, p["_id"])

    async def record_of(
        self, p: Document, uow: CommitmentsUnitOfWork, now: datetime
    ) -> scoring.Record:
        def of(records: dict[str, list[Document]]) -> list[Document]:
            return records.get(p["_id"], [])

        pid = [p["_id"]]
        commitments = of(await uow.records.of("commitments", pid))
        check_ins = of(await uow.records.of("check_ins", pid))
        feedback = of(await uow.records.of("feedback", pid))
        community = of(await uow.records.of("community_responses", pid))
        contributions = await uow.records.count("contributions", p["_id"])
        return scoring.Record(
            formed_at=p["formed_at"],
            cadence_days=CADENCE_DAYS[CheckInCadence(p["check_in_cadence"])],
            commitments=[closed(x) for x in commitments if is_closed(x)],
            check_ins=[x["held_at"] for x in check_ins],
            ratings=[scoring.Rating(x["submitted_at"], x["rating"]) for x in feedback],
            participants_reached=sum(x["participants_reached"] for x in feedback),
            contributions=contributions,
            now=now,
            community=[scoring.Rating(x["submitted_at"], x["rating"]) for x in community],
        )

    async def refresh_health(
        self, p: Document, uow: CommitmentsUnitOfWork, now: datetime | None = None
    ) -> None:
        at = now or self.clock.now()
        result = scoring.health(await self.record_of(p, uow, at))
        previous: float = p["health"]["score"]
        body = {
            "score": result.score,
            "label": result.label,
            # a part without sources is stored as it was before sources existed
            "parts": [
                x.model_dump(exclude=None if x.sources else {"sources"}) for x in result.parts
            ],
        }
        if body == p["health"]:
            return
        p["health"] = body
        await uow.partnerships.set(p["_id"], {"health": body})
        await keep_point(uow, p, body, at)
        if abs(result.score - previous) >= self.settings.health_change_threshold:
            changed = c.PartnershipHealthChanged(
                partnership=ref(p), score=result.score, previous_score=previous, parts=result.parts
            )
            await uow.publish(changed, p["_id"])

    async def refresh_reliability(
        self, organization_id: str, network_id: str, uow: CommitmentsUnitOfWork
    ) -> None:
        owned = await uow.records.closed_commitments_owned_by(organization_id)
        score, count = scoring.reliability([closed(x) for x in owned])
        previous = await uow.reliability.save(organization_id, score, count)
        if previous is None or abs(score - previous) >= self.settings.health_change_threshold:
            changed = c.OrganizationReliabilityChanged(
                organization_id=organization_id,
                network_id=network_id,
                reliability=score,
                previous=previous,
                closed_commitments=count,
            )
            await uow.publish(changed, organization_id)
