"""Health over time as partners read it: the dated points and the trend of the last check-in
periods (the points are kept by `health_points`, in the transaction that moves health)."""

from __future__ import annotations

from datetime import datetime

from services.commitments.domain import trend as over_time
from services.commitments.service.base import UseCases
from services.commitments.service.health_points import cadence_days, point_of
from services.commitments.service.unit_of_work import CommitmentsUnitOfWork
from shared.mongo import Document


class HealthHistory(UseCases):
    async def health_history(
        self,
        partnership_id: str,
        since: datetime | None,
        until: datetime | None,
        uow: CommitmentsUnitOfWork,
    ) -> list[Document]:
        found = await uow.health.points([partnership_id], since, until)
        return found.get(partnership_id, [])

    async def health_trends(
        self, partnership_ids: list[str], uow: CommitmentsUnitOfWork
    ) -> dict[str, str]:
        return await self.trends(await uow.partnerships.by_ids(partnership_ids), uow)

    async def trends(
        self, partnerships: list[Document], uow: CommitmentsUnitOfWork
    ) -> dict[str, str]:
        """Each partnership's direction over its last check-in periods."""
        now = self.clock.now()
        found = await uow.health.points([p["_id"] for p in partnerships])
        answer: dict[str, str] = {}
        for p in partnerships:
            points = [point_of(d) for d in found.get(p["_id"], [])]
            found_trend = over_time.trend_since_formation(
                points, p["formed_at"], cadence_days(p), now
            )
            answer[p["_id"]] = found_trend.value
        return answer
