"""Commitments' use cases: form and run partnerships. Each write is validated by the domain,
stored and announced in one transaction; health and reliability are recomputed in the same
transaction as the record that moves them."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from typing import Any

from services.commitments.domain import health as scoring
from services.commitments.domain import rules
from services.commitments.domain.models import (
    CADENCE_DAYS,
    Cadence,
    CheckInInput,
    CommitmentInput,
    CommitmentStatus,
    CommitmentUpdate,
    ContributionInput,
    FeedbackInput,
    MilestoneInput,
    PartnershipInput,
    PartnershipStatus,
    RolesInput,
    StatusInput,
)
from services.commitments.store import CommitmentStore
from shared import contracts as c
from shared.clock import Clock
from shared.errors import bad_input, not_found
from shared.events import new_id
from shared.idempotency import Answered, no_answer
from shared.mongo import Document
from shared.outbox import Outbox, Transaction
from shared.settings import Settings

EVENT_OF_STATUS = {
    CommitmentStatus.DONE: "commitment.fulfilled",
    CommitmentStatus.MISSED: "commitment.missed",
    CommitmentStatus.CANCELLED: "commitment.cancelled",
}
# A check-in reported as held this far in the future is a typo, not a plan.
CLOCK_SKEW = timedelta(hours=1)


def ref(p: Document) -> c.PartnershipRef:
    return c.PartnershipRef(
        partnership_id=p["_id"],
        network_id=p["network_id"],
        name=p["name"],
        organization_ids=p["organization_ids"],
    )


def cadence_of(p: Document) -> timedelta:
    return timedelta(days=CADENCE_DAYS[Cadence(p["check_in_cadence"])])


def partnership_id_for_match(match_id: str) -> str:
    """One partnership per accepted match: its id follows from the match's."""
    return "ptn_" + hashlib.sha256(match_id.encode()).hexdigest()[:32]


def commitment_event(p: Document, doc: Document) -> c.CommitmentEvent:
    return c.CommitmentEvent(
        partnership=ref(p),
        commitment_id=doc["_id"],
        owner_organization_id=doc["owner_organization_id"],
        title=doc["title"],
        kind=doc["kind"],
        quantity=doc["quantity"],
        unit=doc["unit"],
        due_at=doc["due_at"],
        status=doc["status"],
    )


