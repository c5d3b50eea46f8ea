"""The API's enum values and fixed labels as a page says them, in the reader's language
(`{{ word(c.status) }}`): statuses, health labels, contribution kinds, score parts."""

from __future__ import annotations

from shared.i18n import Text

WORDS: dict[str, Text] = {
    # partnerships
    "FORMING": Text("forming"),
    "ACTIVE": Text("active"),
    "PAUSED": Text("paused"),
    "CLOSED": Text("closed"),
    # commitments
    "PROPOSED": Text("proposed"),
    "OPEN": Text("open"),
    "DONE": Text("kept"),
    "MISSED": Text("missed"),
    "CANCELLED": Text("cancelled"),
    "DECLINED": Text("declined"),
    # matches
    "SUGGESTED": Text("suggested"),
    "ACCEPTED": Text("accepted"),
    # a trend of health
    "IMPROVING": Text("improving"),
    "STEADY": Text("steady"),
    "DECLINING": Text("declining"),
    # who is signed in
    "OPERATOR": Text("operator"),
    "ORG_ADMIN": Text("org admin"),
    "MEMBER": Text("member"),
    # a link between networks
    "ENDED": Text("ended"),
    # health (the commitments service's labels)
    "thriving": Text("thriving"),
    "steady": Text("steady"),
    "at risk": Text("at risk"),
    "new": Text("new"),
    # contributions
    "VOLUNTEER_HOURS": Text("volunteer hours"),
    "MATERIALS": Text("goods and materials"),
    "SERVICES": Text("space and services"),
    "FUNDS": Text("funds"),
    # resources
    "FUNDING": Text("funding"),
    "VOLUNTEERS": Text("volunteers"),
    "OUTREACH": Text("outreach"),
    "VENUE": Text("venue"),
    "EXPERTISE": Text("expertise"),
    "TRANSPORT": Text("transport"),
    "COUNSELING": Text("counseling"),
    "MENTORING": Text("mentoring"),
    "OTHER": Text("other"),
    # the parts of a partnership's health
    "follow_through": Text("follow-through"),
    "check_in_regularity": Text("regular check-ins"),
    "feedback": Text("feedback"),
    "engagement": Text("engagement"),
    # the parts of a match's score
    "shared_goals": Text("shared goals"),
    "complementarity": Text("complementary resources"),
    "reach": Text("reach"),
    "schedule_fit": Text("schedule fit"),
    "reliability": Text("reliability"),
    "inclusivity": Text("inclusivity"),
}


def word(value: str | None) -> Text | str:
    """The value's words, or the value itself as the API gave it (lower case, no
    underscores) when it has none yet."""
    if value is None:
        return ""
    found = WORDS.get(value) or WORDS.get(value.upper())
    return found if found is not None else value.replace("_", " ").lower()


# what a page says after a form did its work (`?done=<what>`)
DONE: dict[str, Text] = {
    "answered": Text("Your answer has been sent"),
    "need": Text("The need has been reported"),
    "commitments": Text("The commitment has been recorded"),
    "check-ins": Text("The check-in has been logged"),
    "milestones": Text("The milestone has been recorded"),
    "contributions": Text("The contribution has been logged"),
    "feedback": Text("Thank you for your feedback"),
    "closed": Text("The commitment has been closed"),
    "introduced": Text("The organizations have been introduced to each other"),
    "rotated": Text("The join code has been changed; the old one no longer works"),
    "preferences": Text("Your choices have been saved"),
    "saved": Text("The profile has been saved"),
    "language": Text("Your language has been saved"),
    "updates": Text("Your update has been posted"),
}
