"""What the dashboard shows, asked of the gateway's own schema in-process with the caller's
token (`schema.execute` with a GatewayContext): the same resolvers, authorization, limits and
errors as POST /graphql, so the page can never show more than the API shows, and its numbers
are the API's by construction."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import strawberry

from services.gateway.context import GatewayContext
from services.gateway.schema.errors import shape_errors
from shared.errors import ErrorCode

Doc = dict[str, Any]
MAX_PAGES = 10  # at most 1,000 needs and 500 partnerships on one page

ME = "query DashboardMe { me { memberId networkId organizationId role } }"
NETWORK = "query DashboardNetwork($n: ID!) { network(id: $n) { id name region timeZone } }"
NEEDS = """query DashboardNeeds($n: ID!, $after: String) {
  needs(networkId: $n, first: 100, after: $after) {
    edges { node { id title area focusArea severity } }
    pageInfo { hasNextPage endCursor } } }"""
PARTNERSHIPS = """query DashboardPartnerships($n: ID!, $after: String) {
  partnerships(networkId: $n, first: 50, after: $after) {
    edges { node {
      id name status needId
      organizations { id name }
      health { score label parts { name score detail } }
      commitments(status: OPEN, first: 100) {
        edges { node { id title dueAt ownerOrganizationId } } }
      contributionTotals { kind unit quantity estimatedValue count }
      healthHistory { at score } trend healthWarnings { at reason summary }
    } }
    pageInfo { hasNextPage endCursor } } }"""
PARTNERSHIP = """query DashboardPartnershipView($id: ID!) { partnership(id: $id) {
  id name status needId organizations { id name }
  health { score label parts { name score weight detail } } trend
  healthHistory { at score label } healthWarnings { at reason score summary } } }"""
LINKS = """query DashboardLinks($n: ID!) { network(id: $n) { links {
  id otherNetwork { id name region } incoming status proposedAt acceptedAt endedAt } } }"""


class DashboardError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass
class Snapshot:
    me: Doc
    network: Doc
    needs: list[Doc] = field(default_factory=list)
    partnerships: list[Doc] = field(default_factory=list)
    links: list[Doc] | None = None  # None: not the caller's to see (the operator's panel)
    truncated: bool = False


@dataclass
class InProcessApi:
    schema: strawberry.Schema
    context: Callable[[], GatewayContext]  # a new context per operation, like a request

    async def data(self, document: str, variables: Doc | None = None) -> Doc:
        result = await self.schema.execute(
            document, variable_values=variables or {}, context_value=self.context()
        )
        errors = shape_errors(result.errors)
        if errors:
            first = errors[0]
            raise DashboardError(str((first.extensions or {}).get("code")), first.message)
        data: Doc = result.data or {}
        return data

    async def pages(self, document: str, root: str, variables: Doc) -> tuple[list[Doc], bool]:
        """Every node of a connection (at most MAX_PAGES pages); True when some were left."""
        found: list[Doc] = []
        after = None
        for _ in range(MAX_PAGES):
            connection = (await self.data(document, {**variables, "after": after}))[root]
            found += [edge["node"] for edge in connection["edges"]]
            if not connection["pageInfo"]["hasNextPage"]:
                return found, False
            after = connection["pageInfo"]["endCursor"]
        return found, True


async def load(api: InProcessApi) -> Snapshot:
    """Everything the caller may see of its network, in the API's words."""
    me = (await api.data(ME))["me"]
    if not me:
        raise DashboardError(ErrorCode.UNAUTHENTICATED.value, "unknown token")
    n = {"n": me["networkId"]}
    network = (await api.data(NETWORK, n))["network"]
    needs, more_needs = await api.pages(NEEDS, "needs", n)
    partnerships, more_partnerships = await api.pages(PARTNERSHIPS, "partnerships", n)
    snapshot = Snapshot(me, network, needs, partnerships, truncated=more_needs or more_partnerships)
    try:
        snapshot.links = (await api.data(LINKS, n))["network"]["links"]
    except DashboardError as error:  # an operator-only panel: members see none
        if error.code != ErrorCode.FORBIDDEN.value:
            raise
    return snapshot


def is_signed_out(error: DashboardError) -> bool:
    return error.code == ErrorCode.UNAUTHENTICATED.value
