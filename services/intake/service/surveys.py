"""Neighborhood survey imports: every row validated first; the good ones, grouped by (area,
focus area), create or strengthen needs in one bulk write with their events. The same file
again (same SHA-256) changes nothing and answers the first answer."""

from __future__ import annotations

import asyncio
import logging

from services.intake import domain
from services.intake.service.base import MAX_REJECTED_LISTED, Answer, UseCases
from shared.contracts import NeedProfile, NeedReported, NeedUpdated, SurveyImported
from shared.events import new_id
from shared.idempotency import Answered, no_answer

log = logging.getLogger(__name__)


class Surveys(UseCases):
    async def parse_survey(
        self, network_id: str, csv: str, progress_every: int
    ) -> domain.ParsedSurvey:
        """Every row validated (off the event loop: a file can hold 200,000 rows)."""
        await self._network(network_id)

        def progress(rows: int) -> None:
            log.info("survey import for %s: %d rows validated", network_id, rows)

        parsed = await asyncio.to_thread(domain.parse_survey, csv, progress, progress_every)
        log.info(
            "survey import for %s: %d rows valid, %d rejected (sha256 %s)",
            network_id, len(parsed.rows), len(parsed.rejected), parsed.sha256[:12],
        )  # fmt: skip
        return parsed

    async def first_import(self, network_id: str, sha256: str) -> Answer | None:
        """The answer of the first import of this file into this network, if any."""
        first = await self.store.survey_import(network_id, sha256)
        return None if first is None else dict(first["answer"])

    async def import_survey(
        self, network_id: str, parsed: domain.ParsedSurvey, answered: Answered = no_answer
    ) -> Answer:
        """Good rows grouped by (area, focus area) create or strengthen needs in one bulk
        write with their events. The same file again changes nothing and answers the first
        answer; StaleWrite when a need changed meanwhile (the caller runs it again)."""
        if (first := await self.first_import(network_id, parsed.sha256)) is not None:
            return first
        reports = domain.need_reports(parsed.rows)
        known = await self.store.needs_by_keys(network_id, [r.key for r in reports])
        now = self.clock.now()
        created: list[NeedProfile] = []
        updated: list[tuple[NeedProfile, int]] = []
        for report in reports:
            existing = known.get(report.key)
            if existing is None:
                created.append(domain.new_need(network_id, report, now))
            else:
                updated.append(
                    (domain.strengthened(NeedProfile(**existing), report), existing["version"])
                )
        survey_id = new_id("srv")
        answer = {
            "surveyId": survey_id,
            "needsCreated": len(created),
            "needsStrengthened": len(updated),
            "rowsImported": len(parsed.rows),
            "rowsRejected": len(parsed.rejected),
            "rejectedRows": [
                {"row": r.row, "field": r.field, "message": r.message}
                for r in parsed.rejected[:MAX_REJECTED_LISTED]
            ],
        }
        imported = SurveyImported(
            network_id=network_id,
            survey_id=survey_id,
            rows_imported=len(parsed.rows),
            rows_rejected=len(parsed.rejected),
            needs_created=len(created),
            needs_strengthened=len(updated),
        )
        async with self.outbox.transaction() as tx:
            await self.store.save_needs(
                created, updated, tx.session, reported_by=f"survey:{survey_id}"
            )
            await tx.publish_many(
                [("need.reported", n.need_id, NeedReported(need=n)) for n in created]
                + [("need.updated", n.need_id, NeedUpdated(need=n)) for n, _ in updated]
                + [("survey.imported", survey_id, imported)]
            )
            await self.store.record_survey_import(
                network_id, parsed.sha256, survey_id, now, answer, tx.session
            )
            await answered(tx.session, answer)
        return answer
