"""Events published by matching: suggestions and answers to them."""

from __future__ import annotations

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


class MatchDeclined(Payload):
    match_id: str
    network_id: str
    parties: list[MatchParty]
    declined_by: str
    reason: str = ""


EVENTS: dict[str, type[Payload]] = {
    "match.suggested": MatchSuggested,
    "match.accepted": MatchAccepted,
    "match.declined": MatchDeclined,
}
