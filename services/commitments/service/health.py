"""Health over time as partners read it: the dated points and the trend of the last check-in
periods (the points are kept by `health_points`, in the transaction that moves health)."""

from __future__ import annotations

from datetime import datetime

from services.commitments.domain import trend as over_time
from services.commitments.service.base import UseCases
from services.commitments.service.health_points import cadence_days, point_of
from shared.mongo import Document


class HealthHistory(UseCases):
    async def health_history(
        self, partnership_id: str, since: datetime | None, until: datetime | None
    ) -> list[Document]:
        found = await self.store.health_points([partnership_id], since, until)
        return found.get(partnership_id, [])

    async def trends(self, partnerships: list[Document]) -> dict[str, str]:
        """Each partnership's direction over its last check-in periods."""
        now = self.clock.now()
        found = await self.store.health_points([p["_id"] for p in partnerships])
        answer: dict[str, str] = {}
        for p in partnerships:
            points = [point_of(d) for d in found.get(p["_id"], [])]
            found_trend = over_time.trend_since_formation(
                points, p["formed_at"], cadence_days(p), now
            )
            answer[p["_id"]] = found_trend.value
        return answer
