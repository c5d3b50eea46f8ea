"""`find_any` finds what the same `$or` query finds, one indexed query per branch: each document
once, sorted and limited as a whole."""

from __future__ import annotations

from pymongo import ASCENDING, DESCENDING, AsyncMongoClient

from shared.mongo import Database, Document, find_any

LINKS = [
    {"_id": f"lnk_{n}", "proposer": f"net_{n % 3}", "recipient": f"net_{n % 4}", "at": n % 5}
    for n in range(40)
] + [{"_id": "lnk_none", "proposer": "net_1", "recipient": "net_9", "at": None}]


async def both(
    database: Database,
    branches: list[Document],
    common: Document | None = None,
    sort: list[tuple[str, int]] | None = None,
    limit: int = 0,
) -> tuple[list[str], list[str]]:
    links = database["links"]
    cursor = links.find({**(common or {}), "$or": branches})
    if sort:
        cursor = cursor.sort(sort)
    if limit:
        cursor = cursor.limit(limit)
    expected = [doc["_id"] for doc in await cursor.to_list()]
    found = await find_any(links, branches, common, sort=sort, limit=limit)
    return [doc["_id"] for doc in found], expected


async def test_each_document_once_in_the_order_and_number_the_or_query_gives(
    mongo: AsyncMongoClient[Document], database: Database
) -> None:
    await database["links"].insert_many([dict(link) for link in LINKS])
    either = [{"proposer": "net_1"}, {"recipient": "net_1"}]  # lnk_1, lnk_13, ... in both
    by_time = [("at", DESCENDING), ("_id", ASCENDING)]
    found, expected = await both(database, either, sort=by_time)
    assert found == expected and len(found) == len(set(found)) > 10
    found, expected = await both(database, either, sort=[("at", ASCENDING), ("_id", ASCENDING)])
    assert found == expected and found[0] == "lnk_none"  # null first, as MongoDB sorts it
    found, expected = await both(database, either, sort=[("_id", ASCENDING)], limit=5)
    assert found == expected and len(found) == 5
    found, expected = await both(database, either, {"at": {"$gte": 3}}, sort=[("_id", 1)])
    assert found == expected and found
    found, expected = await both(database, [{"proposer": "net_7"}, {"recipient": "net_8"}])
    assert found == expected == []
