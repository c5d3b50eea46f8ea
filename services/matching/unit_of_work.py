"""Matching's unit of work and the repositories that hang off it: the read model (profiles
with reliability, needs, links between networks) and the matches. `services/matching/store.py`
implements them over MongoDB; tests/support/fake_matching.py over dicts."""

from __future__ import annotations

import abc

from shared.contracts import NeedProfile, NetworkLink, OrganizationProfile
from shared.mongo import Document
from shared.unit_of_work import UnitOfWork


class ProfileRepository(abc.ABC):
    @abc.abstractmethod
    async def save(self, profile: OrganizationProfile) -> bool:
        """Keeps the newest version (an older event arriving late changes nothing); answers
        whether it was written."""

    @abc.abstractmethod
    async def set_reliability(self, organization_id: str, value: float) -> bool:
        """Answers whether the organization is known (and so got it)."""

    @abc.abstractmethod
    async def get(self, organization_id: str) -> Document | None: ...

    @abc.abstractmethod
    async def by_ids(self, ids: list[str]) -> dict[str, Document]: ...

    @abc.abstractmethod
    async def for_index(self) -> list[Document]:
        """Every profile, as the index loads them at start-up."""

    @abc.abstractmethod
    async def open_across(self, network_ids: list[str]) -> list[str]:
        """The organizations of these networks that may be matched across a link: open to
        other networks, virtual-ready, not archived."""


class NeedRepository(abc.ABC):
    @abc.abstractmethod
    async def save(self, need: NeedProfile) -> bool:
        """Keeps the newest version; answers whether it was written."""

    @abc.abstractmethod
    async def get(self, need_id: str) -> Document | None: ...


class LinkRepository(abc.ABC):
    @abc.abstractmethod
    async def save(self, link: NetworkLink) -> bool:
        """The newest state of a link between networks; answers whether it was written."""

    @abc.abstractmethod
    async def active(self) -> list[NetworkLink]: ...


class MatchRepository(abc.ABC):
    """One document per unordered pair (or coalition), unique by `pair_key`."""

    @abc.abstractmethod
    async def get(self, match_id: str) -> Document | None: ...

    @abc.abstractmethod
    async def of_pairs(self, keys: list[str]) -> dict[str, Document]:
        """The matches of these pairs or coalitions that exist, by `pair_key`."""

    @abc.abstractmethod
    async def of(self, organization_id: str, first: int) -> list[Document]:
        """The organization's best `first` matches not declined, best first."""

    @abc.abstractmethod
    async def of_many(self, organization_ids: list[str], first: int) -> dict[str, list[Document]]:
        """The best `first` matches of each organization."""

    @abc.abstractmethod
    async def declined_partners(self, organization_id: str) -> list[str]:
        """Partners of declined pairs (declining a coalition for a need bans no pair)."""

    @abc.abstractmethod
    async def open_scores(
        self, organization_ids: list[str], besides: list[str]
    ) -> dict[str, list[float]]:
        """The scores of each organization's open (SUGGESTED) matches but the `besides` ids,
        from one query."""

    @abc.abstractmethod
    async def open_for_need(self, need_id: str) -> list[Document]:
        """The need's unanswered coalition suggestions."""

    @abc.abstractmethod
    async def add(self, matches: list[Document]) -> None:
        """New suggestions; a concurrent one for the same pair fails (a unique index)."""

    @abc.abstractmethod
    async def refresh(self, fresh: dict[str, Document]) -> None:
        """New scores and reasons for suggestions nobody answered yet, by match id."""

    @abc.abstractmethod
    async def record_answer(
        self, match_id: str, organization_id: str, answer: Document, status: str
    ) -> None:
        """One organization's answer to a match, and the match's status after it."""

    @abc.abstractmethod
    async def withdraw(self, match_ids: list[str]) -> None: ...

    @abc.abstractmethod
    async def withdraw_of(self, organization_id: str) -> None:
        """Every unanswered suggestion an (archived) organization is part of."""

    @abc.abstractmethod
    async def withdraw_across(self, network_id: str, other_network_id: str) -> None:
        """Every unanswered suggestion of a pair across these two networks (a link ended)."""


class MatchingUnitOfWork(UnitOfWork):
    profiles: ProfileRepository
    needs: NeedRepository
    links: LinkRepository
    matches: MatchRepository
