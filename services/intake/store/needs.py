"""Community needs and the survey imports that reported them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pymongo import ASCENDING, InsertOne, UpdateOne
from pymongo.errors import BulkWriteError, DuplicateKeyError

from services.intake.domain.needs import area_key
from services.intake.service.unit_of_work import (
    NeedRepository,
    StaleWrite,
    SurveyImportRepository,
)
from shared.contracts import NeedProfile
from shared.mongo import Document
from shared.unit_of_work import Repository

DUPLICATE_KEY = 11000


def need_doc(need: NeedProfile, **extra: Any) -> Document:
    return {"_id": need.need_id, **need.model_dump(), "area_key": area_key(need.area), **extra}


def survey_import_doc(
    network_id: str, sha256: str, survey_id: str, at: datetime, answer: Document
) -> Document:
    """One file imported into a network (its digest is the key), with its answer."""
    return {
        "_id": f"{network_id}:{sha256}",
        "survey_id": survey_id,
        "network_id": network_id,
        "sha256": sha256,
        "imported_at": at,
        "answer": answer,
    }


class MongoNeeds(Repository, NeedRepository):
    async def get(self, need_id: str) -> Document | None:
        return await self._db["needs"].find_one({"_id": need_id}, session=self._session)

    async def by_keys(
        self, network_id: str, keys: list[tuple[str, str]]
    ) -> dict[tuple[str, str], Document]:
        """One query for them all."""
        areas = sorted({area for area, _ in keys})
        wanted = set(keys)
        found: dict[tuple[str, str], Document] = {}
        query = {"network_id": network_id, "area_key": {"$in": areas}}
        async for doc in self._db["needs"].find(query, session=self._session):
            key = (doc["area_key"], doc["focus_area"])
            if key in wanted:
                found[key] = doc
        return found

    async def page(
        self,
        network_id: str,
        *,
        focus_area: str | None,
        area_key: str | None,
        first: int,
        after: str | None,
    ) -> list[Document]:
        query: dict[str, Any] = {"network_id": network_id}
        if focus_area:
            query["focus_area"] = focus_area
        if area_key:
            query["area_key"] = area_key
        if after:
            query["_id"] = {"$gt": after}
        cursor = self._db["needs"].find(query, session=self._session)
        found: list[Document] = await cursor.sort("_id", ASCENDING).limit(first + 1).to_list()
        return found

    async def save(
        self, created: list[NeedProfile], updated: list[NeedProfile], reported_by: str = ""
    ) -> None:
        """One unordered bulk write: the driver sends the new needs as one insert (the store
        inserts them as a batch) and the strengthened ones as one update command. No version
        filter: the unit of work read them in this transaction, whose snapshot makes a
        concurrent change a write conflict (the whole transaction runs again)."""
        ops: list[InsertOne[Document] | UpdateOne] = [
            InsertOne(need_doc(need, reported_by=reported_by)) for need in created
        ]
        ops += [UpdateOne({"_id": need.need_id}, {"$set": need_doc(need)}) for need in updated]
        if not ops:
            return
        try:
            result = await self._db["needs"].bulk_write(ops, ordered=False, session=self._writing)
        except BulkWriteError as exc:
            errors = exc.details.get("writeErrors", [])
            if errors and all(e.get("code") == DUPLICATE_KEY for e in errors):
                # a concurrent report created one of the new needs first: a race to run again
                raise DuplicateKeyError(errors[0].get("errmsg", ""), DUPLICATE_KEY) from exc
            raise
        if result.matched_count != len(updated):
            raise StaleWrite("a need read in this transaction is gone")


class MongoSurveyImports(Repository, SurveyImportRepository):
    async def get(self, network_id: str, sha256: str) -> Document | None:
        query = {"_id": f"{network_id}:{sha256}"}
        return await self._db["survey_imports"].find_one(query, session=self._session)

    async def add(
        self, network_id: str, sha256: str, survey_id: str, at: datetime, answer: Document
    ) -> None:
        doc = survey_import_doc(network_id, sha256, survey_id, at, answer)
        await self._db["survey_imports"].insert_one(doc, session=self._writing)
