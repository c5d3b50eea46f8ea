"""Links between networks: one network's operator proposes, the other's accepts or declines,
either ends it (the gateway has checked the operator; the domain checks which of the two
networks may take which step). Each network reads a link with the other's public face."""

from __future__ import annotations

from services.intake.domain import links as link_rules
from services.intake.service.base import UseCases, network_of
from services.intake.service.unit_of_work import IntakeUnitOfWork
from shared.contracts import LinkedNetwork, NetworkLink, NetworkLinkChanged, NetworkLinkView
from shared.errors import AppError, ErrorCode
from shared.events import new_id
from shared.mongo import Document


def link_not_found(link_id: str) -> AppError:
    return AppError(ErrorCode.NOT_FOUND, f"network link {link_id} not found", field="linkId")


class Links(UseCases):
    async def propose_network_link(
        self, network_id: str, other_network_id: str, note: str, uow: IntakeUnitOfWork
    ) -> NetworkLinkView:
        """Network `network_id` (its operator, checked by the gateway) proposes a link to
        another network; one open (proposed or active) link per pair of networks."""
        await network_of(uow, network_id)
        link = link_rules.proposed(
            new_id("lnk"), network_id, other_network_id, note, self.clock.now()
        )
        other = await uow.networks.get(other_network_id)
        if other is None:
            raise AppError(
                ErrorCode.NOT_FOUND, f"network {other_network_id} not found", field="otherNetworkId"
            )
        pair = link_rules.pair_key(network_id, other_network_id)
        answer = link_view(link, network_id, other)
        async with uow:
            link_rules.check_no_open_link(await uow.links.open_of_pair(pair))
            await uow.links.save(link, pair, True)
            await uow.publish(NetworkLinkChanged(link=link), link.link_id)
            await uow.answer(answer)
        return answer

    async def change_network_link(
        self, link_id: str, network_id: str, step: str, uow: IntakeUnitOfWork
    ) -> NetworkLinkView:
        """`step` (accept, decline, end) taken by network `network_id` (its operator, checked
        by the gateway); the domain says whether that network may take it in this state."""
        moves = {
            "accept": link_rules.accepted,
            "decline": link_rules.declined,
            "end": link_rules.ended,
        }
        async with uow:
            current = await uow.links.get(link_id)
            if current is None:
                raise link_not_found(link_id)
            link = moves[step](current, network_id, self.clock.now())
            other = await network_of(uow, link.other_than(network_id))  # never deleted
            pair = link_rules.pair_key(*link.network_ids)
            await uow.links.save(link, pair, link_rules.is_open(link))
            await uow.publish(NetworkLinkChanged(link=link), link.link_id)
            answer = link_view(link, network_id, other)
            await uow.answer(answer)
        return answer

    async def network_links(self, network_id: str, uow: IntakeUnitOfWork) -> list[NetworkLinkView]:
        """Every link of the network (any status), newest proposal first."""
        links = await uow.links.of_network(network_id)
        others = {link.other_than(network_id) for link in links}
        found = {d["_id"]: d for d in await uow.networks.by_ids(sorted(others))}
        return [
            link_view(link, network_id, found[link.other_than(network_id)])
            for link in links
            if link.other_than(network_id) in found
        ]

    async def network_link(
        self, link_id: str, network_id: str, uow: IntakeUnitOfWork
    ) -> NetworkLinkView:
        """One link as one of its networks sees it; NOT_FOUND for any other network."""
        link = await uow.links.get(link_id)
        if link is None or network_id not in link.network_ids:
            raise link_not_found(link_id)
        other = await network_of(uow, link.other_than(network_id))
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
