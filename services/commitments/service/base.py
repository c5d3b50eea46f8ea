"""What every use case of commitments shares: its dependencies, reading a running
partnership, saving a change to one (the first real work activates it) and recomputing health
(kept as a dated point, with its early warnings) and reliability in the transaction of the
record that moves them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from services.commitments.domain import health as scoring
from services.commitments.domain import rules
from services.commitments.domain.models import CADENCE_DAYS, CheckInCadence, PartnershipStatus
from services.commitments.domain.records import closed, is_closed, ref
from services.commitments.service.health_points import keep_point
from services.commitments.store import CommitmentStore
from shared import contracts as c
from shared.clock import Clock
from shared.errors import not_found
from shared.events import new_id
from shared.mongo import Document
from shared.outbox import Outbox, Transaction
from shared.settings import Settings

RECORD_ID_PREFIX = {
    "commitments": "cmt",
    "check_ins": "chk",
    "milestones": "mil",
    "contributions": "con",
    "feedback": "fbk",
}


class UseCases:
    def __init__(
        self, store: CommitmentStore, outbox: Outbox, clock: Clock, settings: Settings
    ) -> None:
        self.store = store
        self.outbox = outbox
        self.clock = clock
        self.settings = settings

    async def _running(self, partnership_id: str, tx: Transaction) -> Document:
        p = await self.store.partnership(partnership_id, tx.session)
        if p is None:
            raise not_found("partnership", partnership_id)
        rules.check_open(PartnershipStatus(p["status"]))
        return p

    async def _set(self, p: Document, changes: dict[str, Any], tx: Transaction) -> None:
        """Saves changes to a partnership; the first piece of real work makes it active."""
        if "status" not in changes:
            after = rules.status_after_work(PartnershipStatus(p["status"]))
            if after.value != p["status"]:
                changes["status"] = after.value
        p.update(changes)
        await self.store.set_partnership(p["_id"], changes, tx.session)

    async def _add_record(
        self, p: Document, collection: str, fields: dict[str, Any], tx: Transaction, now: datetime
    ) -> Document:
        """A new record of the partnership `p` in `collection`, its id prefixed by kind."""
        doc = {
            "_id": new_id(RECORD_ID_PREFIX[collection]),
            "partnership_id": p["_id"],
            **fields,
            "created_at": now,
        }
        await self.store.insert_child(collection, doc, tx.session)
        return doc

    async def _announce_update(self, p: Document, tx: Transaction) -> None:
        roles = [c.PartnershipRole(**r) for r in p["roles"]]
        await tx.publish(
            "partnership.updated",
            p["_id"],
            c.PartnershipUpdated(partnership=ref(p), status=p["status"], roles=roles),
        )

    async def record_of(self, p: Document, tx: Transaction, now: datetime) -> scoring.Record:
        def of(records: dict[str, list[Document]]) -> list[Document]:
            return records.get(p["_id"], [])

        pid, session = [p["_id"]], tx.session
        commitments = of(await self.store.children("commitments", pid, session))
        check_ins = of(await self.store.children("check_ins", pid, session))
        feedback = of(await self.store.children("feedback", pid, session))
        contributions = await self.store.count_children("contributions", p["_id"], session)
        return scoring.Record(
            formed_at=p["formed_at"],
            cadence_days=CADENCE_DAYS[CheckInCadence(p["check_in_cadence"])],
            commitments=[closed(x) for x in commitments if is_closed(x)],
            check_ins=[x["held_at"] for x in check_ins],
            ratings=[scoring.Rating(x["submitted_at"], x["rating"]) for x in feedback],
            participants_reached=sum(x["participants_reached"] for x in feedback),
            contributions=contributions,
            now=now,
        )

    async def refresh_health(
        self, p: Document, tx: Transaction, now: datetime | None = None
    ) -> None:
        at = now or self.clock.now()
        result = scoring.health(await self.record_of(p, tx, at))
        previous: float = p["health"]["score"]
        body = {
            "score": result.score,
            "label": result.label,
            "parts": [x.model_dump() for x in result.parts],
        }
        if body == p["health"]:
            return
        p["health"] = body
        await self.store.set_partnership(p["_id"], {"health": body}, tx.session)
        await keep_point(self.store, p, body, at, tx)
        if abs(result.score - previous) >= self.settings.health_change_threshold:
            await tx.publish(
                "partnership.health_changed",
                p["_id"],
                c.PartnershipHealthChanged(
                    partnership=ref(p),
                    score=result.score,
                    previous_score=previous,
                    parts=result.parts,
                ),
            )

    async def refresh_reliability(
        self, organization_id: str, network_id: str, tx: Transaction
    ) -> None:
        owned = await self.store.closed_commitments_owned_by(organization_id, tx.session)
        score, count = scoring.reliability([closed(x) for x in owned])
        previous = await self.store.save_reliability(organization_id, score, count, tx.session)
        if previous is None or abs(score - previous) >= self.settings.health_change_threshold:
            await tx.publish(
                "organization.reliability_changed",
                organization_id,
                c.OrganizationReliabilityChanged(
                    organization_id=organization_id,
                    network_id=network_id,
                    reliability=score,
                    previous=previous,
                    closed_commitments=count,
                ),
            )
