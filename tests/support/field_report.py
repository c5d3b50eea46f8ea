"""The field report's organizations as matching's unit tests use them: the situations the
report describes (outreach and a funder, a bakery and a school, counselors and a community
center, a conservation group and a high school) plus plausible distractors, and the mental
health need the neighborhood survey reported."""

from __future__ import annotations

from datetime import date
from typing import Any

from services.matching.domain.index import ProfileIndex
from shared.contracts import AvailabilityWindow, NeedProfile, OrganizationProfile, Resource

NET = "net_eval"


def org(key: str, name: str, **fields: Any) -> OrganizationProfile:
    fields["offers"] = [Resource(kind=k) for k in fields.get("offers", [])]
    fields["needs"] = [Resource(kind=k) for k in fields.get("needs", [])]
    fields["availability"] = [
        AvailabilityWindow(day=d, start=s, end=e) for d, s, e in fields.get("availability", [])
    ]
    fields.setdefault("region", "Riverside County")
    fields.setdefault("time_zone", "America/Chicago")
    return OrganizationProfile(
        organization_id=f"org_{key}", network_id=NET, version=1, name=name, **fields
    )


EVENINGS = [("Tuesday", "17:00", "20:00"), ("Thursday", "17:00", "20:00")]
MORNINGS = [("Monday", "08:00", "12:00"), ("Wednesday", "08:00", "12:00")]

ORGANIZATIONS = [
    org(
        "outreach",
        "Neighbors United",
        mission="Door-to-door outreach connecting families with health resources",
        focus_areas=["community health"],
        values=["equity", "trust"],
        offers=["outreach", "volunteers"],
        needs=["funding"],
        populations_served=["families"],
        availability=EVENINGS,
    ),
    org(
        "funder",
        "Riverside Community Foundation",
        mission="Grants that strengthen community health and family wellbeing",
        focus_areas=["community health"],
        values=["equity"],
        offers=["funding"],
        needs=["outreach"],
        populations_served=["families"],
        availability=EVENINGS,
    ),
    org(
        "bakery",
        "Main Street Bakery",
        mission="A local business supporting education through mentorship of young people",
        focus_areas=["youth education"],
        values=["uplifting youth"],
        offers=["mentorship"],
        needs=["volunteers"],
        populations_served=["youth"],
        availability=MORNINGS,
    ),
    org(
        "school",
        "Lincoln Elementary Parent Engagement Program",
        mission="Engaging parents in their children's education",
        focus_areas=["youth education", "parental engagement"],
        values=["uplifting youth"],
        offers=["venue"],
        needs=["mentorship"],
        populations_served=["youth", "parents"],
        availability=MORNINGS,
    ),
    org(
        "counselors",
        "Eastside Counseling Collective",
        mission="Licensed counselors offering mental health support to residents",
        focus_areas=["mental health"],
        values=["dignity"],
        offers=["counseling"],
        needs=["venue"],
        populations_served=["residents", "teens"],
        availability=EVENINGS,
    ),
    org(
        "center",
        "Eastside Community Center",
        mission="A neighborhood hub responding to what "
        "residents tell us in our survey, including mental health support",
        focus_areas=["mental health", "community health"],
        values=["dignity"],
        offers=["venue"],
        needs=["counseling"],
        populations_served=["residents"],
        availability=EVENINGS,
    ),
    org(
        "greenleaf",
        "GreenLeaf Conservation",
        mission="Environmental conservation and recycling education for sustainable communities",
        focus_areas=["environment", "recycling"],
        values=["sustainability"],
        offers=["environmental education"],
        needs=["school access"],
        populations_served=["students"],
        availability=MORNINGS,
    ),
    org(
        "highschool",
        "Jefferson High School Green Club",
        mission="Students starting a recycling program in our schools",
        focus_areas=["recycling", "youth education"],
        values=["sustainability"],
        offers=["school access", "volunteers"],
        needs=["environmental education"],
        populations_served=["students"],
        availability=MORNINGS,
    ),
    # distractors: plausible neighbours that share a region, a resource or a word
    org(
        "arts",
        "Riverside Arts Council",
        mission="Funding local artists and murals",
        focus_areas=["arts"],
        offers=["funding"],
        needs=["venue"],
        availability=EVENINGS,
    ),
    org(
        "foodbank",
        "Harvest Food Bank",
        mission="Fighting hunger with food distribution",
        focus_areas=["food security"],
        offers=["food", "volunteers"],
        needs=["transport"],
        populations_served=["families"],
    ),
    org(
        "league",
        "Westside Youth Soccer",
        mission="Soccer for kids after school",
        focus_areas=["sports"],
        offers=["coaching"],
        needs=["fields"],
        populations_served=["youth"],
    ),
    org(
        "seniors",
        "Golden Years Senior Center",
        mission="Activities and meals for seniors",
        focus_areas=["aging"],
        offers=["venue", "meals"],
        needs=["transport"],
        populations_served=["seniors"],
    ),
    org(
        "bootcamp",
        "CodeBridge",
        mission="Coding bootcamp for adults changing careers",
        focus_areas=["workforce"],
        offers=["training"],
        needs=["funding"],
        populations_served=["adults"],
        region="Lake County",
        virtual_ready=True,
    ),
    org(
        "library",
        "Riverside Public Library",
        mission="Books, literacy and a place to meet",
        focus_areas=["literacy"],
        offers=["venue", "outreach"],
        needs=["volunteers"],
    ),
    org(
        "clinic",
        "Northside Free Clinic",
        mission="Primary care for uninsured residents",
        focus_areas=["health care"],
        offers=["medical care"],
        needs=["funding", "volunteers"],
        populations_served=["residents"],
        region="Lake County",
    ),
    org(
        "parks",
        "Friends of the Parks",
        mission="Cleaning up parks and planting trees",
        focus_areas=["environment"],
        offers=["volunteers"],
        needs=["tools"],
    ),
]

MENTAL_HEALTH_NEED = NeedProfile(
    need_id="need_mh", network_id=NET, version=1, title="Mental health support",
    description="The neighborhood survey asks for counseling close to home",
    focus_area="mental health", area="Eastside", severity=4,
    required_resources=["counseling", "venue"], affected_populations=["residents"],
)  # fmt: skip


# the reference week of the indexes the tests build (a fixed one: the same hours every run)
MONDAY = date(2025, 1, 6)


def field_report_index() -> ProfileIndex:
    """A matching index holding every organization above."""
    index = ProfileIndex(MONDAY)
    index.put_many(ORGANIZATIONS)
    return index
