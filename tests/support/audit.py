"""What a registration left downstream, read from each service's database: the audit of the
process-kill tests and of `make drills`."""

from __future__ import annotations

from pymongo import MongoClient

from deploy.stack import Stack

# per accepted registration: a welcome and an operator note, and one profile each in
# matching and commitments
EXPECTED = {"welcome+note": 2, "matching": 1, "commitments": 1}
AUDIT_CHUNK = 200


def effects(stack: Stack, organization_ids: list[str]) -> dict[str, dict[str, int]]:
    """How many times each organization shows up downstream, per place. The profiles are
    asked by id in chunks (the embedded store tests each document against an `$in` list one
    item at a time); the welcomes and notes, which no index finds by organization, in one read
    of the registrations' rows: an `$in` per chunk scanned the whole inbox each time, and an
    hour's soak spent its audit in 43 such scans."""
    settings = stack.settings
    places: dict[str, dict[str, int]] = {place: {} for place in EXPECTED}
    wanted = set(organization_ids)
    with MongoClient(settings.mongo_url) as mongo:
        inbox = mongo[settings.database_name("notifications")]["inbox"]
        counts = places["welcome+note"]
        for row in inbox.find({"kind": "organization.registered"}, {"subject_id": 1}):
            if row["subject_id"] in wanted:
                counts[row["subject_id"]] = counts.get(row["subject_id"], 0) + 1
        for start in range(0, len(organization_ids), AUDIT_CHUNK):
            chunk = organization_ids[start : start + AUDIT_CHUNK]
            for service in ("matching", "commitments"):
                profiles = mongo[settings.database_name(service)]["profiles"]
                for doc in profiles.find({"_id": {"$in": chunk}}, {"_id": 1}):
                    places[service][doc["_id"]] = places[service].get(doc["_id"], 0) + 1
    return places


def missing(found: dict[str, dict[str, int]], organization_ids: list[str]) -> list[str]:
    return [o for o in organization_ids if any(found[p].get(o, 0) < n for p, n in EXPECTED.items())]


def duplicated(found: dict[str, dict[str, int]], organization_ids: list[str]) -> list[str]:
    return [o for o in organization_ids if any(found[p].get(o, 0) > n for p, n in EXPECTED.items())]
