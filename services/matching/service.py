"""The service layer of matching: the in-memory profile index (loaded from MongoDB at start-up,
kept current by the handlers) and the use cases that read or change matches, each taking its
inputs and a `MatchingUnitOfWork` (the handlers' is open already: the event's)."""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import fields
from typing import Any

from services.matching.domain import announcements, introductions
from services.matching.domain import matches as docs
from services.matching.domain.coalitions import Coalition, coalition_reasons, coalitions
from services.matching.domain.columns import ProfileColumns
from services.matching.domain.index import ProfileIndex
from services.matching.domain.scoring import (
    Suggestion,
    Weights,
    pair,
    top_partners,
)
from services.matching.unit_of_work import MatchingUnitOfWork
from shared.clock import Clock
from shared.contracts import (
    MatchAccepted,
    MatchDeclined,
    MatchSuggested,
    NeedProfile,
    NetworkLink,
    OrganizationProfile,
)
from shared.contracts.links import LinkStatus
from shared.contracts.matching import MatchDecision, MatchStatus, MatchView
from shared.errors import not_found
from shared.mongo import Document
from shared.settings import Settings

log = logging.getLogger(__name__)


REFRESHED = ("score", "components", "reasons", "updated_at")


def weights_from(settings: Settings) -> Weights:
    return Weights(**{f.name: getattr(settings, f"match_weight_{f.name}") for f in fields(Weights)})


