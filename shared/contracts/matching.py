"""Events published by matching: suggestions and answers to them."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from shared.contracts.base import Payload


class MatchStatus(StrEnum):
    SUGGESTED = "SUGGESTED"
    ACCEPTED = "ACCEPTED"
    DECLINED = "DECLINED"


class MatchDecision(StrEnum):
    ACCEPT = "ACCEPT"
    DECLINE = "DECLINE"


class ScoreComponent(Payload):
    name: str
    score: float
    weight: float


class MatchParty(Payload):
    organization_id: str
    name: str


class MatchSuggested(Payload):
    match_id: str
    network_id: str
    parties: list[MatchParty]
    score: float
    components: list[ScoreComponent] = []
    reasons: list[str] = []
    need_id: str | None = None
    # both parties' networks when the match is across a link between networks
    network_ids: list[str] = []


class SuggestedPartner(Payload):
    """One new partner in `MatchesSuggested` (its pair is a match of its own, `match_id`)."""

    match_id: str
    organization_id: str
    name: str
    network_id: str
    score: float
    reasons: list[str] = []  # what the organization reads about this partner, most telling first
    partner_reasons: list[str] = []  # what this partner reads about the organization
    # where the organization now stands among this partner's open suggestions, best first
    # (1 = its best; a tie goes to the suggestions it already had)
    partner_rank: int


class MatchesSuggested(Payload):
    """The partners newly suggested to one organization when its profile arrived or changed:
    one event for all of them, however many (each pair is also stored as its own match)."""

    organization_id: str
    name: str
    network_id: str
    suggestions: list[SuggestedPartner]


class MatchAccepted(Payload):
    """Carries what commitments needs to form the partnership without calling back."""

    match_id: str
    network_id: str
    parties: list[MatchParty]
    score: float
    reasons: list[str] = []
    need_id: str | None = None
    # organization_id -> resource kinds it offers, for suggested roles
    offers: dict[str, list[str]] = {}
    time_zone: str = "UTC"
    # both parties' networks when the match is across a link between networks
    network_ids: list[str] = []


class MatchDeclined(Payload):
    match_id: str
    network_id: str
    parties: list[MatchParty]
    declined_by: str
    reason: str = ""


# What matching's internal routes answer and the gateway reads.


class PartyAnswer(Payload):
    decision: MatchDecision
    reason: str = ""
    at: datetime | None = None


class MatchView(Payload):
    """A match; `reasons` holds the sentences written for each party (the gateway shows the
    reader's)."""

    id: str
    network_id: str
    network_ids: list[str] = []  # both parties' networks when it is across a link
    organization_ids: list[str]
    parties: list[MatchParty]
    score: float
    components: list[ScoreComponent] = []
    reasons: dict[str, list[str]] = {}
    status: MatchStatus
    answers: dict[str, PartyAnswer] = {}
    need_id: str | None = None
    created_at: datetime
    introduced_by: str | None = None  # the operator's member id when an introduction
    note: str = ""  # the operator's note of an introduction


class CoalitionMember(Payload):
    organization_id: str
    name: str
    covers: list[str]  # the need's required resources it offers, as matching labels them
    alignment: float


class Coalition(Payload):
    members: list[CoalitionMember]
    score: float
    uncovered_resources: list[str] = []


class Coalitions(Payload):
    """Coalitions for a need, best first (`network_id`: the need's, when matching holds it)."""

    need_id: str
    network_id: str | None = None
    coalitions: list[Coalition] = []


EVENTS: dict[str, type[Payload]] = {
    "match.suggested": MatchSuggested,
    "matches.suggested": MatchesSuggested,
    "match.accepted": MatchAccepted,
    "match.declined": MatchDeclined,
}
