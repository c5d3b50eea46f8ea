"""What was decided about dead letters, kept in MongoDB (database `<prefix>_operations`,
collection `dlq_actions`): one document per action, never changed, so it is the audit log as
well as the state. A letter that has been replayed or discarded is handled: `list` leaves it
out. It is MongoDB and not Kafka because the decisions must outlive the broker's log (the
embedded broker forgets everything on a restart); each is keyed by the letter's id and record
time, so a restarted broker's new letter at an old offset is not taken for the old one."""

from __future__ import annotations

import getpass
from collections.abc import Iterable
from datetime import datetime
from typing import Any, Literal

from pymongo import ASCENDING, IndexModel

from deploy.dlq.letters import DeadLetter
from shared.events import utcnow
from shared.mongo import Database, Document, ensure_indexes

Action = Literal["replayed", "discarded"]
COLLECTION = "dlq_actions"


def operations_database(client: Any, db_prefix: str) -> Database:
    database: Database = client[f"{db_prefix}_operations"]
    return database


class Ledger:
    def __init__(self, db: Database) -> None:
        self._db = db
        self._actions = db[COLLECTION]

    async def ensure_indexes(self) -> None:
        await ensure_indexes(
            self._db, {COLLECTION: [IndexModel([("letter_key", ASCENDING), ("at", ASCENDING)])]}
        )

    async def record(
        self, action: Action, letters: Iterable[DeadLetter], reason: str = "", by: str = ""
    ) -> list[Document]:
        at = utcnow()
        entries = [
            {
                "letter_key": letter.ledger_key,
                "letter_id": letter.id,
                "topic": letter.source_topic,
                "event_id": letter.event_id,
                "consumer": letter.consumer,
                "action": action,
                "reason": reason,
                "by": by or operator_name(),
                "at": at,
            }
            for letter in letters
        ]
        if entries:
            await self._actions.insert_many(entries)
        return entries

    async def history(self, letters: Iterable[DeadLetter]) -> dict[str, list[Document]]:
        """Each letter's actions, oldest first, by ledger key."""
        keys = [letter.ledger_key for letter in letters]
        found: dict[str, list[Document]] = {key: [] for key in keys}
        async for entry in self._actions.find({"letter_key": {"$in": keys}}).sort("at", 1):
            found[entry["letter_key"]].append(entry)
        return found


def state_of(history: list[Document]) -> str:
    """`pending` until someone acts on it; then its last action."""
    return str(history[-1]["action"]) if history else "pending"


def operator_name() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no login name in a bare container
        return "unknown"


def describe(entry: Document) -> str:
    at: datetime = entry["at"]
    reason = f": {entry['reason']}" if entry.get("reason") else ""
    return f"{at.isoformat(timespec='seconds')} {entry['action']} by {entry['by']}{reason}"
