"""Short, human messages per event kind, and who should get them. Pure: an event in, a message
and an audience out. Kinds without a template are not subscribed to, so nothing crashes.
A message is Text (shared/i18n.py): it is drawn in each recipient's language when it is sent."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from shared import contracts as c
from shared.i18n import Decimal, Language, Localizable, Plural, Sentences, Text, When

CONTRIBUTION_KINDS = {
    "VOLUNTEER_HOURS": Text("volunteer hours"),
    "MATERIALS": Text("goods and materials"),
    "SERVICES": Text("space and services"),
    "FUNDS": Text("funds"),
}


@dataclass(frozen=True)
class Message:
    title: Localizable
    body: Localizable

    def drawn(self, language: Language) -> Message:
        """The message as one reader reads it: plain strings in their language."""
        return Message(language(self.title), language(self.body))


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


def _names(parties: list[c.MatchParty]) -> Text | str:
    names = [p.name for p in parties]
    if len(names) < 2:
        return "".join(names)
    return Text("%(first)s and %(second)s", first=", ".join(names[:-1]), second=names[-1])


def _partnership(p: c.PartnershipRef, organization_ids: list[str] | None = None) -> Audience:
    organizations = organization_ids or p.organization_ids
    return Audience(p.network_id, p.partnership_id, organizations, network_ids=p.network_ids)


def welcome(e: c.OrganizationRegistered) -> tuple[Message, Audience]:
    network = e.network_name or Text("your network")
    return (
        Message(
            Text("Welcome to %(network)s, %(name)s", network=network, name=e.profile.name),
            Text(
                "%(admin)s, %(name)s is now part of %(network)s. "
                "We will suggest partners whose goals and strengths fit yours.",
                admin=e.admin.name,
                name=e.profile.name,
                network=network,
            ),
        ),
        Audience(e.profile.network_id, e.profile.organization_id, member_ids=[e.admin.member_id]),
    )


def member_joined(e: c.MemberJoined) -> tuple[Message, Audience]:
    return (
        Message(
            Text("Welcome, %(name)s", name=e.member.name),
            Text("You can now follow your organization's partnerships."),
        ),
        Audience(e.network_id, e.organization_id, member_ids=[e.member.member_id]),
    )


def member_removed(e: c.MemberRemoved) -> tuple[Message, Audience]:
    # Sent after the member left the read model: the organization's remaining members hear it.
    return (
        Message(
            Text("%(name)s was removed", name=e.member.name),
            Text(
                "%(name)s (%(email)s) no longer has access to your organization.",
                name=e.member.name,
                email=e.member.email,
            ),
        ),
        Audience(e.network_id, e.organization_id, organization_ids=[e.organization_id]),
    )


def match_suggested(e: c.MatchSuggested) -> tuple[Message, Audience]:
    reason = e.reasons[0] if e.reasons else Text("Your goals and strengths fit")
    return (
        Message(
            Text("New partner suggestion: %(names)s", names=_names(e.parties)),
            Text("%(reason)s. Score %(score)s.", reason=reason, score=Decimal(e.score)),
        ),
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


def _first(reasons: list[str]) -> Text | str:
    return reasons[0] if reasons else Text("Your goals and strengths fit")


def matches_suggested(e: c.MatchesSuggested) -> list[tuple[Message, Audience]]:
    """One message for the organization listing its new partners, each with its first reason;
    one for each partner: at once if the organization entered its top 3, else for the digest."""
    # names and reasons are data (matching writes the reasons), one line each
    lines = "\n".join(
        f"• {p.name}: {p.reasons[0]}." if p.reasons else f"• {p.name}" for p in e.suggestions
    )
    networks = sorted({p.network_id for p in e.suggestions} - {e.network_id})
    out = [
        (
            Message(
                Plural(
                    "%(num)s partner suggestion for %(name)s",
                    "%(num)s partner suggestions for %(name)s",
                    len(e.suggestions),
                    name=e.name,
                ),
                Text("%(partners)s\nAccept or decline each in your matches.", partners=lines),
            ),
            Audience(e.network_id, e.organization_id, [e.organization_id], network_ids=networks),
        )
    ]
    for p in e.suggestions:
        at_once = p.partner_rank <= TOLD_AT_ONCE
        score = Text(
            "%(reason)s. Score %(score)s.", reason=_first(p.partner_reasons), score=Decimal(p.score)
        )
        ranked = Text(
            "%(name)s is now among your top %(top)s suggestions.", name=e.name, top=TOLD_AT_ONCE
        )
        out.append(
            (
                Message(
                    Text("New partner suggestion: %(names)s", names=e.name),
                    Sentences(score, ranked) if at_once else score,
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
        Message(
            Text("%(names)s agreed to partner", names=_names(e.parties)),
            Text("Your partnership is being set up."),
        ),
        Audience(
            e.network_id,
            e.match_id,
            [p.organization_id for p in e.parties],
            network_ids=e.network_ids,
        ),
    )


def partnership_formed(e: c.PartnershipFormed) -> tuple[Message, Audience]:
    goals = "; ".join(e.goals) or Text("shared goals")
    return (
        Message(
            Text("Partnership formed: %(name)s", name=e.partnership.name),
            Text("Goals: %(goals)s.", goals=goals),
        ),
        _partnership(e.partnership),
    )


def commitment(kind: str) -> Callable[[c.CommitmentEvent], tuple[Message, Audience]]:
    # (title, body) of each kind; the body names the commitment, its partnership and `due`
    phrases = {
        "commitment.made": (
            Text("New commitment: %(title)s"),
            Text("“%(title)s” (%(partnership)s) is due %(due)s UTC."),
        ),
        "commitment.fulfilled": (
            Text("Commitment kept: %(title)s"),
            Text("“%(title)s” (%(partnership)s) was done — thank you."),
        ),
        "commitment.due_soon": (
            Text("Due soon: %(title)s"),
            Text("“%(title)s” (%(partnership)s) is due %(due)s UTC."),
        ),
        "commitment.overdue": (
            Text("Overdue: %(title)s"),
            Text("“%(title)s” (%(partnership)s) was due %(due)s UTC and is still open."),
        ),
        "commitment.accepted": (
            Text("Commitment accepted: %(title)s"),
            Text("“%(title)s” (%(partnership)s) was accepted by its owner; due %(due)s UTC."),
        ),
        "commitment.declined": (
            Text("Commitment declined: %(title)s"),
            Text("“%(title)s” (%(partnership)s) was declined by its owner."),
        ),
    }
    proposed = (
        Text("Proposed commitment: %(title)s"),
        Text(
            "“%(title)s” (%(partnership)s) is proposed, due %(due)s UTC: it counts once its "
            "owner organization accepts it."
        ),
    )

    def render(e: c.CommitmentEvent) -> tuple[Message, Audience]:
        title, body = phrases[kind]
        if kind == "commitment.made" and e.status == "proposed":
            title, body = proposed
        named = {"title": e.title, "partnership": e.partnership.name}
        due = When(e.due_at, "MMMEd")
        return (
            Message(title.using(**named), body.using(**named, due=due)),
            _partnership(e.partnership),
        )

    return render


def checkin_due(e: c.CheckInDue) -> tuple[Message, Audience]:
    return (
        Message(
            Text("Time for a check-in: %(name)s", name=e.partnership.name),
            Text("Regular check-ins keep partners in step; record one when you meet."),
        ),
        _partnership(e.partnership),
    )


def milestone_reached(e: c.MilestoneReached) -> tuple[Message, Audience]:
    body = Sentences(f"{e.title}.", e.note, Text("Well done!"))
    return (
        Message(Text("🎉 %(name)s reached a milestone", name=e.partnership.name), body),
        _partnership(e.partnership),
    )


def feedback_received(e: c.FeedbackReceived) -> tuple[Message, Audience]:
    return (
        Message(
            Text("New feedback for %(name)s", name=e.partnership.name),
            Text("Rated %(rating)s/5: “%(comment)s”", rating=e.rating, comment=e.comment)
            if e.comment
            else Text("Rated %(rating)s/5.", rating=e.rating),
        ),
        _partnership(e.partnership),
    )


def checkin_recorded(e: c.CheckInRecorded) -> tuple[Message, Audience]:
    wins = Text("Wins: %(wins)s.", wins="; ".join(e.wins)) if e.wins else ""
    blockers = Text("Blockers: %(blockers)s.", blockers="; ".join(e.blockers)) if e.blockers else ""
    return (
        Message(
            Text("Check-in recorded: %(name)s", name=e.partnership.name),
            Sentences(Text("Partners met."), wins, blockers),
        ),
        _partnership(e.partnership),
    )


def health_changed(e: c.PartnershipHealthChanged) -> tuple[Message, Audience]:
    now = Decimal(e.score)
    return (
        Message(
            Text("Partnership health: %(name)s", name=e.partnership.name),
            Text("Health score is now %(score)s.", score=now)
            if e.previous_score is None
            else Text(
                "Health score is now %(score)s (was %(before)s).",
                score=now,
                before=Decimal(e.previous_score),
            ),
        ),
        _partnership(e.partnership),
    )


def health_warning(e: c.PartnershipHealthWarning) -> tuple[Message, Audience]:
    """Every partner and the network's operator (inbox only: operators have no email); across
    a link, the operators of both networks."""
    p = e.partnership
    networks = sorted({p.network_id, *p.network_ids})
    return (
        Message(Text("Early warning: %(name)s", name=p.name), e.summary),
        Audience(
            p.network_id,
            p.partnership_id,
            organization_ids=p.organization_ids,
            member_ids=[c.operator_member_id(n) for n in networks],
            network_ids=p.network_ids,
        ),
    )


UPDATE_TITLES = {
    "progress": Text("Progress in %(name)s"),
    "setback": Text("A setback in %(name)s"),
    "win": Text("A win in %(name)s"),
}


def update_posted(e: c.PartnershipUpdatePosted) -> tuple[Message, Audience]:
    """The other partners (the poster's organization wrote it)."""
    others = [o for o in e.partnership.organization_ids if o != e.organization_id]
    return (
        Message(UPDATE_TITLES[e.kind.value].using(name=e.partnership.name), e.text),
        _partnership(e.partnership, others),
    )


def community_response(e: c.CommunityResponseReceived) -> tuple[Message, Audience]:
    """The partners of the partnership it counts for; a need's answer that no partnership
    takes up yet goes to the network's coordinator. The contact itself is never in a message
    (email and webhooks would carry it): partners read it in the partnership's page."""
    body = Sentences(
        Text("Rated %(rating)s/5.", rating=e.rating),
        f"“{e.story}”" if e.story else "",
        Text("They left contact details for the partners.") if e.has_contact else "",
    )
    if e.partnership is None:
        return (
            Message(Text("A resident answered about a need"), body),
            Audience(
                e.network_id,
                e.need_id or e.response_id,
                member_ids=[c.operator_member_id(e.network_id)],
            ),
        )
    return (
        Message(Text("The community on %(name)s", name=e.partnership.name), body),
        _partnership(e.partnership),
    )


def contribution_logged(e: c.ContributionLogged) -> tuple[Message, Audience]:
    return (
        Message(
            Text("Contribution to %(name)s", name=e.partnership.name),
            Text(
                "%(quantity)s %(unit)s of %(kind)s logged.",
                quantity=e.quantity,
                unit=e.unit,
                kind=CONTRIBUTION_KINDS.get(e.kind, e.kind.lower().replace("_", " ")),
            ),
        ),
        _partnership(e.partnership),
    )


def webhook_disabled(url: str, reason: str) -> Message:
    """To the members of the organization whose webhook kept failing."""
    return Message(
        Text("A webhook was disabled"),
        Text(
            "%(url)s failed repeatedly (%(reason)s) and was disabled. Once the receiver answers "
            "again, an admin can enable it (enableWebhook); webhookDeliveries shows each attempt.",
            url=url,
            reason=reason,
        ),
    )


def digest(items: list[Message]) -> Message:
    """One email for a day's notifications of a digest member, oldest first (the items as
    they were drawn for the member)."""
    lines = [f"• {item.title}\n  {item.body}" for item in items]
    return Message(
        Plural(
            "Your Commonweave digest: %(num)s update",
            "Your Commonweave digest: %(num)s updates",
            len(items),
        ),
        "\n\n".join(lines),
    )


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
