"""Members' preferences, one document per member id (an operator's included)."""

from __future__ import annotations

from services.notifications.domain.preferences import Preferences
from services.notifications.service.unit_of_work import PreferenceRepository
from shared.mongo import Collection
from shared.unit_of_work import Repository


class MongoPreferences(Repository, PreferenceRepository):
    @property
    def _preferences(self) -> Collection:
        return self._db["preferences"]

    async def of(self, member_ids: list[str]) -> dict[str, Preferences]:
        cursor = self._preferences.find({"_id": {"$in": member_ids}}, session=self._session)
        return {doc["_id"]: Preferences.model_validate(doc["preferences"]) async for doc in cursor}

    async def save(self, member_id: str, preferences: Preferences) -> None:
        await self._preferences.update_one(
            {"_id": member_id},
            {"$set": {"preferences": preferences.model_dump()}},
            upsert=True,
            session=self._writing,
        )
