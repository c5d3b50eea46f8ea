"""Short, human messages per event kind, and who should get them. Pure: an event in, a message
and an audience out. Kinds without a template are not subscribed to, so nothing crashes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from shared import contracts as c


@dataclass(frozen=True)
class Message:
    title: str
    body: str


@dataclass(frozen=True)
class Audience:
    """Every member of these organizations; plus one member directly (the new admin)."""

    network_id: str
    subject_id: str
    organization_ids: list[str] = field(default_factory=list)
    member_ids: list[str] = field(default_factory=list)
    # more networks its organizations may be in: a match or partnership across a link
    network_ids: list[str] = field(default_factory=list)
    # False: no inbox entry and no single email, only a line in the daily digest of the
    # members who take one (news that can wait, such as a lower-ranked partner suggestion)
    at_once: bool = True

    @property
    def networks(self) -> list[str]:
        return sorted({self.network_id, *self.network_ids})


def _names(parties: list[c.MatchParty]) -> str:
    return " and ".join(p.name for p in parties)


def _partnership(p: c.PartnershipRef, organization_ids: list[str] | None = None) -> Audience:
    organizations = organization_ids or p.organization_ids
    return Audience(p.network_id, p.partnership_id, organizations, network_ids=p.network_ids)


def welcome(e: c.OrganizationRegistered) -> tuple[Message, Audience]:
    network = e.network_name or "your network"
    return (
        Message(
            f"Welcome to {network}, {e.profile.name}",
            f"{e.admin.name}, {e.profile.name} is now part of {network}. "
            "We will suggest partners whose goals and strengths fit yours.",
        ),
        Audience(e.profile.network_id, e.profile.organization_id, member_ids=[e.admin.member_id]),
    )


def member_joined(e: c.MemberJoined) -> tuple[Message, Audience]:
    return (
        Message(
            f"Welcome, {e.member.name}", "You can now follow your organization's partnerships."
        ),
        Audience(e.network_id, e.organization_id, member_ids=[e.member.member_id]),
    )


def member_removed(e: c.MemberRemoved) -> tuple[Message, Audience]:
    # Sent after the member left the read model: the organization's remaining members hear it.
    return (
        Message(
            f"{e.member.name} was removed",
            f"{e.member.name} ({e.member.email}) no longer has access to your organization.",
        ),
        Audience(e.network_id, e.organization_id, organization_ids=[e.organization_id]),
    )


def match_suggested(e: c.MatchSuggested) -> tuple[Message, Audience]:
    reason = e.reasons[0] if e.reasons else "your goals and strengths fit"
    return (
        Message(f"New partner suggestion: {_names(e.parties)}", f"{reason}. Score {e.score:.2f}."),
        Audience(
            e.network_id,
            e.match_id,
            [p.organization_id for p in e.parties],
            network_ids=e.network_ids,
        ),
    )


# An organization hears at once of a newcomer suggested to it only when the newcomer is among
# its best this many open suggestions; otherwise it waits in its matches list and digest.
TOLD_AT_ONCE = 3


def _first(reasons: list[str]) -> str:
    return reasons[0] if reasons else "your goals and strengths fit"


def matches_suggested(e: c.MatchesSuggested) -> list[tuple[Message, Audience]]:
    """One message for the organization listing its new partners, each with its first reason;
    one for each partner: at once if the organization entered its top 3, else for the digest."""
    count = len(e.suggestions)
    lines = "\n".join(f"• {p.name}: {_first(p.reasons)}." for p in e.suggestions)
    noun = "suggestion" if count == 1 else "suggestions"
    networks = sorted({p.network_id for p in e.suggestions} - {e.network_id})
    out = [
        (
            Message(
                f"{count} partner {noun} for {e.name}",
                f"{lines}\nAccept or decline each in your matches.",
            ),
            Audience(e.network_id, e.organization_id, [e.organization_id], network_ids=networks),
        )
    ]
    for p in e.suggestions:
        at_once = p.partner_rank <= TOLD_AT_ONCE
        ranked = f" {e.name} is now among your top {TOLD_AT_ONCE} suggestions." if at_once else ""
        out.append(
            (
                Message(
                    f"New partner suggestion: {e.name}",
                    f"{_first(p.partner_reasons)}. Score {p.score:.2f}.{ranked}",
                ),
                Audience(
                    p.network_id,
                    p.match_id,
                    [p.organization_id],
                    network_ids=[e.network_id],
                    at_once=at_once,
                ),
            )
        )
    return out


def match_accepted(e: c.MatchAccepted) -> tuple[Message, Audience]:
    return (
        Message(f"{_names(e.parties)} agreed to partner", "Your partnership is being set up."),
        Audience(
            e.network_id,
            e.match_id,
            [p.organization_id for p in e.parties],
            network_ids=e.network_ids,
        ),
    )


def partnership_formed(e: c.PartnershipFormed) -> tuple[Message, Audience]:
    goals = "; ".join(e.goals) or "shared goals"
    return (
        Message(f"Partnership formed: {e.partnership.name}", f"Goals: {goals}."),
        _partnership(e.partnership),
    )


def commitment(kind: str) -> Callable[[c.CommitmentEvent], tuple[Message, Audience]]:
    phrases = {
        "commitment.made": ("New commitment", "is due {due}"),
        "commitment.fulfilled": ("Commitment kept", "was done — thank you"),
        "commitment.due_soon": ("Due soon", "is due {due}"),
        "commitment.overdue": ("Overdue", "was due {due} and is still open"),
        "commitment.accepted": ("Commitment accepted", "was accepted by its owner; due {due}"),
        "commitment.declined": ("Commitment declined", "was declined by its owner"),
    }
    title, phrase = phrases[kind]

    def render(e: c.CommitmentEvent) -> tuple[Message, Audience]:
        due = e.due_at.strftime("%a %d %b %H:%M UTC")
        if kind == "commitment.made" and e.status == "proposed":
            return (
                Message(
                    f"Proposed commitment: {e.title}",
                    f"“{e.title}” ({e.partnership.name}) is proposed, due {due}: it counts once "
                    "its owner organization accepts it.",
                ),
                _partnership(e.partnership),
            )
        return (
            Message(
                f"{title}: {e.title}",
                f"“{e.title}” ({e.partnership.name}) {phrase.format(due=due)}.",
            ),
            _partnership(e.partnership),
        )

    return render


def checkin_due(e: c.CheckInDue) -> tuple[Message, Audience]:
    return (
        Message(
            f"Time for a check-in: {e.partnership.name}",
            "Regular check-ins keep partners in step; record one when you meet.",
        ),
        _partnership(e.partnership),
    )


def milestone_reached(e: c.MilestoneReached) -> tuple[Message, Audience]:
    note = f" {e.note}" if e.note else ""
    return (
        Message(f"🎉 {e.partnership.name} reached a milestone", f"{e.title}.{note} Well done!"),
        _partnership(e.partnership),
    )


def feedback_received(e: c.FeedbackReceived) -> tuple[Message, Audience]:
    return (
        Message(
            f"New feedback for {e.partnership.name}",
            f"Rated {e.rating}/5" + (f": “{e.comment}”" if e.comment else "."),
        ),
        _partnership(e.partnership),
    )


def checkin_recorded(e: c.CheckInRecorded) -> tuple[Message, Audience]:
    wins = f" Wins: {'; '.join(e.wins)}." if e.wins else ""
    blockers = f" Blockers: {'; '.join(e.blockers)}." if e.blockers else ""
    return (
        Message(f"Check-in recorded: {e.partnership.name}", f"Partners met.{wins}{blockers}"),
        _partnership(e.partnership),
    )


def health_changed(e: c.PartnershipHealthChanged) -> tuple[Message, Audience]:
    before = "" if e.previous_score is None else f" (was {e.previous_score:.2f})"
    return (
        Message(
            f"Partnership health: {e.partnership.name}",
            f"Health score is now {e.score:.2f}{before}.",
        ),
        _partnership(e.partnership),
    )


def health_warning(e: c.PartnershipHealthWarning) -> tuple[Message, Audience]:
    """Every partner and the network's operator (inbox only: operators have no email); across
    a link, the operators of both networks."""
    p = e.partnership
    networks = sorted({p.network_id, *p.network_ids})
    return (
        Message(f"Early warning: {p.name}", e.summary),
        Audience(
            p.network_id,
            p.partnership_id,
            organization_ids=p.organization_ids,
            member_ids=[c.operator_member_id(n) for n in networks],
            network_ids=p.network_ids,
        ),
    )


UPDATE_TITLES = {"progress": "Progress", "setback": "A setback", "win": "A win"}


def update_posted(e: c.PartnershipUpdatePosted) -> tuple[Message, Audience]:
    """The other partners (the poster's organization wrote it)."""
    others = [o for o in e.partnership.organization_ids if o != e.organization_id]
    return (
        Message(f"{UPDATE_TITLES[e.kind.value]} in {e.partnership.name}", e.text),
        _partnership(e.partnership, others),
    )


def community_response(e: c.CommunityResponseReceived) -> tuple[Message, Audience]:
    """The partners of the partnership it counts for; a need's answer that no partnership
    takes up yet goes to the network's coordinator. The contact itself is never in a message
    (email and webhooks would carry it): partners read it in the partnership's page."""
    story = f" “{e.story}”" if e.story else ""
    contact = " They left contact details for the partners." if e.has_contact else ""
    body = f"Rated {e.rating}/5.{story}{contact}"
    if e.partnership is None:
        return (
            Message("A resident answered about a need", body),
            Audience(
                e.network_id,
                e.need_id or e.response_id,
                member_ids=[c.operator_member_id(e.network_id)],
            ),
        )
    return (
        Message(f"The community on {e.partnership.name}", body),
        _partnership(e.partnership),
    )


def contribution_logged(e: c.ContributionLogged) -> tuple[Message, Audience]:
    return (
        Message(
            f"Contribution to {e.partnership.name}",
            f"{e.quantity:g} {e.unit} of {e.kind.lower().replace('_', ' ')} logged.",
        ),
        _partnership(e.partnership),
    )


def webhook_disabled(url: str, reason: str) -> Message:
    """To the members of the organization whose webhook kept failing."""
    return Message(
        "A webhook was disabled",
        f"{url} failed repeatedly ({reason}) and was disabled. Once the receiver answers "
        "again, an admin can enable it (enableWebhook); webhookDeliveries shows each attempt.",
    )


def digest(items: list[Message]) -> Message:
    """One email for a day's notifications of a digest member, oldest first."""
    count = f"{len(items)} update" + ("s" if len(items) != 1 else "")
    lines = [f"• {item.title}\n  {item.body}" for item in items]
    return Message(f"Your Commonweave digest: {count}", "\n\n".join(lines))


# Kinds that tell several audiences different things: a message for each.
MANY: dict[str, Callable[[Any], list[tuple[Message, Audience]]]] = {
    "matches.suggested": matches_suggested,
}


def messages(kind: str, payload: Any) -> list[tuple[Message, Audience]]:
    """Every message an event of `kind` sends, each with its audience (none if not notified)."""
    if kind in MANY:
        return MANY[kind](payload)
    return [TEMPLATES[kind](payload)] if kind in TEMPLATES else []


# Each renderer takes the payload model of its own kind (see shared.contracts.EVENT_TYPES).
Renderer = Callable[[Any], tuple[Message, Audience]]
TEMPLATES: dict[str, Renderer] = {
    "organization.registered": welcome,
    "member.joined": member_joined,
    "member.removed": member_removed,
    "match.suggested": match_suggested,
    "match.accepted": match_accepted,
    "partnership.formed": partnership_formed,
    **{
        kind: commitment(kind)
        for kind in (
            "commitment.made",
            "commitment.fulfilled",
            "commitment.due_soon",
            "commitment.overdue",
            "commitment.accepted",
            "commitment.declined",
        )
    },
    "checkin.due": checkin_due,
    "checkin.recorded": checkin_recorded,
    "milestone.reached": milestone_reached,
    "feedback.received": feedback_received,
    "contribution.logged": contribution_logged,
    "partnership.health_changed": health_changed,
    "partnership.health_warning": health_warning,
    "partnership.update_posted": update_posted,
    "community.response_received": community_response,
}
