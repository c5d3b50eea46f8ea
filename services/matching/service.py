"""The service layer of matching: the in-memory profile index (loaded from MongoDB at start-up,
kept current by the handlers) and the use cases that read or change matches."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from services.matching.domain import introductions
from services.matching.domain import matches as docs
from services.matching.domain.coalitions import Coalition, coalition_reasons, coalitions
from services.matching.domain.index import ProfileIndex
from services.matching.domain.scoring import (
    Suggestion,
    Weights,
    components,
    suggestion,
    top_partners,
)
from services.matching.store import MatchingStore
from shared.contracts import (
    MatchAccepted,
    MatchDeclined,
    MatchSuggested,
    NeedProfile,
    NetworkLink,
    OrganizationProfile,
)
from shared.contracts.links import LinkStatus
from shared.contracts.matching import MatchDecision, MatchStatus
from shared.errors import not_found
from shared.events import utcnow
from shared.idempotency import Answered, no_answer
from shared.outbox import Outbox, Transaction
from shared.settings import Settings

log = logging.getLogger(__name__)


REFRESHED = ("score", "components", "reasons", "updated_at")


def weights_from(settings: Settings) -> Weights:
    return Weights(
        **{name: getattr(settings, f"match_weight_{name}") for name, _ in Weights().items()}
    )


class Matcher:
    def __init__(self, store: MatchingStore, outbox: Outbox, settings: Settings) -> None:
        self.store, self.outbox = store, outbox
        self.weights = weights_from(settings)
        self.limit = settings.match_suggestions_per_organization
        self.min_score = settings.match_min_score
        self.index = ProfileIndex()
        self.ready = asyncio.Event()

    async def load(self) -> None:
        """Builds the index from the read model; handlers and routes wait for it."""
        started = time.perf_counter()
        found = await self.store.all_profiles()
        self.index.put_many([OrganizationProfile.model_validate(d) for d in found])
        for d in found:
            if "reliability" in d:
                self.index.set_reliability(d["_id"], d["reliability"])
        self.index.mission.compact()
        for link in await self.store.active_links():
            self.index.link(*link.network_ids)
        self.ready.set()
        log.info("index of %d profiles loaded in %.2fs", len(found), time.perf_counter() - started)

    async def on_profile(self, profile: OrganizationProfile, tx: Transaction) -> None:
        await self.ready.wait()
        if not await self.store.save_profile(profile, tx.session):
            return
        self.index.put(profile)
        if profile.archived:
            await self.store.withdraw_suggestions_of(profile.organization_id, tx.session)
            return
        await self.refresh(profile.organization_id, tx)

    async def on_reliability(self, organization_id: str, value: float, tx: Transaction) -> None:
        await self.ready.wait()
        if await self.store.set_reliability(organization_id, value, tx.session):
            self.index.set_reliability(organization_id, value)
            await self.refresh(organization_id, tx)

    async def on_link(self, link: NetworkLink, tx: Transaction) -> None:
        """An active link: the opted-in, virtual-ready organizations of both networks get
        suggestions across it. A link that ends (or is declined) stops new ones, and the
        unanswered suggestions across it are withdrawn; answered ones stay."""
        await self.ready.wait()
        if not await self.store.save_link(link, tx.session):
            return
        if link.status is LinkStatus.ACTIVE:
            self.index.link(*link.network_ids)
            opened = await self.store.profiles_open_across(list(link.network_ids), tx.session)
            for organization_id in sorted(opened):
                if organization_id in self.index.rows:
                    await self.refresh(organization_id, tx)
        elif link.status in (LinkStatus.ENDED, LinkStatus.DECLINED):
            self.index.unlink(*link.network_ids)
            await self.store.withdraw_suggestions_across(*link.network_ids, tx.session)

    async def on_need(self, need: NeedProfile, tx: Transaction) -> None:
        await self.ready.wait()
        if await self.store.save_need(need, tx.session):
            await self.suggest_coalition(need, tx)

    async def refresh(self, organization_id: str, tx: Transaction) -> None:
        """Top partners for this organization only; each pair is one document, so the
        organization appears in its partners' lists without recomputing theirs."""
        declined = await self.store.declined_partners(organization_id, tx.session)
        found = top_partners(
            self.index, organization_id, self.weights, self.limit, declined, self.min_score
        )
        now = utcnow()
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
        await self.suggest(suggestions, organization_id, tx)

    def _names(self, *organization_ids: str) -> dict[str, str]:
        return {o: self.index.names[self.index.rows[o]] for o in organization_ids}

    async def suggest_coalition(self, need: NeedProfile, tx: Transaction) -> None:
        """Only this need's best coalition is recomputed; an unanswered stale one is withdrawn."""
        found = coalitions(self.index, need, alternatives=1)
        best = found[0] if found and len(found[0].members) > 1 else None
        ids = [m.organization_id for m in best.members] if best else []
        key = docs.coalition_key(need.need_id, ids) if best else None
        open_ = await self.store.open_suggestions_for_need(need.need_id, tx.session)
        stale = [m["_id"] for m in open_ if m["pair_key"] != key and not m["answers"]]
        await self.store.withdraw_suggestions(stale, tx.session)
        if best is None:
            return
        reasons = {o: coalition_reasons(self.index, need, best, o) for o in ids}
        await self.suggest([docs.coalition_match(need, best, reasons, utcnow())], ids[0], tx)

    async def suggest(self, matches: list[dict[str, Any]], reader: str, tx: Transaction) -> None:
        """Stores suggestions and announces each once; a pair or coalition already suggested
        gets fresh scores, and one already answered is left alone. A few writes for the
        whole list, however long: one registration suggests up to ten partners."""
        if not matches:
            return
        existing = await self.store.matches_of_pairs([m["pair_key"] for m in matches], tx.session)
        suggested = {k: m for k, m in existing.items() if m["status"] == MatchStatus.SUGGESTED}
        fresh = {
            suggested[m["pair_key"]]["_id"]: introductions.keep_note(
                suggested[m["pair_key"]], {k: m[k] for k in REFRESHED}
            )
            for m in matches
            if m["pair_key"] in suggested
        }
        await self.store.refresh_matches(fresh, tx.session)
        new = [m for m in matches if m["pair_key"] not in existing]
        await self.store.add_matches(new, tx.session)
        await tx.publish_many(
            [("match.suggested", m["_id"], self._suggested(m, reader)) for m in new]
        )

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

    async def match(self, match_id: str) -> dict[str, Any]:
        found = await self.store.match(match_id)
        if found is None:
            raise not_found("match", match_id)
        return found

    async def respond(
        self,
        match_id: str,
        organization_id: str,
        decision: MatchDecision,
        reason: str,
        answered: Answered = no_answer,
    ) -> dict[str, Any]:
        async with self.outbox.transaction() as tx:
            match = await self.store.match(match_id, tx.session)
            if match is None:
                raise not_found("match", match_id)
            docs.check_answer(match, organization_id)
            answer = {"decision": decision.value, "reason": reason, "at": utcnow()}
            match["answers"][organization_id] = answer
            status = docs.status_after(match, decision)
            match["status"] = status
            await self.store.record_answer(match_id, organization_id, answer, status, tx.session)
            await self._announce(match, organization_id, status, reason, tx)
            view = docs.view(match)
            await answered(tx.session, view)
        return view

    async def _announce(
        self, match: dict[str, Any], by: str, status: MatchStatus, reason: str, tx: Transaction
    ) -> None:
        common = {"match_id": match["_id"], "network_id": match["network_id"]}
        if status is MatchStatus.DECLINED:
            event = MatchDeclined(
                **common, parties=docs.parties(match), declined_by=by, reason=reason
            )
            await tx.publish("match.declined", match["_id"], event)
        elif status is MatchStatus.ACCEPTED:
            profiles = await self.store.profiles_by_ids(match["organization_ids"], tx.session)
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
            await tx.publish("match.accepted", match["_id"], accepted)

    async def coalitions(self, need_id: str, first: int) -> tuple[dict[str, Any], list[Coalition]]:
        await self.ready.wait()
        found = await self.store.need(need_id)
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
        return suggestion(self.index, row, other, components(self.index, row), self.weights)

    async def introduce(
        self,
        network_id: str,
        organization_ids: list[str],
        note: str,
        introduced_by: str,
        names: dict[str, str],
        answered: Answered = no_answer,
    ) -> dict[str, Any]:
        """The operator introduces two organizations: a match led by the operator's note (a
        pair already suggested and unanswered takes the note), announced as a suggestion; the
        organizations answer it with `respond`. `names`: the organizations' names as the caller
        read them, for one whose registration has not reached matching yet."""
        await self.ready.wait()
        async with self.outbox.transaction() as tx:
            profiles = await self.store.profiles_by_ids(organization_ids, tx.session)
            introductions.check_parties(organization_ids, profiles, network_id)
            key = docs.pair_key(*organization_ids)
            existing = (await self.store.matches_of_pairs([key], tx.session)).get(key)
            if existing is None:
                names = {
                    o: profiles.get(o, {}).get("name", names.get(o, o)) for o in organization_ids
                }
                match = introductions.introduction(
                    self._pair(*organization_ids), network_id, organization_ids, names, note,
                    introduced_by, utcnow(),
                )  # fmt: skip
                await self.store.add_matches([match], tx.session)
            else:
                changes = introductions.introduce_existing(existing, note, introduced_by)
                await self.store.refresh_matches({existing["_id"]: changes}, tx.session)
                match = {**existing, **changes}
            reader = organization_ids[0]
            await tx.publish("match.suggested", match["_id"], self._suggested(match, reader))
            view = docs.view(match)
            await answered(tx.session, view)
        return view
