"""What a registration left downstream, read from each service's database: the audit of the
process-kill tests and of `make drills`."""

from __future__ import annotations

from pymongo import MongoClient

from deploy.stack import Stack

# per accepted registration: a welcome and an operator note, and one profile each in
# matching and commitments
EXPECTED = {"welcome+note": 2, "matching": 1, "commitments": 1}


def effects(stack: Stack, organization_ids: list[str]) -> dict[str, dict[str, int]]:
    """How many times each organization shows up downstream, per place."""
    settings = stack.settings
    places: dict[str, dict[str, int]] = {place: {} for place in EXPECTED}
    with MongoClient(settings.mongo_url) as mongo:
        inbox = mongo[settings.database_name("notifications")]["inbox"]
        query = {"kind": "organization.registered", "subject_id": {"$in": organization_ids}}
        for row in inbox.find(query, {"subject_id": 1}):
            counts = places["welcome+note"]
            counts[row["subject_id"]] = counts.get(row["subject_id"], 0) + 1
        for service in ("matching", "commitments"):
            profiles = mongo[settings.database_name(service)]["profiles"]
            for doc in profiles.find({"_id": {"$in": organization_ids}}, {"_id": 1}):
                places[service][doc["_id"]] = places[service].get(doc["_id"], 0) + 1
    return places


def missing(found: dict[str, dict[str, int]], organization_ids: list[str]) -> list[str]:
    return [o for o in organization_ids if any(found[p].get(o, 0) < n for p, n in EXPECTED.items())]


def duplicated(found: dict[str, dict[str, int]], organization_ids: list[str]) -> list[str]:
    return [o for o in organization_ids if any(found[p].get(o, 0) > n for p, n in EXPECTED.items())]