class Matcher:
    def __init__(self, settings: Settings, clock: Clock) -> None:
        self.clock = clock  # the service's (runtime.clock), as every service reads the time
        self.weights = weights_from(settings)
        self.limit = settings.match_suggestions_per_organization
        self.min_score = settings.match_min_score
        self.index = ProfileIndex.week_of(clock.now().date())
        self.ready = asyncio.Event()

    async def load(self, uow: MatchingUnitOfWork) -> None:
        """Builds the index from the read model; handlers and routes wait for it."""
        started = time.perf_counter()
        found = await uow.profiles.for_index()
        read = time.perf_counter()
        self.index.put_columns(ProfileColumns.of_documents(found))
        self.index.mission.compact()
        for link in await uow.links.active():
            self.index.link(*link.network_ids)
        self.ready.set()
        log.info(
            "index of %d profiles loaded in %.2fs (read %.2fs, indexed %.2fs)",
            len(found),
            time.perf_counter() - started,
            read - started,
            time.perf_counter() - read,
        )

    async def on_profile(self, profile: OrganizationProfile, uow: MatchingUnitOfWork) -> None:
        await self.ready.wait()
        if not await uow.profiles.save(profile):
            return
        self.index.put(profile)
        if profile.archived:
            await uow.matches.withdraw_of(profile.organization_id)
            return
        await self.refresh(profile.organization_id, uow)

    async def on_reliability(
        self, organization_id: str, value: float, uow: MatchingUnitOfWork
    ) -> None:
        await self.ready.wait()
        if await uow.profiles.set_reliability(organization_id, value):
            self.index.set_reliability(organization_id, value)
            await self.refresh(organization_id, uow)

    async def on_link(self, link: NetworkLink, uow: MatchingUnitOfWork) -> None:
        """An active link: the opted-in, virtual-ready organizations of both networks get
        suggestions across it. A link that ends (or is declined) stops new ones, and the
        unanswered suggestions across it are withdrawn; answered ones stay."""
        await self.ready.wait()
        if not await uow.links.save(link):
            return
        if link.status is LinkStatus.ACTIVE:
            self.index.link(*link.network_ids)
            opened = await uow.profiles.open_across(list(link.network_ids))
            for organization_id in sorted(opened):
                if organization_id in self.index.rows:
                    await self.refresh(organization_id, uow)
        elif link.status in (LinkStatus.ENDED, LinkStatus.DECLINED):
            self.index.unlink(*link.network_ids)
            await uow.matches.withdraw_across(*link.network_ids)

    async def on_need(self, need: NeedProfile, uow: MatchingUnitOfWork) -> None:
        await self.ready.wait()
        if await uow.needs.save(need):
            await self.suggest_coalition(need, uow)

    async def refresh(self, organization_id: str, uow: MatchingUnitOfWork) -> None:
        """Top partners for this organization only; each pair is one document, so the
        organization appears in its partners' lists without recomputing theirs."""
        declined = await uow.matches.declined_partners(organization_id)
        found = top_partners(
            self.index, organization_id, self.weights, self.limit, declined, self.min_score
        )
        now = self.clock.now()
        row = self.index.rows[organization_id]
        network_id = self.index.network_of(row)
        suggestions = [
            docs.new_match(
                s,
                network_id,
                self._names(s.organization_id, s.partner_id),
                now,
                self.index.network_of(self.index.rows[s.partner_id]),
            )
            for s in found
        ]
        new = await self.store(suggestions, uow)
        if not new:
            return
        # one event for the organization, however many partners: notifications sends its
        # members one message, and tells a partner at once only if this one ranks high for it
        scores = await uow.matches.open_scores(
            announcements.partners_of(organization_id, new), besides=[m["_id"] for m in new]
        )
        event = announcements.suggestions_made(
            organization_id, self.index.names[row], network_id, new, scores
        )
        await uow.publish(event, organization_id)

    def _names(self, *organization_ids: str) -> dict[str, str]:
        return {o: self.index.names[self.index.rows[o]] for o in organization_ids}

    async def suggest_coalition(self, need: NeedProfile, uow: MatchingUnitOfWork) -> None:
        """Only this need's best coalition is recomputed; an unanswered stale one is withdrawn."""
        found = coalitions(self.index, need, alternatives=1)
        best = found[0] if found and len(found[0].members) > 1 else None
        ids = [m.organization_id for m in best.members] if best else []
        key = docs.coalition_key(need.need_id, ids) if best else None
        open_ = await uow.matches.open_for_need(need.need_id)
        stale = [m["_id"] for m in open_ if m["pair_key"] != key and not m["answers"]]
        await uow.matches.withdraw(stale)
        if best is None:
            return
        reasons = {o: coalition_reasons(self.index, need, best, o) for o in ids}
        new = await self.store([docs.coalition_match(need, best, reasons, self.clock.now())], uow)
        await uow.publish_many([(self._suggested(m, ids[0]), m["_id"]) for m in new])

    async def store(
        self, matches: list[dict[str, Any]], uow: MatchingUnitOfWork
    ) -> list[dict[str, Any]]:
        """Stores suggestions and answers the new ones (to be announced once); a pair or
        coalition already suggested gets fresh scores, and one already answered is left alone.
        A few writes for the whole list, however long: one registration suggests up to ten."""
        if not matches:
            return []
        existing = await uow.matches.of_pairs([m["pair_key"] for m in matches])
        suggested = {k: m for k, m in existing.items() if m["status"] == MatchStatus.SUGGESTED}
        fresh = {
            suggested[m["pair_key"]]["_id"]: introductions.keep_note(
                suggested[m["pair_key"]], {k: m[k] for k in REFRESHED}
            )
            for m in matches
            if m["pair_key"] in suggested
        }
        await uow.matches.refresh(fresh)
        new = [m for m in matches if m["pair_key"] not in existing]
        await uow.matches.add(new)
        return new

    @staticmethod
    def _suggested(match: dict[str, Any], reader: str) -> MatchSuggested:
        return MatchSuggested(
            match_id=match["_id"],
            network_id=match["network_id"],
            parties=docs.parties(match),
            score=match["score"],
            components=docs.components(match),
            reasons=match["reasons"][reader],
            need_id=match["need_id"],
            network_ids=match.get("network_ids") or [match["network_id"]],
        )

    async def match(self, match_id: str, uow: MatchingUnitOfWork) -> dict[str, Any]:
        found = await uow.matches.get(match_id)
        if found is None:
            raise not_found("match", match_id)
        return found

    async def respond(
        self,
        match_id: str,
        organization_id: str,
        decision: MatchDecision,
        reason: str,
        uow: MatchingUnitOfWork,
    ) -> MatchView:
        async with uow:
            match = await uow.matches.get(match_id)
            if match is None:
                raise not_found("match", match_id)
            docs.check_answer(match, organization_id)
            answer = {"decision": decision.value, "reason": reason, "at": self.clock.now()}
            match["answers"][organization_id] = answer
            status = docs.status_after(match, decision)
            match["status"] = status
            await uow.matches.record_answer(match_id, organization_id, answer, status)
            await self._announce(match, organization_id, status, reason, uow)
            view = MatchView.model_validate(docs.view(match))
            await uow.answer(view)
        return view

    async def _announce(
        self,
        match: dict[str, Any],
        by: str,
        status: MatchStatus,
        reason: str,
        uow: MatchingUnitOfWork,
    ) -> None:
        common = {"match_id": match["_id"], "network_id": match["network_id"]}
        if status is MatchStatus.DECLINED:
            event = MatchDeclined(
                **common, parties=docs.parties(match), declined_by=by, reason=reason
            )
            await uow.publish(event, match["_id"])
        elif status is MatchStatus.ACCEPTED:
            profiles = await uow.profiles.by_ids(match["organization_ids"])
            first = profiles.get(match["organization_ids"][0], {})
            accepted = MatchAccepted(
                **common,
                parties=docs.parties(match),
                score=match["score"],
                reasons=match["reasons"].get(match["organization_ids"][0], []),
                need_id=match.get("need_id"),
                offers={o: [r["kind"] for r in p.get("offers", [])] for o, p in profiles.items()},
                time_zone=first.get("time_zone", "UTC"),
                network_ids=match.get("network_ids") or [match["network_id"]],
            )
            await uow.publish(accepted, match["_id"])

    async def coalitions(
        self, need_id: str, first: int, uow: MatchingUnitOfWork
    ) -> tuple[dict[str, Any], list[Coalition]]:
        await self.ready.wait()
        found = await uow.needs.get(need_id)
        if found is None:
            raise not_found("need", need_id)
        need = NeedProfile.model_validate(found)
        return found, coalitions(self.index, need, alternatives=first)

    async def coalitions_for(self, need: NeedProfile, first: int) -> list[Coalition]:
        """For a need as its reader sees it, which matching may not have read yet (a need just
        reported or strengthened): nothing is stored, nothing suggested."""
        await self.ready.wait()
        return coalitions(self.index, need, alternatives=first)

    def _pair(self, a: str, b: str) -> Suggestion | None:
        row, other = self.index.row_of(a), self.index.row_of(b)
        if row is None or other is None:
            return None
        return pair(self.index, row, other, self.weights)

    async def introduce(
        self,
        network_id: str,
        organization_ids: list[str],
        note: str,
        introduced_by: str,
        names: dict[str, str],
        uow: MatchingUnitOfWork,
    ) -> MatchView:
        """The operator introduces two organizations: a match led by the operator's note (a
        pair already suggested and unanswered takes the note), announced as a suggestion; the
        organizations answer it with `respond`. `names`: the organizations' names as the caller
        read them, for one whose registration has not reached matching yet."""
        await self.ready.wait()
        async with uow:
            profiles = await uow.profiles.by_ids(organization_ids)
            introductions.check_parties(organization_ids, profiles, network_id)
            key = docs.pair_key(*organization_ids)
            existing = (await uow.matches.of_pairs([key])).get(key)
            if existing is None:
                names = {
                    o: profiles.get(o, {}).get("name", names.get(o, o)) for o in organization_ids
                }
                match = introductions.introduction(
                    self._pair(*organization_ids), network_id, organization_ids, names, note,
                    introduced_by, self.clock.now(),
                )  # fmt: skip
                await uow.matches.add([match])
            else:
                changes = introductions.introduce_existing(existing, note, introduced_by)
                await uow.matches.refresh({existing["_id"]: changes})
                match = {**existing, **changes}
            reader = organization_ids[0]
            await uow.publish(self._suggested(match, reader), match["_id"])
            view = MatchView.model_validate(docs.view(match))
            await uow.answer(view)
        return view

    async def profile(self, organization_id: str, uow: MatchingUnitOfWork) -> Document:
        """The read model's profile of an organization, with its reliability."""
        found = await uow.profiles.get(organization_id)
        if found is None:
            raise not_found("organization", organization_id)
        return found

    async def matches_of(
        self, organization_id: str, first: int, uow: MatchingUnitOfWork
    ) -> list[Document]:
        return await uow.matches.of(organization_id, first)

    async def matches_of_many(
        self, organization_ids: list[str], first: int, uow: MatchingUnitOfWork
    ) -> dict[str, list[Document]]:
        return await uow.matches.of_many(organization_ids, first)
