"""Community needs reported one at a time: a report for an (area, focus area) already known
strengthens that need instead of duplicating it. Read one by one or a page at a time."""

from __future__ import annotations

from services.intake import domain
from services.intake.service.base import UseCases, again_if_raced, edge_page, network_of
from services.intake.service.unit_of_work import IntakeUnitOfWork
from shared.contracts import NeedProfile, NeedReported, NeedUpdated
from shared.contracts.intake import NeedAnswer
from shared.contracts.page import EdgePage
from shared.errors import not_found


class Needs(UseCases):
    async def report_need(
        self, data: domain.NeedInput, reported_by: str, uow: IntakeUnitOfWork
    ) -> NeedAnswer:
        """A new need, or a known need for the same (area, focus area) strengthened. A
        concurrent report of the same need that created it first (a unique-index refusal):
        it runs again, and then it strengthens."""
        return await again_if_raced(lambda: self._report_need(data, reported_by, uow))

    async def _report_need(
        self, data: domain.NeedInput, reported_by: str, uow: IntakeUnitOfWork
    ) -> NeedAnswer:
        report = domain.report_of(data)
        await network_of(uow, data.network_id)
        async with uow:  # read in the transaction: a concurrent change is a write conflict
            existing = (await uow.needs.by_keys(data.network_id, [report.key])).get(report.key)
            if existing is None:
                need = domain.new_need(data.network_id, report, self.clock.now())
                await uow.needs.save([need], [], reported_by=reported_by)
                await uow.publish(NeedReported(need=need), need.need_id)
            else:
                need = domain.strengthened(NeedProfile(**existing), report)
                await uow.needs.save([], [need])
                await uow.publish(NeedUpdated(need=need), need.need_id)
            answer = NeedAnswer(need=need, strengthened=existing is not None)
            await uow.answer(answer)
        return answer

    async def need(self, need_id: str, uow: IntakeUnitOfWork) -> NeedProfile:
        found = await uow.needs.get(need_id)
        if found is None:
            raise not_found("need", need_id)
        return NeedProfile(**found)

    async def needs_page(
        self,
        network_id: str,
        uow: IntakeUnitOfWork,
        *,
        focus_area: str | None = None,
        area: str | None = None,
        first: int = 20,
        after: str | None = None,
    ) -> EdgePage:
        docs = await uow.needs.page(
            network_id,
            focus_area=domain.need_focus(focus_area) if focus_area else None,
            area_key=domain.area_key(area) if area else None,
            first=first,
            after=after,
        )
        return edge_page(docs, first, lambda doc: NeedProfile(**doc))
