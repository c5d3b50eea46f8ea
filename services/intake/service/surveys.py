"""Neighborhood survey imports: every row validated first; the good ones, grouped by (area,
focus area), create or strengthen needs in one bulk write with their events in one outbox
insert. The same file again (same SHA-256) changes nothing and answers the first answer."""

from __future__ import annotations

import asyncio
import logging
import time

from pymongo.errors import DuplicateKeyError

from services.intake import domain
from services.intake.service.base import (
    MAX_REJECTED_LISTED,
    UseCases,
    again_if_raced,
    network_of,
)
from services.intake.service.unit_of_work import IntakeUnitOfWork
from shared.contracts import NeedProfile, NeedReported, NeedUpdated, Payload, SurveyImported
from shared.contracts.intake import RejectedRow, SurveyImport
from shared.events import new_id

log = logging.getLogger(__name__)


class Surveys(UseCases):
    async def parse_survey(
        self, network_id: str, csv: str, progress_every: int, uow: IntakeUnitOfWork
    ) -> domain.ParsedSurvey:
        """Every row validated (off the event loop: a file can hold 200,000 rows)."""
        await network_of(uow, network_id)

        def progress(rows: int) -> None:
            log.info("survey import for %s: %d rows validated", network_id, rows)

        parsed = await asyncio.to_thread(domain.parse_survey, csv, progress, progress_every)
        log.info(
            "survey import for %s: %d rows valid, %d rejected (sha256 %s)",
            network_id, len(parsed.rows), len(parsed.rejected), parsed.sha256[:12],
        )  # fmt: skip
        return parsed

    async def first_import(
        self, network_id: str, sha256: str, uow: IntakeUnitOfWork
    ) -> SurveyImport | None:
        """The answer of the first import of this file into this network, if any."""
        first = await uow.surveys.get(network_id, sha256)
        return None if first is None else SurveyImport.model_validate(first["answer"])

    async def import_survey(
        self, network_id: str, parsed: domain.ParsedSurvey, uow: IntakeUnitOfWork
    ) -> SurveyImport:
        """Good rows grouped by (area, focus area) create or strengthen needs in one
        transaction: one read of the needs already known, one bulk write of the needs, one
        outbox insert of their events. The same file again changes nothing and answers the
        first answer, also when a concurrent import of it committed first."""
        started = time.monotonic()
        try:
            answer = await again_if_raced(lambda: self._import_survey(network_id, parsed, uow))
        except DuplicateKeyError:
            if (first := await self.first_import(network_id, parsed.sha256, uow)) is None:
                raise
            return first
        log.info(
            "survey import for %s done in %.2f s: %d needs created, %d strengthened",
            network_id, time.monotonic() - started, answer.needs_created,
            answer.needs_strengthened,
        )  # fmt: skip
        return answer

    async def _import_survey(
        self, network_id: str, parsed: domain.ParsedSurvey, uow: IntakeUnitOfWork
    ) -> SurveyImport:
        reports = domain.need_reports(parsed.rows)
        now = self.clock.now()
        async with uow:  # every read in the transaction: a concurrent change is a conflict
            if (first := await self.first_import(network_id, parsed.sha256, uow)) is not None:
                return first
            known = await uow.needs.by_keys(network_id, [r.key for r in reports])
            created: list[NeedProfile] = []
            updated: list[NeedProfile] = []
            for report in reports:
                existing = known.get(report.key)
                if existing is None:
                    created.append(domain.new_need(network_id, report, now))
                else:
                    updated.append(domain.strengthened(NeedProfile(**existing), report))
            answer = survey_answer(parsed, len(created), len(updated))
            events: list[tuple[Payload, str]] = [(NeedReported(need=n), n.need_id) for n in created]
            events += [(NeedUpdated(need=n), n.need_id) for n in updated]
            events.append((imported_event(network_id, answer), answer.survey_id))
            await uow.needs.save(created, updated, reported_by=f"survey:{answer.survey_id}")
            await uow.publish_many(events)
            stored = answer.model_dump(mode="json")
            await uow.surveys.add(network_id, parsed.sha256, answer.survey_id, now, stored)
            await uow.answer(answer)
        return answer


def survey_answer(parsed: domain.ParsedSurvey, created: int, strengthened: int) -> SurveyImport:
    return SurveyImport(
        survey_id=new_id("srv"),
        needs_created=created,
        needs_strengthened=strengthened,
        rows_imported=len(parsed.rows),
        rows_rejected=len(parsed.rejected),
        rejected_rows=[
            RejectedRow(row=r.row, field=r.field, message=r.message)
            for r in parsed.rejected[:MAX_REJECTED_LISTED]
        ],
    )


def imported_event(network_id: str, answer: SurveyImport) -> SurveyImported:
    return SurveyImported(
        network_id=network_id,
        survey_id=answer.survey_id,
        rows_imported=answer.rows_imported,
        rows_rejected=answer.rows_rejected,
        needs_created=answer.needs_created,
        needs_strengthened=answer.needs_strengthened,
    )
