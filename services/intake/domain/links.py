"""Links between networks: a pure state machine of who may do what in which state.

    PROPOSED --accept (the other network)--> ACTIVE --end (either)--> ENDED
    PROPOSED --decline (the other network)--> DECLINED
    PROPOSED --end (either: a withdrawn proposal)--> ENDED

A network that is not one of the link's two sees no link at all (NOT_FOUND, as for a missing
id); a party that may not take a step gets FORBIDDEN, a step the state does not allow
CONFLICT. Every error names the input field it is about."""

from __future__ import annotations

from datetime import datetime

from shared.contracts.links import OPEN_STATUSES, LinkStatus, NetworkLink
from shared.errors import AppError, ErrorCode

MAX_NOTE = 1000


def pair_key(network_id: str, other_network_id: str) -> str:
    """The same for both directions: at most one open link per pair of networks."""
    return "|".join(sorted((network_id, other_network_id)))


def proposed(
    link_id: str, network_id: str, other_network_id: str, note: str, at: datetime
) -> NetworkLink:
    """A proposal from `network_id` to `other_network_id`."""
    if other_network_id == network_id:
        raise AppError(
            ErrorCode.BAD_USER_INPUT, "a network cannot link to itself", field="otherNetworkId"
        )
    note = note.strip()
    if len(note) > MAX_NOTE:
        raise AppError(
            ErrorCode.BAD_USER_INPUT, f"the note is longer than {MAX_NOTE} characters", field="note"
        )
    return NetworkLink(
        link_id=link_id,
        proposer_network_id=network_id,
        recipient_network_id=other_network_id,
        status=LinkStatus.PROPOSED,
        note=note,
        proposed_at=at,
    )


def check_no_open_link(open_link_id: str | None) -> None:
    """CONFLICT when the pair already has a proposed or active link."""
    if open_link_id is not None:
        raise AppError(
            ErrorCode.CONFLICT,
            "these networks already have a proposed or active link",
            field="otherNetworkId",
            details={"existingId": open_link_id},
        )


def _seen_by(link: NetworkLink, network_id: str) -> None:
    if network_id not in link.network_ids:
        raise AppError(
            ErrorCode.NOT_FOUND, f"network link {link.link_id} not found", field="linkId"
        )


def _in_state(link: NetworkLink, step: str, *states: LinkStatus) -> None:
    if link.status not in states:
        raise AppError(
            ErrorCode.CONFLICT, f"a {link.status.value} link cannot be {step}", field="linkId"
        )


def _answered(link: NetworkLink, network_id: str, step: str) -> None:
    """Only the network that was asked answers a proposal."""
    _seen_by(link, network_id)
    if network_id != link.recipient_network_id:
        raise AppError(
            ErrorCode.FORBIDDEN,
            f"only the other network's operator may answer this proposal ({step})",
            field="linkId",
        )
    _in_state(link, step, LinkStatus.PROPOSED)


def accepted(link: NetworkLink, network_id: str, at: datetime) -> NetworkLink:
    _answered(link, network_id, "accepted")
    return link.model_copy(
        update={"status": LinkStatus.ACTIVE, "accepted_at": at, "version": link.version + 1}
    )


def declined(link: NetworkLink, network_id: str, at: datetime) -> NetworkLink:
    _answered(link, network_id, "declined")
    return _closed(link, LinkStatus.DECLINED, network_id, at)


def ended(link: NetworkLink, network_id: str, at: datetime) -> NetworkLink:
    """Either network ends an active link, or withdraws (or refuses) a proposal."""
    _seen_by(link, network_id)
    _in_state(link, "ended", *OPEN_STATUSES)
    return _closed(link, LinkStatus.ENDED, network_id, at)


def _closed(link: NetworkLink, status: LinkStatus, network_id: str, at: datetime) -> NetworkLink:
    return link.model_copy(
        update={
            "status": status,
            "ended_at": at,
            "ended_by_network_id": network_id,
            "version": link.version + 1,
        }
    )


def is_open(link: NetworkLink) -> bool:
    return link.status in OPEN_STATUSES
