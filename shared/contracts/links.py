"""Links between regional networks, owned by intake: network A's operator proposes, B's
operator accepts or declines, either ends it. Across an active link, organizations that opted
in (`open_to_other_networks`) may be suggested to each other and collaborate."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from shared.contracts.base import Payload


class LinkStatus(StrEnum):
    PROPOSED = "proposed"  # waiting for the other network's operator
    ACTIVE = "active"  # accepted: collaborations across it may form
    DECLINED = "declined"  # the other network's operator said no (final)
    ENDED = "ended"  # withdrawn before an answer, or ended by either operator (final)


OPEN_STATUSES = (LinkStatus.PROPOSED, LinkStatus.ACTIVE)


class NetworkLink(Payload):
    link_id: str
    proposer_network_id: str
    recipient_network_id: str
    status: LinkStatus
    note: str = ""
    proposed_at: datetime
    accepted_at: datetime | None = None
    ended_at: datetime | None = None  # when it was declined or ended
    ended_by_network_id: str | None = None
    version: int = 1

    @property
    def network_ids(self) -> tuple[str, str]:
        return (self.proposer_network_id, self.recipient_network_id)

    def other_than(self, network_id: str) -> str:
        """The network across the link from `network_id` (one of its two)."""
        if network_id == self.proposer_network_id:
            return self.recipient_network_id
        return self.proposer_network_id


class NetworkLinkChanged(Payload):
    """Every change of a link's status, with the whole link (keyed by link id): proposed,
    accepted (now ACTIVE), declined, ended."""

    link: NetworkLink


# What intake's link routes answer: a link as one of its two networks sees it.


class LinkedNetwork(Payload):
    """The public face of the network across a link."""

    network_id: str
    name: str
    region: str
    time_zone: str = "UTC"


class NetworkLinkView(Payload):
    link_id: str
    network_id: str  # the network it is seen from
    other_network: LinkedNetwork
    incoming: bool  # the other network proposed it: this one's operator accepts or declines
    status: LinkStatus
    note: str = ""
    proposed_at: datetime
    accepted_at: datetime | None = None
    ended_at: datetime | None = None


EVENTS: dict[str, type[Payload]] = {"network.link_changed": NetworkLinkChanged}
