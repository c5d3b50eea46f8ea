"""Links between networks: one network's operator proposes, the other's accepts or declines,
either ends it (the gateway has checked the operator; the domain checks which of the two
networks may take which step). Each network reads a link with the other's public face."""

from __future__ import annotations

from services.intake.domain import links as link_rules
from services.intake.service.base import UseCases
from shared.contracts import LinkedNetwork, NetworkLink, NetworkLinkChanged, NetworkLinkView
from shared.errors import AppError, ErrorCode
from shared.events import new_id
from shared.idempotency import Answered, no_answer
from shared.mongo import Document


def link_not_found(link_id: str) -> AppError:
    return AppError(ErrorCode.NOT_FOUND, f"network link {link_id} not found", field="linkId")


class Links(UseCases):
    async def propose_network_link(
        self, network_id: str, other_network_id: str, note: str, answered: Answered = no_answer
    ) -> NetworkLinkView:
        """Network `network_id` (its operator, checked by the gateway) proposes a link to
        another network; one open (proposed or active) link per pair of networks."""
        await self._network(network_id)
        link = link_rules.proposed(
            new_id("lnk"), network_id, other_network_id, note, self.clock.now()
        )
        other = await self.store.network(other_network_id)
        if other is None:
            raise AppError(
                ErrorCode.NOT_FOUND, f"network {other_network_id} not found", field="otherNetworkId"
            )
        pair = link_rules.pair_key(network_id, other_network_id)
        answer = link_view(link, network_id, other)
        async with self.outbox.transaction() as tx:
            link_rules.check_no_open_link(await self.store.open_link_of_pair(pair, tx.session))
            await self.store.save_network_link(link, pair, True, tx.session)
            await tx.publish("network.link_changed", link.link_id, NetworkLinkChanged(link=link))
            await answered(tx.session, answer)
        return answer

    async def change_network_link(
        self, link_id: str, network_id: str, step: str, answered: Answered = no_answer
    ) -> NetworkLinkView:
        """`step` (accept, decline, end) taken by network `network_id` (its operator, checked
        by the gateway); the domain says whether that network may take it in this state."""
        moves = {
            "accept": link_rules.accepted,
            "decline": link_rules.declined,
            "end": link_rules.ended,
        }
        async with self.outbox.transaction() as tx:
            current = await self.store.network_link(link_id, tx.session)
            if current is None:
                raise link_not_found(link_id)
            link = moves[step](current, network_id, self.clock.now())
            other = await self._network(link.other_than(network_id))  # never deleted
            pair = link_rules.pair_key(*link.network_ids)
            await self.store.save_network_link(link, pair, link_rules.is_open(link), tx.session)
            await tx.publish("network.link_changed", link.link_id, NetworkLinkChanged(link=link))
            answer = link_view(link, network_id, other)
            await answered(tx.session, answer)
        return answer

    async def network_links(self, network_id: str) -> list[NetworkLinkView]:
        """Every link of the network (any status), newest proposal first."""
        links = await self.store.network_links(network_id)
        others = {link.other_than(network_id) for link in links}
        found = {d["_id"]: d for d in await self.store.networks_by_ids(sorted(others))}
        return [
            link_view(link, network_id, found[link.other_than(network_id)])
            for link in links
            if link.other_than(network_id) in found
        ]

    async def network_link(self, link_id: str, network_id: str) -> NetworkLinkView:
        """One link as one of its networks sees it; NOT_FOUND for any other network."""
        link = await self.store.network_link(link_id)
        if link is None or network_id not in link.network_ids:
            raise link_not_found(link_id)
        other = await self._network(link.other_than(network_id))
        return link_view(link, network_id, other)


def linked_network(found: Document) -> LinkedNetwork:
    return LinkedNetwork(
        network_id=found["_id"],
        name=found["name"],
        region=found["region"],
        time_zone=found.get("time_zone", "UTC"),
    )


def link_view(link: NetworkLink, network_id: str, other: Document) -> NetworkLinkView:
    """The link as `network_id` sees it, with the other network's public face."""
    return NetworkLinkView(
        link_id=link.link_id,
        network_id=network_id,
        other_network=linked_network(other),
        incoming=link.recipient_network_id == network_id,
        status=link.status,
        note=link.note,
        proposed_at=link.proposed_at,
        accepted_at=link.accepted_at,
        ended_at=link.ended_at,
    )
