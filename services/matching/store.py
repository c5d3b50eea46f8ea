"""Matching's read model: organization profiles and needs, built only from intake events."""

from __future__ import annotations

from pymongo import ASCENDING, IndexModel

from shared.contracts import OrganizationProfile
from shared.mongo import Database, IndexSpec, Session

INDEXES: IndexSpec = {"profiles": [IndexModel([("network_id", ASCENDING)])]}


class MatchingStore:
    def __init__(self, db: Database) -> None:
        self.profiles = db["profiles"]

    async def save_profile(self, profile: OrganizationProfile, session: Session) -> bool:
        """Keeps the newest version; an older event arriving late changes nothing."""
        result = await self.profiles.update_one(
            {"_id": profile.organization_id, "version": {"$lt": profile.version}},
            {"$set": profile.model_dump(mode="json")},
            session=session,
        )
        if result.matched_count:
            return True
        if await self.profiles.find_one({"_id": profile.organization_id}, session=session):
            return False
        await self.profiles.insert_one(
            {"_id": profile.organization_id, **profile.model_dump(mode="json")}, session=session
        )
        return True
