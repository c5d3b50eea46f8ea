"""Members' preferences in MongoDB, one document per member id (an operator's included)."""

from __future__ import annotations

from services.notifications.domain.preferences import Preferences
from shared.mongo import Database, Session


class PreferenceStore:
    def __init__(self, db: Database) -> None:
        self._preferences = db["preferences"]
        self._recipients = db["recipients"]

    async def of(self, member_ids: list[str], session: Session) -> dict[str, Preferences]:
        """Stored preferences of these members; members without any are absent."""
        found = await self._preferences.find(
            {"_id": {"$in": member_ids}}, session=session
        ).to_list()
        return {doc["_id"]: Preferences.model_validate(doc["preferences"]) for doc in found}

    async def get(self, member_id: str) -> Preferences:
        """Stored, or the defaults in the member's organization's time zone."""
        doc = await self._preferences.find_one({"_id": member_id})
        if doc is not None:
            return Preferences.model_validate(doc["preferences"])
        recipient = await self._recipients.find_one({"_id": member_id})
        zone = recipient.get("time_zone") if recipient else None
        return Preferences(time_zone=zone or "UTC")

    async def save(self, member_id: str, preferences: Preferences) -> None:
        await self._preferences.update_one(
            {"_id": member_id}, {"$set": {"preferences": preferences.model_dump()}}, upsert=True
        )
