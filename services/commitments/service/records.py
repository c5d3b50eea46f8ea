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
from services.commitments.service.base import view_as
from services.commitments.service.unit_of_work import CommitmentsUnitOfWork
from services.commitments.service.voice import Voice
from shared import contracts as c
from shared.errors import bad_input, not_found


class Records(Voice):
    async def make_commitment(
        self,
        partnership_id: str,
        data: CommitmentInput,
        uow: CommitmentsUnitOfWork,
        by_organization_id: str | None = None,
    ) -> c.CommitmentView:
        """`by_organization_id`: the maker's organization (none for the operator); one made for
        another organization is proposed until that organization accepts it."""
        now = self.clock.now()
        rules.check_due_in_future(data.due_at, now)
        async with uow:
            p = await self._running(partnership_id, uow)
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
            doc = await self._add_record(p, "commitments", fields, uow, now)
            await self._set(p, {}, uow)
            await uow.publish(commitment_event("commitment.made", p, doc), doc["_id"])
            answer = view_as(c.CommitmentView, doc)
            await uow.answer(answer)
        return answer

    async def update_commitment(
        self, commitment_id: str, data: CommitmentUpdate, uow: CommitmentsUnitOfWork
    ) -> c.CommitmentView:
        async with uow:
            doc = await uow.records.commitment(commitment_id)
            if doc is None:
                raise not_found("commitment", commitment_id)
            rules.check_commitment_move(CommitmentStatus(doc["status"]), data.status)
            changes = {
                "status": data.status.value,
                "note": data.note,
                "closed_at": self.clock.now(),
            }
            doc.update(changes)
            await uow.records.set_commitment(commitment_id, changes)
            p = await self._running(doc["partnership_id"], uow)
            event = commitment_event(EVENT_OF_STATUS[data.status], p, doc)
            await uow.publish(event, commitment_id)
            await self.refresh_health(p, uow)
            await self.refresh_reliability(doc["owner_organization_id"], p["network_id"], uow)
            answer = view_as(c.CommitmentView, doc)
            await uow.answer(answer)
        return answer

    async def answer_commitment(
        self, commitment_id: str, data: CommitmentAnswer, uow: CommitmentsUnitOfWork
    ) -> c.CommitmentView:
        """The owner organization accepts a proposed commitment (it is open from then on and
        counts like any other) or declines it (it never counts)."""
        async with uow:
            doc = await uow.records.commitment(commitment_id)
            if doc is None:
                raise not_found("commitment", commitment_id)
            status = CommitmentStatus(doc["status"])
            rules.check_answer(status, doc["owner_organization_id"], data.organization_id)
            p = await self._running(doc["partnership_id"], uow)
            now = self.clock.now()
            after = CommitmentStatus.OPEN if data.accept else CommitmentStatus.DECLINED
            changes = {"status": after.value, "note": data.note, "answered_at": now}
            if not data.accept:
                changes["closed_at"] = now
            doc.update(changes)
            await uow.records.set_commitment(commitment_id, changes)
            kind = "commitment.accepted" if data.accept else "commitment.declined"
            await uow.publish(commitment_event(kind, p, doc), commitment_id)
            answer = view_as(c.CommitmentView, doc)
            await uow.answer(answer)
        return answer

    async def record_check_in(
        self, partnership_id: str, data: CheckInInput, uow: CommitmentsUnitOfWork
    ) -> c.CheckInView:
        now = self.clock.now()
        if data.held_at > now + CLOCK_SKEW:
            raise bad_input("input.held_at", "a check-in cannot be recorded before it is held")
        async with uow:
            p = await self._running(partnership_id, uow)
            doc = await self._add_record(p, "check_ins", data.model_dump(mode="python"), uow, now)
            last = max(filter(None, [p["last_check_in_at"], data.held_at]))
            await self._set(
                p, {"last_check_in_at": last, "next_check_in_at": last + cadence_of(p)}, uow
            )
            recorded = c.CheckInRecorded(
                partnership=ref(p), check_in_id=doc["_id"], **data.model_dump()
            )
            await uow.publish(recorded, partnership_id)
            await self.refresh_health(p, uow)
            answer = view_as(c.CheckInView, doc)
            await uow.answer(answer)
        return answer

    async def reach_milestone(
        self, partnership_id: str, data: MilestoneInput, uow: CommitmentsUnitOfWork
    ) -> c.MilestoneView:
        """`data.update_id`: a win of the updates log this milestone records (once)."""
        async with uow:
            p = await self._running(partnership_id, uow)
            now = self.clock.now()
            if data.update_id is not None:
                await self.win_to_record(p, data.update_id, uow)
            fields = {**data.model_dump(), "reached_at": now}
            doc = await self._add_record(p, "milestones", fields, uow, now)
            if data.update_id is not None:
                await uow.records.set("updates", data.update_id, {"milestone_id": doc["_id"]})
            await self._set(p, {}, uow)
            reached = c.MilestoneReached(
                partnership=ref(p), milestone_id=doc["_id"], **data.model_dump()
            )
            await uow.publish(reached, partnership_id)
            answer = view_as(c.MilestoneView, doc)
            await uow.answer(answer)
        return answer

    async def log_contribution(
        self, partnership_id: str, data: ContributionInput, uow: CommitmentsUnitOfWork
    ) -> c.ContributionView:
        async with uow:
            p = await self._running(partnership_id, uow)
            rules.check_partner(
                data.organization_id, p["organization_ids"], "input.organization_id"
            )
            fields = data.model_dump(mode="json")
            doc = await self._add_record(p, "contributions", fields, uow, self.clock.now())
            await self._set(p, {}, uow)
            payload = c.ContributionLogged(
                partnership=ref(p),
                contribution_id=doc["_id"],
                organization_id=data.organization_id,
                kind=data.kind.value,
                quantity=data.quantity,
                unit=data.unit,
                estimated_value=data.estimated_value,
            )
            await uow.publish(payload, partnership_id)
            await self.refresh_health(p, uow)
            answer = view_as(c.ContributionView, doc)
            await uow.answer(answer)
        return answer

    async def submit_feedback(
        self,
        partnership_id: str,
        data: FeedbackInput,
        member_id: str,
        uow: CommitmentsUnitOfWork,
    ) -> c.FeedbackView:
        async with uow:
            p = await self._running(partnership_id, uow)
            now = self.clock.now()
            fields = {**data.model_dump(), "member_id": member_id, "submitted_at": now}
            doc = await self._add_record(p, "feedback", fields, uow, now)
            payload = c.FeedbackReceived(
                partnership=ref(p),
                feedback_id=doc["_id"],
                rating=data.rating,
                comment=data.comment,
                participants_reached=data.participants_reached,
            )
            await uow.publish(payload, partnership_id)
            await self.refresh_health(p, uow)
            answer = view_as(c.FeedbackView, doc)
            await uow.answer(answer)
        return answer
