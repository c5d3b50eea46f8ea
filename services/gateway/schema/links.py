"""Links between regional networks (served by intake): network A's operator proposes a link
to network B, B's operator accepts or declines it, and either operator ends it later. Across
an active link, organizations that opted in can be suggested to each other and collaborate.
A network's operator sees its links on `network { links }`.

A link is seen only by the operators of its two networks: to anyone else its id answers
NOT_FOUND, as a missing id does; a member of one of the two networks gets FORBIDDEN."""

from __future__ import annotations

from datetime import datetime

import strawberry

from services.gateway.auth import require_operator, require_role
from services.gateway.context import Role
from services.gateway.schema.context import Info
from services.gateway.schema.enums import LinkStatus
from services.gateway.schema.mapping import build, request
from shared.contracts.links import NetworkLinkView
from shared.contracts.requests import intake as rq


@strawberry.type(description="The public face of the network across a link.")
class LinkedNetwork:
    id: strawberry.ID
    name: str
    region: str
    time_zone: str


@strawberry.type
class NetworkLink:
    id: strawberry.ID
    other_network: LinkedNetwork
    incoming: bool = strawberry.field(
        description="The other network proposed it: this network's operator accepts or declines it."
    )
    status: LinkStatus
    note: str
    proposed_at: datetime
    accepted_at: datetime | None
    ended_at: datetime | None = strawberry.field(description="When it was declined or ended.")


def network_link_of(view: NetworkLinkView) -> NetworkLink:
    """A link (intake's `NetworkLinkView`) as the network it was read for sees it."""
    other = view.other_network
    linked = build(LinkedNetwork, other, id=strawberry.ID(other.network_id))
    return build(NetworkLink, view, id=strawberry.ID(view.link_id), other_network=linked)


async def links_of(info: Info, network_id: str) -> list[NetworkLink]:
    """The network's links, newest proposal first: for its operator only."""
    caller = await info.context.caller()
    require_operator(caller, network_id)
    page = await info.context.clients.intake.network_links(network_id)
    return [network_link_of(view) for view in page.items]


async def linked_network_ids(info: Info, network_id: str) -> set[str]:
    """The networks actively linked with `network_id` (read once per request)."""
    loader = info.context.loaders.each(info.context.clients.intake.network_links)
    page = await loader.load(network_id)
    return {
        view.other_network.network_id for view in page.items if view.status is LinkStatus.ACTIVE
    }


async def _step(info: Info, link_id: str, step: str) -> NetworkLink:
    """A step on a link by the operator of one of its two networks. A link of other networks
    answers NOT_FOUND whoever asks; a member of one of the two gets FORBIDDEN."""
    caller = await info.context.caller()
    # Seen from the caller's network: NOT_FOUND unless it is one of the two.
    intake = info.context.clients.intake
    await intake.network_link(link_id, caller.network_id)
    require_role(caller, Role.OPERATOR)
    answer = await intake.change_network_link(
        link_id,
        step,
        rq.NetworkLinkStep(network_id=caller.network_id),
        headers=info.context.idempotency_headers(),
    )
    return network_link_of(answer)


@strawberry.type
class LinkMutation:
    @strawberry.mutation(
        description="The operator of `networkId` proposes a link to another network, with a "
        "note for its operator. One proposed or active link per pair of networks (CONFLICT "
        "with `existingId`)."
    )
    async def propose_network_link(
        self,
        info: Info,
        network_id: strawberry.ID,
        other_network_id: strawberry.ID,
        note: str = "",
    ) -> NetworkLink:
        caller = await info.context.caller()
        require_operator(caller, network_id)
        proposal = request(rq.ProposeNetworkLink, other_network_id=other_network_id, note=note)
        answer = await info.context.clients.intake.propose_network_link(
            network_id, proposal, headers=info.context.idempotency_headers()
        )
        return network_link_of(answer)

    @strawberry.mutation(description="The operator of the network asked accepts: ACTIVE.")
    async def accept_network_link(self, info: Info, link_id: strawberry.ID) -> NetworkLink:
        return await _step(info, link_id, "accept")

    @strawberry.mutation(description="The operator of the network asked declines: DECLINED.")
    async def decline_network_link(self, info: Info, link_id: strawberry.ID) -> NetworkLink:
        return await _step(info, link_id, "decline")

    @strawberry.mutation(
        description="Either network's operator ends an active link, or withdraws a proposal: "
        "ENDED. No new suggestions cross it; partnerships formed across it remain."
    )
    async def end_network_link(self, info: Info, link_id: strawberry.ID) -> NetworkLink:
        return await _step(info, link_id, "end")


QUERIES: list[type] = []
MUTATIONS: list[type] = [LinkMutation]
