"""The typed client of matching's internal routes (services/matching/api.py): each method
sends the route's request model and answers its contract."""

from __future__ import annotations

from shared import contracts as c
from shared.contracts.page import Batch
from shared.contracts.requests import matching as rq
from shared.http import Headers, ServiceClient


class MatchingClient:
    def __init__(self, http: ServiceClient) -> None:
        self.http = http

    async def match(self, match_id: str) -> c.MatchView:
        return await self.http.get(f"/matches/{match_id}", c.MatchView)

    async def matches_of(self, organization_id: str, first: int) -> list[c.MatchView]:
        path = f"/organizations/{organization_id}/matches"
        return await self.http.get(path, list[c.MatchView], {"first": first})

    async def matches_by_organization(self, ids: list[str]) -> dict[str, list[c.MatchView]]:
        """Each organization's matches, best first (at most 20 each)."""
        params = {"ids": ",".join(ids)}
        found = await self.http.get("/matches/by-organization", Batch[list[c.MatchView]], params)
        return found.items

    async def respond(
        self, match_id: str, request: rq.RespondToMatch, *, headers: Headers = None
    ) -> c.MatchView:
        path = f"/matches/{match_id}/responses"
        return await self.http.post(path, c.MatchView, request, headers=headers)

    async def introduce(self, request: rq.Introduce, *, headers: Headers = None) -> c.MatchView:
        return await self.http.post("/introductions", c.MatchView, request, headers=headers)

    async def coalitions(self, need_id: str, first: int) -> c.Coalitions:
        path = f"/needs/{need_id}/coalitions"
        return await self.http.get(path, c.Coalitions, {"first": first})

    async def coalitions_for(self, request: rq.CoalitionsFor) -> c.Coalitions:
        """A read (POST for its body): coalitions for a need's profile as the caller holds it."""
        return await self.http.post("/coalitions", c.Coalitions, request)
