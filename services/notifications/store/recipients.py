"""Recipients (from intake's member events): who can be told, with their email and time zone."""

from __future__ import annotations

from services.notifications.domain.templates import Audience
from services.notifications.service.unit_of_work import RecipientRepository
from shared.contracts import MemberRef
from shared.mongo import Collection, Document
from shared.unit_of_work import Repository


def recipient_doc(
    member: MemberRef, network_id: str, organization_id: str, time_zone: str | None
) -> Document:
    return {
        "_id": member.member_id,
        **member.model_dump(),
        "network_id": network_id,
        "organization_id": organization_id,
        "time_zone": time_zone,
    }


def audience_query(audience: Audience) -> Document:
    return {
        "network_id": {"$in": audience.networks},
        "$or": [
            {"organization_id": {"$in": audience.organization_ids}},
            {"_id": {"$in": audience.member_ids}},
        ],
    }


class MongoRecipients(Repository, RecipientRepository):
    @property
    def _recipients(self) -> Collection:
        return self._db["recipients"]

    async def save(
        self, member: MemberRef, network_id: str, organization_id: str, time_zone: str | None
    ) -> None:
        doc = recipient_doc(member, network_id, organization_id, time_zone)
        await self._recipients.replace_one(
            {"_id": doc["_id"]}, doc, upsert=True, session=self._writing
        )

    async def remove(self, member_id: str) -> None:
        await self._recipients.delete_one({"_id": member_id}, session=self._writing)

    async def get(self, member_id: str) -> Document | None:
        return await self._recipients.find_one({"_id": member_id}, session=self._session)

    async def time_zone_of(self, organization_id: str) -> str | None:
        colleague = await self._recipients.find_one(
            {"organization_id": organization_id, "time_zone": {"$ne": None}},
            session=self._session,
        )
        return colleague["time_zone"] if colleague else None

    async def audience(self, audience: Audience) -> list[Document]:
        cursor = self._recipients.find(audience_query(audience), session=self._session)
        found: list[Document] = await cursor.to_list()
        return found

    async def of_organization(self, network_id: str, organization_id: str | None) -> list[Document]:
        query = {"organization_id": organization_id, "network_id": network_id}
        found: list[Document] = await self._recipients.find(query, session=self._session).to_list()
        return found
