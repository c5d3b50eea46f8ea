"""Networks and the links between them."""

from __future__ import annotations

from datetime import datetime

from pymongo import ASCENDING

from services.intake.service.unit_of_work import LinkRepository, NetworkRepository
from shared.contracts import NetworkLink
from shared.errors import AppError, ErrorCode
from shared.mongo import Document
from shared.unit_of_work import Repository


def network_doc(network_id: str, fields: Document, join_code: str, at: datetime) -> Document:
    return {"_id": network_id, **fields, "join_code": join_code, "created_at": at}


def link_doc(link: NetworkLink) -> Document:
    return {"_id": link.link_id, **link.model_dump()}


class MongoNetworks(Repository, NetworkRepository):
    async def get(self, network_id: str) -> Document | None:
        return await self._db["networks"].find_one({"_id": network_id}, session=self._session)

    async def by_ids(self, ids: list[str]) -> list[Document]:
        cursor = self._db["networks"].find({"_id": {"$in": ids}}, session=self._session)
        found: list[Document] = await cursor.to_list()
        return found

    async def add(self, network_id: str, fields: Document, join_code: str, at: datetime) -> None:
        doc = network_doc(network_id, fields, join_code, at)
        await self._db["networks"].insert_one(doc, session=self._writing)

    async def set_join_code(self, network_id: str, join_code: str) -> None:
        await self._db["networks"].update_one(
            {"_id": network_id}, {"$set": {"join_code": join_code}}, session=self._writing
        )


class MongoLinks(Repository, LinkRepository):
    async def get(self, link_id: str) -> NetworkLink | None:
        found = await self._db["network_links"].find_one({"_id": link_id}, session=self._session)
        return None if found is None else NetworkLink(**found)

    async def of_network(self, network_id: str) -> list[NetworkLink]:
        query = {"$or": [{"proposer_network_id": network_id}, {"recipient_network_id": network_id}]}
        cursor = self._db["network_links"].find(query, session=self._session)
        ordered = cursor.sort([("proposed_at", -1), ("_id", ASCENDING)])
        return [NetworkLink(**doc) async for doc in ordered]

    async def open_of_pair(self, pair: str) -> str | None:
        found = await self._db["network_link_pairs"].find_one({"_id": pair}, session=self._session)
        return None if found is None else found.get("open_link_id")

    async def save(self, link: NetworkLink, pair: str, is_open: bool) -> None:
        doc = link_doc(link)
        links = self._db["network_links"]
        if link.version == 1:
            await links.insert_one(doc, session=self._writing)
        else:
            result = await links.replace_one(
                {"_id": link.link_id, "version": link.version - 1}, doc, session=self._writing
            )
            if result.matched_count != 1:
                raise AppError(ErrorCode.CONFLICT, "the link changed meanwhile", field="linkId")
        await self._db["network_link_pairs"].update_one(
            {"_id": pair},
            {"$set": {"open_link_id": link.link_id if is_open else None}},
            upsert=True,
            session=self._writing,
        )
