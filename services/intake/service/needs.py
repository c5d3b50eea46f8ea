"""Community needs reported one at a time: a report for an (area, focus area) already known
strengthens that need instead of duplicating it."""

from __future__ import annotations

from services.intake import domain
from services.intake.service.base import Answer, UseCases
from shared.contracts import NeedProfile, NeedReported, NeedUpdated
from shared.idempotency import Answered, no_answer


class Needs(UseCases):
    async def report_need(
        self, data: domain.NeedInput, reported_by: str, answered: Answered = no_answer
    ) -> Answer:
        """A new need, or a known need for the same (area, focus area) strengthened. Raises
        StaleWrite (or a unique-index refusal) when a concurrent report of the same need won:
        the caller runs it again, and then it strengthens."""
        report = domain.report_of(data)
        await self._network(data.network_id)
        area_key, focus = report.key
        existing = await self.store.need_by_key(data.network_id, area_key, focus)
        async with self.outbox.transaction() as tx:
            if existing is None:
                need = domain.new_need(data.network_id, report, self.clock.now())
                await self.store.save_needs([need], [], tx.session, reported_by=reported_by)
                await tx.publish("need.reported", need.need_id, NeedReported(need=need))
            else:
                need = domain.strengthened(NeedProfile(**existing), report)
                await self.store.save_needs([], [(need, existing["version"])], tx.session)
                await tx.publish("need.updated", need.need_id, NeedUpdated(need=need))
            answer = {"need": need.model_dump(mode="json"), "strengthened": existing is not None}
            await answered(tx.session, answer)
        return answer
