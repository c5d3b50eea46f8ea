"""Survey imports (operator): every row is validated first; good rows grouped by (area, focus
area) create or strengthen needs in one bulk write with their events, in one transaction.
The same file again (same SHA-256) changes nothing and answers the first answer."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import APIRouter, Depends
from pydantic import Field

from services.intake import domain
from services.intake.api.common import get_store
from services.intake.api.needs import need_doc
from services.intake.store import IntakeStore, StaleWrite
from shared.contracts import NeedProfile, NeedReported, NeedUpdated, SurveyImported
from shared.contracts.text import TextInput
from shared.errors import not_found
from shared.events import new_id, utcnow
from shared.idempotency import ConcurrentWrite, Idempotency, get_idempotency
from shared.service import Runtime, get_runtime

router = APIRouter()
log = logging.getLogger(__name__)
MAX_REJECTED_LISTED = 1000  # rowsRejected counts them all
ATTEMPTS = 3


class SurveyBody(TextInput):
    network_id: str = Field(min_length=1, max_length=200)
    csv: str


@router.post("/surveys")
async def import_survey(
    body: SurveyBody,
    runtime: Runtime = Depends(get_runtime),
    store: IntakeStore = Depends(get_store),
    idempotency: Idempotency = Depends(get_idempotency),
) -> dict[str, Any]:
    if await store.network(body.network_id) is None:
        raise not_found("network", body.network_id)
    every = runtime.settings.survey_progress_rows

    def progress(rows: int) -> None:
        log.info("survey import for %s: %d rows validated", body.network_id, rows)

    started = asyncio.get_running_loop().time()
    parsed = await asyncio.to_thread(domain.parse_survey, body.csv, progress, every)
    log.info(
        "survey import for %s: %d rows valid, %d rejected (sha256 %s)",
        body.network_id, len(parsed.rows), len(parsed.rejected), parsed.sha256[:12],
    )  # fmt: skip
    request = {"network_id": body.network_id, "sha256": parsed.sha256}

    async def run() -> dict[str, Any]:
        return await write(runtime, store, idempotency, parsed, body.network_id, request)

    answer = await import_once(store, idempotency, request, run)
    log.info(
        "survey import for %s done in %.2f s: %d needs created, %d strengthened",
        body.network_id, asyncio.get_running_loop().time() - started,
        answer["needsCreated"], answer["needsStrengthened"],
    )  # fmt: skip
    return answer


async def import_once(
    store: IntakeStore,
    idempotency: Idempotency,
    request: dict[str, Any],
    run: Callable[[], Awaitable[dict[str, Any]]],
) -> dict[str, Any]:
    """`run` once; again when a need changed meanwhile (StaleWrite); the first answer when a
    concurrent import of the same file committed first."""
    for attempt in range(ATTEMPTS):
        try:
            return await idempotency.once(request, run)
        except StaleWrite:
            if attempt == ATTEMPTS - 1:
                raise
        except ConcurrentWrite:
            first = await store.survey_import(request["network_id"], request["sha256"])
            if first is None:
                raise
            answer: dict[str, Any] = first["answer"]
            return answer
    raise AssertionError("unreachable")


async def write(
    runtime: Runtime,
    store: IntakeStore,
    idempotency: Idempotency,
    parsed: domain.ParsedSurvey,
    network_id: str,
    request: dict[str, Any],
) -> dict[str, Any]:
    first = await store.survey_import(network_id, parsed.sha256)
    if first is not None:
        answer: dict[str, Any] = first["answer"]
        return answer
    reports = domain.need_reports(parsed.rows)
    known = await store.needs_by_keys(network_id, [r.key for r in reports])
    now = utcnow()
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
    async with runtime.outbox.transaction() as tx:
        await store.save_needs(
            [need_doc(n, reported_by=f"survey:{survey_id}") for n in created],
            [(need_doc(n), version) for n, version in updated],
            tx.session,
        )
        await tx.publish_many(
            [("need.reported", n.need_id, NeedReported(need=n)) for n in created]
            + [("need.updated", n.need_id, NeedUpdated(need=n)) for n, _ in updated]
            + [
                (
                    "survey.imported",
                    survey_id,
                    SurveyImported(
                        network_id=network_id,
                        survey_id=survey_id,
                        rows_imported=len(parsed.rows),
                        rows_rejected=len(parsed.rejected),
                        needs_created=len(created),
                        needs_strengthened=len(updated),
                    ),
                )
            ]
        )
        await store.survey_imports.insert_one(
            {
                "_id": f"{network_id}:{parsed.sha256}",
                "survey_id": survey_id,
                "network_id": network_id,
                "sha256": parsed.sha256,
                "imported_at": now,
                "answer": answer,
            },
            session=tx.session,
        )
        await idempotency.remember(tx.session, request, answer)
    return answer