class Tracker:
    def __init__(
        self, store: CommitmentStore, outbox: Outbox, clock: Clock, settings: Settings
    ) -> None:
        self.store = store
        self.outbox = outbox
        self.clock = clock
        self.settings = settings

    # -- partnerships ------------------------------------------------------------------------

    async def form(
        self,
        data: PartnershipInput,
        offers: dict[str, list[str]],
        answered: Answered = no_answer,
    ) -> Document:
        profiles = await self.store.profiles_of(data.organization_ids)
        for i, org in enumerate(data.organization_ids):
            known = profiles.get(org)
            if known is not None and (known["network_id"] != data.network_id or known["archived"]):
                raise bad_input(
                    f"input.organization_ids[{i}]", f"{org} cannot join this partnership"
                )
        offers = {**{org: p["offers"] for org, p in profiles.items()}, **offers}
        async with self.outbox.transaction() as tx:
            doc = await self.create(new_id("ptn"), data, offers, None, tx)
            await answered(tx.session, doc)
            return doc

    async def form_from_match(self, event: c.MatchAccepted, tx: Transaction) -> None:
        partnership_id = partnership_id_for_match(event.match_id)
        if await self.store.partnership(partnership_id, tx.session) is not None:
            return
        data = PartnershipInput(
            network_id=event.network_id,
            name=" & ".join(p.name for p in event.parties)[:200],
            organization_ids=[p.organization_id for p in event.parties],
            goals=[r[:500] for r in event.reasons[:5]],
            time_zone=event.time_zone,
            need_id=event.need_id,
        )
        await self.create(partnership_id, data, event.offers, event.match_id, tx)

    async def create(
        self,
        partnership_id: str,
        data: PartnershipInput,
        offers: dict[str, list[str]],
        match_id: str | None,
        tx: Transaction,
    ) -> Document:
        now = self.clock.now()
        roles = rules.suggested_roles(offers, data.organization_ids)
        doc: Document = {
            "_id": partnership_id,
            **data.model_dump(mode="json"),
            "match_id": match_id,
            "status": PartnershipStatus.FORMING.value,
            "roles": [r.model_dump() for r in roles],
            "formed_at": now,
            "last_check_in_at": None,
            "next_check_in_at": now + timedelta(days=CADENCE_DAYS[data.check_in_cadence]),
            "health": {"score": scoring.NEUTRAL, "label": "new", "parts": []},
        }
        await self.store.add_partnership(doc, tx.session)
        await tx.publish(
            "partnership.formed",
            partnership_id,
            c.PartnershipFormed(
                partnership=ref(doc),
                goals=data.goals,
                check_in_cadence=data.check_in_cadence.value,
                roles=roles,
                match_id=match_id,
                need_id=data.need_id,
            ),
        )
        return doc

    async def _running(self, partnership_id: str, tx: Transaction) -> Document:
        p = await self.store.partnership(partnership_id, tx.session)
        if p is None:
            raise not_found("partnership", partnership_id)
        rules.check_open(PartnershipStatus(p["status"]))
        return p

    async def _set(self, p: Document, changes: dict[str, Any], tx: Transaction) -> None:
        """Saves changes to a partnership; the first piece of real work makes it active."""
        if p["status"] == PartnershipStatus.FORMING.value and "status" not in changes:
            changes["status"] = PartnershipStatus.ACTIVE.value
        p.update(changes)
        await self.store.set_partnership(p["_id"], changes, tx.session)

    async def _announce_update(self, p: Document, tx: Transaction) -> None:
        roles = [c.PartnershipRole(**r) for r in p["roles"]]
        await tx.publish(
            "partnership.updated",
            p["_id"],
            c.PartnershipUpdated(partnership=ref(p), status=p["status"], roles=roles),
        )

    async def assign_roles(
        self, partnership_id: str, data: RolesInput, answered: Answered = no_answer
    ) -> Document:
        async with self.outbox.transaction() as tx:
            p = await self._running(partnership_id, tx)
            rules.check_partner(data.organization_id, p["organization_ids"], "organization_id")
            role = c.PartnershipRole(**data.model_dump(), suggested=False).model_dump()
            roles = [r for r in p["roles"] if r["organization_id"] != data.organization_id]
            order = p["organization_ids"].index
            roles = sorted([*roles, role], key=lambda r: order(r["organization_id"]))
            await self._set(p, {"roles": roles}, tx)
            await self._announce_update(p, tx)
            await answered(tx.session, p)
            return p

    async def set_status(
        self, partnership_id: str, data: StatusInput, answered: Answered = no_answer
    ) -> Document:
        async with self.outbox.transaction() as tx:
            p = await self.store.partnership(partnership_id, tx.session)
            if p is None:
                raise not_found("partnership", partnership_id)
            rules.check_partnership_move(PartnershipStatus(p["status"]), data.status)
            changes: dict[str, Any] = {"status": data.status.value}
            if data.status is PartnershipStatus.CLOSED:
                changes["closed_at"] = self.clock.now()
            await self._set(p, changes, tx)
            await self._announce_update(p, tx)
            await answered(tx.session, p)
            return p

    # -- commitments ---------------------------------------------------------------------------

    async def make_commitment(
        self, partnership_id: str, data: CommitmentInput, answered: Answered = no_answer
    ) -> Document:
        now = self.clock.now()
        rules.check_due_in_future(data.due_at, now)
        async with self.outbox.transaction() as tx:
            p = await self._running(partnership_id, tx)
            rules.check_partner(
                data.owner_organization_id, p["organization_ids"], "input.owner_organization_id"
            )
            doc = {
                "_id": new_id("cmt"),
                "partnership_id": partnership_id,
                "network_id": p["network_id"],
                **data.model_dump(mode="python"),
                "status": CommitmentStatus.OPEN.value,
                "note": "",
                "created_at": now,
                "closed_at": None,
            }
            await self.store.insert_child("commitments", doc, tx.session)
            await self._set(p, {}, tx)
            await tx.publish("commitment.made", doc["_id"], commitment_event(p, doc))
            await answered(tx.session, doc)
            return doc

    async def update_commitment(
        self, commitment_id: str, data: CommitmentUpdate, answered: Answered = no_answer
    ) -> Document:
        async with self.outbox.transaction() as tx:
            doc = await self.store.commitment(commitment_id, tx.session)
            if doc is None:
                raise not_found("commitment", commitment_id)
            rules.check_commitment_move(CommitmentStatus(doc["status"]), data.status)
            changes = {
                "status": data.status.value,
                "note": data.note,
                "closed_at": self.clock.now(),
            }
            doc.update(changes)
            await self.store.set_commitment(commitment_id, changes, tx.session)
            p = await self._running(doc["partnership_id"], tx)
            await tx.publish(EVENT_OF_STATUS[data.status], commitment_id, commitment_event(p, doc))
            await self.refresh_health(p, tx)
            await self.refresh_reliability(doc["owner_organization_id"], p["network_id"], tx)
            await answered(tx.session, doc)
            return doc

    # -- check-ins, milestones, contributions, feedback ------------------------------------------

    async def record_check_in(
        self, partnership_id: str, data: CheckInInput, answered: Answered = no_answer
    ) -> Document:
        now = self.clock.now()
        if data.held_at > now + CLOCK_SKEW:
            raise bad_input("input.held_at", "a check-in cannot be recorded before it is held")
        async with self.outbox.transaction() as tx:
            p = await self._running(partnership_id, tx)
            doc = {
                "_id": new_id("chk"),
                "partnership_id": partnership_id,
                **data.model_dump(mode="python"),
                "created_at": now,
            }
            await self.store.insert_child("check_ins", doc, tx.session)
            last = max(filter(None, [p["last_check_in_at"], data.held_at]))
            await self._set(
                p, {"last_check_in_at": last, "next_check_in_at": last + cadence_of(p)}, tx
            )
            await tx.publish(
                "checkin.recorded",
                partnership_id,
                c.CheckInRecorded(partnership=ref(p), check_in_id=doc["_id"], **data.model_dump()),
            )
            await self.refresh_health(p, tx)
            await answered(tx.session, doc)
            return doc

    async def reach_milestone(
        self, partnership_id: str, data: MilestoneInput, answered: Answered = no_answer
    ) -> Document:
        async with self.outbox.transaction() as tx:
            p = await self._running(partnership_id, tx)
            now = self.clock.now()
            doc = {
                "_id": new_id("mil"),
                "partnership_id": partnership_id,
                **data.model_dump(),
                "reached_at": now,
                "created_at": now,
            }
            await self.store.insert_child("milestones", doc, tx.session)
            await self._set(p, {}, tx)
            await tx.publish(
                "milestone.reached",
                partnership_id,
                c.MilestoneReached(
                    partnership=ref(p), milestone_id=doc["_id"], **data.model_dump()
                ),
            )
            await answered(tx.session, doc)
            return doc

    async def log_contribution(
        self, partnership_id: str, data: ContributionInput, answered: Answered = no_answer
    ) -> Document:
        async with self.outbox.transaction() as tx:
            p = await self._running(partnership_id, tx)
            rules.check_partner(
                data.organization_id, p["organization_ids"], "input.organization_id"
            )
            doc = {
                "_id": new_id("con"),
                "partnership_id": partnership_id,
                **data.model_dump(mode="json"),
                "created_at": self.clock.now(),
            }
            await self.store.insert_child("contributions", doc, tx.session)
            await self._set(p, {}, tx)
            payload = c.ContributionLogged(
                partnership=ref(p),
                contribution_id=doc["_id"],
                organization_id=data.organization_id,
                kind=data.kind.value,
                quantity=data.quantity,
                unit=data.unit,
                estimated_value=data.estimated_value,
            )
            await tx.publish("contribution.logged", partnership_id, payload)
            await self.refresh_health(p, tx)
            await answered(tx.session, doc)
            return doc

    async def submit_feedback(
        self,
        partnership_id: str,
        data: FeedbackInput,
        member_id: str,
        answered: Answered = no_answer,
    ) -> Document:
        async with self.outbox.transaction() as tx:
            p = await self._running(partnership_id, tx)
            now = self.clock.now()
            doc = {
                "_id": new_id("fbk"),
                "partnership_id": partnership_id,
                **data.model_dump(),
                "member_id": member_id,
                "submitted_at": now,
                "created_at": now,
            }
            await self.store.insert_child("feedback", doc, tx.session)
            payload = c.FeedbackReceived(
                partnership=ref(p),
                feedback_id=doc["_id"],
                rating=data.rating,
                comment=data.comment,
                participants_reached=data.participants_reached,
            )
            await tx.publish("feedback.received", partnership_id, payload)
            await self.refresh_health(p, tx)
            await answered(tx.session, doc)
            return doc

    # -- health and reliability --------------------------------------------------------------------

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
            cadence_days=CADENCE_DAYS[Cadence(p["check_in_cadence"])],
            commitments=[closed(x) for x in commitments if x["status"] != "open"],
            check_ins=[x["held_at"] for x in check_ins],
            ratings=[scoring.Rating(x["submitted_at"], x["rating"]) for x in feedback],
            participants_reached=sum(x["participants_reached"] for x in feedback),
            contributions=contributions,
            now=now,
        )

    async def refresh_health(
        self, p: Document, tx: Transaction, now: datetime | None = None
    ) -> None:
        result = scoring.health(await self.record_of(p, tx, now or self.clock.now()))
        previous: float = p["health"]["score"]
        body = {
            "score": result.score,
            "label": result.label,
            "parts": [x.model_dump() for x in result.parts],
        }
        p["health"] = body
        await self.store.set_partnership(p["_id"], {"health": body}, tx.session)
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


def closed(doc: Document) -> scoring.ClosedCommitment:
    return scoring.ClosedCommitment(doc["status"], doc["due_at"], doc["closed_at"])
