"""Each change of a partnership's health kept as a dated point, in the transaction that changed
it, and the early warnings it deserves published through the outbox (and kept, for partners to
read) once per crossing."""

from __future__ import annotations

import uuid
from datetime import datetime

from services.commitments.domain import trend as over_time
from services.commitments.domain.models import CADENCE_DAYS, CheckInCadence
from services.commitments.domain.records import ref
from services.commitments.service.unit_of_work import CommitmentsUnitOfWork
from shared import contracts as c
from shared.mongo import Document


def point_of(doc: Document) -> over_time.Point:
    return over_time.Point(
        at=doc["at"],
        score=doc["score"],
        label=doc["label"],
        parts=[c.HealthPart(**x) for x in doc["parts"]],
    )


def warning_event_id(partnership_id: str, key: str) -> str:
    """The same crossing always has the same event id: the outbox cannot hold it twice."""
    return uuid.uuid5(uuid.NAMESPACE_URL, f"commonweave:health-warning:{partnership_id}:{key}").hex


def cadence_days(p: Document) -> int:
    return CADENCE_DAYS[CheckInCadence(p["check_in_cadence"])]


async def keep_point(uow: CommitmentsUnitOfWork, p: Document, body: Document, at: datetime) -> None:
    """Stores the new health as a point, then publishes what its change warns of."""
    found = await uow.health.points([p["_id"]])
    history = [point_of(d) for d in found.get(p["_id"], [])]
    point = {"partnership_id": p["_id"], "at": at, **body}
    await uow.health.add_point(point)
    current = point_of(point)
    sent: list[str] = list(p.get("health_warnings", []))
    warnings = over_time.early_warnings(history, current, p["formed_at"], cadence_days(p))
    fresh = [w for w in warnings if w.key not in sent]
    if not fresh:
        return
    for w in fresh:
        event = c.PartnershipHealthWarning(
            partnership=ref(p),
            reason=w.reason.value,
            crossing=w.key,
            score=w.score,
            previous_score=w.previous_score,
            part=w.part,
            part_previous_score=w.part_previous_score,
            summary=w.summary,
        )
        event_id = warning_event_id(p["_id"], w.key)
        await uow.publish(event, p["_id"], event_id)
        body = event.model_dump(exclude={"partnership"})
        await uow.health.add_warning(
            {"_id": event_id, "partnership_id": p["_id"], "at": at, **body}
        )
    p["health_warnings"] = [*sent, *(w.key for w in fresh)]
    await uow.partnerships.set(p["_id"], {"health_warnings": p["health_warnings"]})
