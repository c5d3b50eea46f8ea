"""Intake's unit of work and the repositories that hang off it: what the use cases may read
and write, and nothing else. `services/intake/store/` implements them over MongoDB (bound to
the unit of work's session); tests/support/fake_intake.py over dicts."""

from __future__ import annotations

import abc
from datetime import datetime
from typing import Any

from shared.contracts import MemberRef, NeedProfile, NetworkLink, OrganizationProfile
from shared.mongo import Document
from shared.unit_of_work import UnitOfWork


class StaleWrite(Exception):
    """A version-checked write found a newer version: retry with fresh data."""


class NetworkRepository(abc.ABC):
    @abc.abstractmethod
    async def get(self, network_id: str) -> Document | None: ...

    @abc.abstractmethod
    async def by_ids(self, ids: list[str]) -> list[Document]: ...

    @abc.abstractmethod
    async def add(self, network_id: str, fields: Document, join_code: str, at: datetime) -> None:
        """A new network; join codes are unique."""

    @abc.abstractmethod
    async def set_join_code(self, network_id: str, join_code: str) -> None:
        """The old code stops working at once."""


class OrganizationRepository(abc.ABC):
    @abc.abstractmethod
    async def get(self, organization_id: str) -> Document | None:
        """The stored organization: its profile, `normalized_name`, maybe `hsds_id`."""

    @abc.abstractmethod
    async def by_ids(self, ids: list[str]) -> list[Document]: ...

    @abc.abstractmethod
    async def named(
        self, network_id: str, normalized: str, other_than: str | None = None
    ) -> Document | None:
        """The organization of the network with this normalized name (other than one)."""

    @abc.abstractmethod
    async def add(self, profile: OrganizationProfile, normalized: str) -> None:
        """A new organization; its normalized name is unique in the network (a concurrent
        registration of the same name fails with DuplicateKeyError)."""

    @abc.abstractmethod
    async def add_imported(self, created: list[tuple[OrganizationProfile, str]]) -> None:
        """New organizations of a directory, each with its HSDS id."""

    @abc.abstractmethod
    async def update(self, organization_id: str, version: int, changes: dict[str, Any]) -> None:
        """Applies `changes` if the organization is still at `version`; CONFLICT otherwise."""

    @abc.abstractmethod
    async def replace_many(self, updated: list[tuple[OrganizationProfile, int]]) -> None:
        """Profiles replacing the version each was read at; StaleWrite when one changed."""

    @abc.abstractmethod
    async def page(
        self,
        network_id: str,
        *,
        focus_code: str | None,
        free_tag: str | None,
        resource_kind: str | None,
        search: str | None,
        first: int,
        after: str | None,
    ) -> list[Document]:
        """One page in id order (`first` + 1 rows, so the caller knows if more follow);
        archived organizations are left out; `search` is a case-blind part of the name or
        mission."""

    @abc.abstractmethod
    async def of_network(self, network_id: str, *, with_archived: bool = False) -> list[Document]:
        """Every organization of the network (archived ones only when asked), in id order."""


class MemberRepository(abc.ABC):
    @abc.abstractmethod
    async def get(self, member_id: str) -> Document | None: ...

    @abc.abstractmethod
    async def by_email(self, network_id: str, email: str) -> Document | None: ...

    @abc.abstractmethod
    async def add(
        self, member: MemberRef, network_id: str, organization_id: str, token: str | None
    ) -> None:
        """The member and their token (stored hashed; an imported admin has none). Emails are
        unique in a network."""

    @abc.abstractmethod
    async def add_imported(self, members: list[tuple[MemberRef, str, str]]) -> None:
        """Imported admins (member, network id, organization id), who have no token."""

    @abc.abstractmethod
    async def add_token(
        self, token: str, role: str, network_id: str, member_id: str, organization_id: str | None
    ) -> None: ...

    @abc.abstractmethod
    async def token_holder(self, hashed: str) -> Document | None:
        """Who holds the (hashed) token, unless it was revoked."""

    @abc.abstractmethod
    async def admins_in(self, organization_id: str) -> int: ...

    @abc.abstractmethod
    async def of_organization(self, organization_id: str) -> list[Document]:
        """The organization's members, by name."""

    @abc.abstractmethod
    async def remove(self, member: Document) -> None:
        """Deletes the member and revokes every token of theirs. Also touches the organization,
        so two removals racing in one organization collide (a write conflict, retried)
        instead of each seeing an admin the other is removing."""


