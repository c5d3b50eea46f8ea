"""Recording the work of a running partnership: commitments made and closed, check-ins,
milestones, contributions and feedback, each announced, and health (and the owner's
reliability) recomputed in the same transaction."""

from __future__ import annotations

from services.commitments.domain import rules
from services.commitments.domain.models import (
    CheckInInput,
    CommitmentAnswer,
    CommitmentInput,
    CommitmentStatus,
    CommitmentUpdate,
    ContributionInput,
    FeedbackInput,
    MilestoneInput,
)
from services.commitments.domain.records import (
    CLOCK_SKEW,
    EVENT_OF_STATUS,
    cadence_of,
    commitment_event,
    ref,
)
from services.commitments.service.base import UseCases
from shared import contracts as c
from shared.errors import bad_input, not_found
from shared.idempotency import Answered, no_answer
from shared.mongo import Document


class Records(UseCases):
    async def make_commitment(
        self,
        partnership_id: str,
        data: CommitmentInput,
        answered: Answered = no_answer,
        by_organization_id: str | None = None,
    ) -> Document:
        """`by_organization_id`: the maker's organization (none for the operator); one made for
        another organization is proposed until that organization accepts it."""
        now = self.clock.now()
        rules.check_due_in_future(data.due_at, now)
        async with self.outbox.transaction() as tx:
            p = await self._running(partnership_id, tx)
            rules.check_partner(
                data.owner_organization_id, p["organization_ids"], "input.owner_organization_id"
            )
            fields = {
                "network_id": p["network_id"],
                **data.model_dump(mode="python"),
                "status": rules.initial_status(
                    data.owner_organization_id, by_organization_id
                ).value,
                "proposed_by_organization_id": by_organization_id,
                "note": "",
                "closed_at": None,
            }
            doc = await self._add_record(p, "commitments", fields, tx, now)
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

    async def answer_commitment(
        self, commitment_id: str, data: CommitmentAnswer, answered: Answered = no_answer
    ) -> Document:
        """The owner organization accepts a proposed commitment (it is open from then on and
        counts like any other) or declines it (it never counts)."""
        async with self.outbox.transaction() as tx:
            doc = await self.store.commitment(commitment_id, tx.session)
            if doc is None:
                raise not_found("commitment", commitment_id)
            status = CommitmentStatus(doc["status"])
            rules.check_answer(status, doc["owner_organization_id"], data.organization_id)
            p = await self._running(doc["partnership_id"], tx)
            now = self.clock.now()
            after = CommitmentStatus.OPEN if data.accept else CommitmentStatus.DECLINED
            changes = {"status": after.value, "note": data.note, "answered_at": now}
            if not data.accept:
                changes["closed_at"] = now
            doc.update(changes)
            await self.store.set_commitment(commitment_id, changes, tx.session)
            kind = "commitment.accepted" if data.accept else "commitment.declined"
            await tx.publish(kind, commitment_id, commitment_event(p, doc))
            await answered(tx.session, doc)
            return doc

    async def record_check_in(
        self, partnership_id: str, data: CheckInInput, answered: Answered = no_answer
    ) -> Document:
        now = self.clock.now()
        if data.held_at > now + CLOCK_SKEW:
            raise bad_input("input.held_at", "a check-in cannot be recorded before it is held")
        async with self.outbox.transaction() as tx:
            p = await self._running(partnership_id, tx)
            doc = await self._add_record(p, "check_ins", data.model_dump(mode="python"), tx, now)
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
            fields = {**data.model_dump(), "reached_at": now}
            doc = await self._add_record(p, "milestones", fields, tx, now)
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
            fields = data.model_dump(mode="json")
            doc = await self._add_record(p, "contributions", fields, tx, self.clock.now())
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
            fields = {**data.model_dump(), "member_id": member_id, "submitted_at": now}
            doc = await self._add_record(p, "feedback", fields, tx, now)
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
