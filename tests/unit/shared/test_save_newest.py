"""A read model keeps the newest version of another service's document in one write: the
first version is inserted, a newer one replaces the fields it names (fields the read model adds,
such as matching's reliability, stay), an older or repeated one changes nothing; inside a
transaction too, and a value that looks like an operator (`$…`) is stored as it is."""

from __future__ import annotations

from pymongo import AsyncMongoClient

from shared.mongo import Database, Document, save_newest


async def test_the_newest_version_wins_in_one_write_and_added_fields_stay(
    mongo: AsyncMongoClient[Document], database: Database
) -> None:
    profiles = database["profiles"]
    first = {"version": 1, "name": "GreenLeaf", "mission": "$100 grants"}
    async with mongo.start_session() as session, await session.start_transaction():
        assert await save_newest(profiles, "org_a", first, session)
    await profiles.update_one({"_id": "org_a"}, {"$set": {"reliability": 0.9}})
    assert not await save_newest(profiles, "org_a", {**first, "name": "Again"}, None)
    assert await save_newest(profiles, "org_a", {"version": 3, "name": "GreenLeaf Co"}, None)
    assert not await save_newest(profiles, "org_a", {"version": 2, "name": "Late"}, None)
    counted = ("insert", "query", "update")
    before = (await mongo.admin.command("serverStatus"))["opcounters"]
    assert await save_newest(profiles, "org_b", first, None)  # unknown: inserted
    after = (await mongo.admin.command("serverStatus"))["opcounters"]
    assert sum(after[k] - before[k] for k in counted) == 1
    assert await profiles.find_one({"_id": "org_a"}) == {
        "_id": "org_a",
        "version": 3,
        "name": "GreenLeaf Co",
        "mission": "$100 grants",
        "reliability": 0.9,
    }
