"""The focus-area vocabulary: synonyms map to one code, unknown terms stay as free tags."""

from __future__ import annotations

import pytest

from services.intake.domain import OrganizationInput, new_organization
from services.intake.domain.vocabulary import FOCUS_AREAS, classify, focus_code, need_focus


@pytest.mark.parametrize(
    ("term", "code"),
    [
        ("environment", "environment"),
        ("Environmental Conservation", "environment"),
        ("sustainability", "environment"),
        ("  Recycling! ", "environment"),
        ("mental health", "mental_health"),
        ("Counseling", "mental_health"),
        ("wellbeing", "mental_health"),
        ("well-being", "mental_health"),
        ("youth education", "youth_education"),
        ("after-school tutoring", None),
        ("tutoring", "youth_education"),
        ("Literacy", "literacy"),
        ("food security", "food_security"),
        ("food banks", "food_security"),
        ("housing", "housing"),
        ("public health", "health"),
        ("community health", None),
        ("arts", "arts"),
        ("employment", "employment"),
        ("parental engagement", "parental_engagement"),
        ("mental_health", "mental_health"),
        ("sports", None),
    ],
)
def test_terms_map_to_their_code(term: str, code: str | None) -> None:
    assert focus_code(term) == code


def test_every_code_and_label_maps_to_itself() -> None:
    for code, (label, _) in FOCUS_AREAS.items():
        assert focus_code(code) == code
        assert focus_code(label) == code


def test_no_synonym_is_claimed_by_two_codes() -> None:
    seen: dict[str, str] = {}
    for code, (_, synonyms) in FOCUS_AREAS.items():
        for synonym in synonyms.split("|"):
            assert seen.setdefault(synonym, code) == code, synonym


def test_unknown_terms_are_kept_as_free_tags_in_order_without_duplicates() -> None:
    terms = classify(["Recycling", "sustainability", "Sports", "sports ", "counseling"])
    assert terms.codes == ["environment", "mental_health"]
    assert terms.free_tags == ["sports"]


def test_a_need_keeps_an_unknown_focus_area_normalized() -> None:
    assert need_focus("Street Lighting") == "public_safety"
    assert need_focus("  Dog   Parks ") == "dog parks"


def test_a_registered_profile_carries_codes_and_free_tags() -> None:
    profile = new_organization(
        OrganizationInput(
            network_id="net_1",
            name="GreenLeaf",
            focus_areas=["recycling", "environmental conservation", "beekeeping"],
            admin={"name": "Ann", "email": "ann@greenleaf.org"},  # type: ignore[arg-type]
        )
    )
    assert profile.focus_areas == ["environment"]
    assert profile.free_tags == ["beekeeping"]