class NeedRepository(abc.ABC):
    @abc.abstractmethod
    async def get(self, need_id: str) -> Document | None: ...

    @abc.abstractmethod
    async def by_keys(
        self, network_id: str, keys: list[tuple[str, str]]
    ) -> dict[tuple[str, str], Document]:
        """The needs already known for (area key, focus area) pairs."""

    @abc.abstractmethod
    async def page(
        self,
        network_id: str,
        *,
        focus_area: str | None,
        area_key: str | None,
        first: int,
        after: str | None,
    ) -> list[Document]: ...

    @abc.abstractmethod
    async def save(
        self, created: list[NeedProfile], updated: list[NeedProfile], reported_by: str = ""
    ) -> None:
        """New needs (`reported_by` whom) and strengthened ones (read in this unit of work) in
        one write. A need is unique by (network, area key, focus area): a concurrent report
        that created one first fails this with DuplicateKeyError."""


class SurveyImportRepository(abc.ABC):
    @abc.abstractmethod
    async def get(self, network_id: str, sha256: str) -> Document | None: ...

    @abc.abstractmethod
    async def add(
        self, network_id: str, sha256: str, survey_id: str, at: datetime, answer: Document
    ) -> None:
        """The import of a file into a network, with its answer; a second import of the same
        file fails with DuplicateKeyError."""


class LinkRepository(abc.ABC):
    @abc.abstractmethod
    async def get(self, link_id: str) -> NetworkLink | None: ...

    @abc.abstractmethod
    async def of_network(self, network_id: str) -> list[NetworkLink]:
        """Every link of the network, either way, newest proposal first."""

    @abc.abstractmethod
    async def open_of_pair(self, pair: str) -> str | None: ...

    @abc.abstractmethod
    async def save(self, link: NetworkLink, pair: str, is_open: bool) -> None:
        """Inserts or replaces the link (at its previous version; CONFLICT if it changed)
        and records whether the pair has an open link. Two concurrent writes for one pair
        both write the pair's record, so one of them collides and then sees the other's."""


class SessionRepository(abc.ABC):
    """Signing in to /app: one-time link nonces and session tokens (both stored hashed)."""

    @abc.abstractmethod
    async def memberships(self, email: str) -> list[Document]:
        """Every member with this email (one per network at most) and every network whose
        operator it is, as `{member_id, network_id, organization_id, role, name}`."""

    @abc.abstractmethod
    async def network_names(self, ids: list[str]) -> dict[str, str]: ...

    @abc.abstractmethod
    async def add_link(self, nonce: str, holder: Document, expires_at: datetime) -> None: ...

    @abc.abstractmethod
    async def use_link(self, nonce: str, now: datetime) -> Document | None:
        """The link's holder, marked used in the same step (a second use finds nothing)."""

    @abc.abstractmethod
    async def add_session(self, token: str, holder: Document, expires_at: datetime) -> None: ...

    @abc.abstractmethod
    async def session(self, token: str) -> Document | None:
        """The session of the token, unless it was ended."""

    @abc.abstractmethod
    async def end(self, member_id: str, session_id: str | None = None) -> int:
        """Ends one session of the member (its id, from `session`), or with None every one
        (never an API token); answers how many."""


class IntakeUnitOfWork(UnitOfWork):
    networks: NetworkRepository
    organizations: OrganizationRepository
    members: MemberRepository
    needs: NeedRepository
    surveys: SurveyImportRepository
    links: LinkRepository
    sessions: SessionRepository
