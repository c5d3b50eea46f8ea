"""The partnership's shared space and the community's voice: partners post progress, setbacks
and wins to an updates log (a win can become a milestone: `Records.reach_milestone` with its
`update_id`); residents answer a partnership's, or a need's, public page with a rating, a story
and, if they wish, contact details only the partners see. A resident's rating counts in the
feedback part of health as the `community` source, beside the partners' own."""

from __future__ import annotations

from services.commitments.domain.models import (
    CommunityResponseInput,
    PartnershipStatus,
    UpdateInput,
)
from services.commitments.domain.records import ref
from services.commitments.domain.rules import check_partner
from services.commitments.service.base import UseCases, view_as
from services.commitments.service.unit_of_work import CommitmentsUnitOfWork
from shared import contracts as c
from shared.errors import AppError, ErrorCode, bad_input, not_found
from shared.events import new_id
from shared.mongo import Document


class Voice(UseCases):
    async def post_update(
        self, partnership_id: str, data: UpdateInput, member_id: str, uow: CommitmentsUnitOfWork
    ) -> c.PartnershipUpdateView:
        """`data.organization_id`: the poster's organization, one of the partners (none for
        the network's operator)."""
        async with uow:
            p = await self._running(partnership_id, uow)
            if data.organization_id is not None:
                check_partner(data.organization_id, p["organization_ids"], "input.organization_id")
            now = self.clock.now()
            fields = {
                **data.model_dump(mode="json"),
                "member_id": member_id,
                "posted_at": now,
                "milestone_id": None,
            }
            doc = await self._add_record(p, "updates", fields, uow, now)
            posted = c.PartnershipUpdatePosted(
                partnership=ref(p),
                update_id=doc["_id"],
                kind=data.kind,
                text=data.text,
                organization_id=data.organization_id,
                member_id=member_id,
            )
            await uow.publish(posted, partnership_id)
            answer = view_as(c.PartnershipUpdateView, doc)
            await uow.answer(answer)
        return answer

    async def respond_to_partnership(
        self, partnership_id: str, data: CommunityResponseInput, uow: CommitmentsUnitOfWork
    ) -> c.CommunityReceipt:
        """A resident's answer on a partnership's public page; health moves with it."""
        async with uow:
            p = await self._running(partnership_id, uow)
            doc = await self._keep_response(p, p["network_id"], p.get("need_id"), data, uow)
            answer = c.CommunityReceipt(response_ids=[doc["_id"]])
            await uow.answer(answer)
        return answer

    async def respond_to_need(
        self,
        need_id: str,
        network_id: str,
        data: CommunityResponseInput,
        uow: CommitmentsUnitOfWork,
    ) -> c.CommunityReceipt:
        """A resident's answer on a need's public page (`network_id`: the need's, as intake
        knows it). It counts for every running partnership of the network that takes the need
        up; while none does, it is kept for the need and reaches the network's coordinator."""
        async with uow:
            taking = [
                p
                for p in await uow.partnerships.taking_up(need_id)
                if p["status"] != PartnershipStatus.CLOSED.value
                and network_id in {p["network_id"], *p.get("network_ids", [])}
            ]
            kept = [await self._keep_response(p, network_id, need_id, data, uow) for p in taking]
            if not taking:
                kept.append(await self._keep_response(None, network_id, need_id, data, uow))
            answer = c.CommunityReceipt(response_ids=[d["_id"] for d in kept])
            await uow.answer(answer)
        return answer

    async def _keep_response(
        self,
        p: Document | None,
        network_id: str,
        need_id: str | None,
        data: CommunityResponseInput,
        uow: CommitmentsUnitOfWork,
    ) -> Document:
        now = self.clock.now()
        doc = {
            "_id": new_id("cvr"),
            "partnership_id": p["_id"] if p else None,
            "network_id": network_id,
            "need_id": need_id,
            **data.model_dump(),
            "submitted_at": now,
            "created_at": now,
        }
        await uow.records.add("community_responses", doc)
        received = c.CommunityResponseReceived(
            partnership=ref(p) if p else None,
            network_id=network_id,
            need_id=need_id,
            response_id=doc["_id"],
            rating=data.rating,
            story=data.story,
            has_contact=bool(data.contact),
        )
        await uow.publish(received, p["_id"] if p else need_id or network_id)
        if p is not None:
            await self.refresh_health(p, uow, now)
        return doc

    async def win_to_record(
        self, p: Document, update_id: str, uow: CommitmentsUnitOfWork
    ) -> Document:
        """The win of partnership `p` a milestone is about to record: a win of this
        partnership's log, not recorded yet."""
        update = await uow.records.get("updates", update_id)
        if update is None or update["partnership_id"] != p["_id"]:
            raise not_found("update", update_id)
        if update["kind"] != c.UpdateKind.WIN.value:
            raise bad_input("input.update_id", "only a win can become a milestone")
        if update.get("milestone_id"):
            raise AppError(
                ErrorCode.CONFLICT,
                "this win is already a milestone",
                field="input.update_id",
                details={"existingId": update["milestone_id"]},
            )
        return update
