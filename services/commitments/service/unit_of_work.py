"""Commitments' unit of work and the repositories that hang off it: what the use cases may
read and write, and nothing else. `services/commitments/store.py` implements them over MongoDB
(bound to the unit of work's session); tests/support/fake_commitments.py over dicts."""

from __future__ import annotations

import abc
from datetime import datetime

from shared.contracts import OrganizationProfile
from shared.mongo import Document
from shared.unit_of_work import UnitOfWork

# Everything recorded in a partnership lives in one of these, keyed by `partnership_id`.
CHILDREN = (
    "commitments",
    "check_ins",
    "milestones",
    "contributions",
    "feedback",
    "updates",
    "community_responses",
)


class ProfileRepository(abc.ABC):
    """A read model of organization profiles (names, offers, availability) from intake."""

    @abc.abstractmethod
    async def save(self, profile: OrganizationProfile) -> None:
        """Keeps the newest version; an older event arriving late changes nothing."""

    @abc.abstractmethod
    async def of(self, ids: list[str]) -> dict[str, Document]: ...


class PartnershipRepository(abc.ABC):
    @abc.abstractmethod
    async def get(self, partnership_id: str) -> Document | None: ...

    @abc.abstractmethod
    async def add(self, doc: Document) -> None: ...

    @abc.abstractmethod
    async def set(self, partnership_id: str, changes: Document) -> None: ...

    @abc.abstractmethod
    async def by_ids(self, ids: list[str]) -> list[Document]: ...

    @abc.abstractmethod
    async def of_organizations(self, organization_ids: list[str]) -> dict[str, list[Document]]:
        """Each organization's partnerships, oldest first."""

    @abc.abstractmethod
    async def in_network(
        self, network_id: str, status: str | None, after: str | None, limit: int
    ) -> list[Document]:
        """The network's own partnerships and those formed across a link with another, in id
        order."""

    @abc.abstractmethod
    async def due_check_in(self, moment: datetime, limit: int) -> list[Document]:
        """Forming or active partnerships whose next check-in is due by `moment`."""

    @abc.abstractmethod
    async def taking_up(self, need_id: str) -> list[Document]:
        """The partnerships that take up a community need (`need_id`), oldest first."""


class RecordRepository(abc.ABC):
    """What a partnership records, by kind (`CHILDREN`); commitments are one kind."""

    @abc.abstractmethod
    async def add(self, kind: str, doc: Document) -> None: ...

    @abc.abstractmethod
    async def count(self, kind: str, partnership_id: str) -> int: ...

    @abc.abstractmethod
    async def of(self, kind: str, partnership_ids: list[str]) -> dict[str, list[Document]]:
        """Each partnership's records of a kind, oldest first."""

    @abc.abstractmethod
    async def get(self, kind: str, record_id: str) -> Document | None: ...

    @abc.abstractmethod
    async def set(self, kind: str, record_id: str, changes: Document) -> None: ...

    @abc.abstractmethod
    async def commitment(self, commitment_id: str) -> Document | None: ...

    @abc.abstractmethod
    async def set_commitment(self, commitment_id: str, changes: Document) -> None: ...

    @abc.abstractmethod
    async def closed_commitments_owned_by(self, organization_id: str) -> list[Document]: ...

    @abc.abstractmethod
    async def open_commitments_due_by(self, moment: datetime, limit: int) -> list[Document]:
        """Open commitments due by `moment`, soonest first."""


class ReminderRepository(abc.ABC):
    @abc.abstractmethod
    async def claimed(self, key: str) -> bool: ...

    @abc.abstractmethod
    async def claim(self, key: str, at: datetime) -> None:
        """Raises DuplicateKeyError when another run already sent this reminder."""


class ReliabilityRepository(abc.ABC):
    @abc.abstractmethod
    async def of(self, organization_ids: list[str]) -> dict[str, Document]: ...

    @abc.abstractmethod
    async def save(self, organization_id: str, score: float, closed: int) -> float | None:
        """Stores the new score; answers the previous one."""


class HealthRepository(abc.ABC):
    """Each partnership's health history (a dated point per change) and early warnings."""

    @abc.abstractmethod
    async def add_point(self, point: Document) -> None: ...

    @abc.abstractmethod
    async def points(
        self,
        partnership_ids: list[str],
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> dict[str, list[Document]]:
        """Each partnership's points, oldest first, between `since` and `until` (inclusive)."""

    @abc.abstractmethod
    async def add_warning(self, warning: Document) -> None:
        """`_id` is the warning's event id: one per crossing."""

    @abc.abstractmethod
    async def warnings(self, partnership_ids: list[str]) -> dict[str, list[Document]]:
        """Each partnership's early warnings, newest first."""


class CommitmentsUnitOfWork(UnitOfWork):
    profiles: ProfileRepository
    partnerships: PartnershipRepository
    records: RecordRepository
    reminders: ReminderRepository
    reliability: ReliabilityRepository
    health: HealthRepository
