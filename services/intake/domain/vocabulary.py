"""The focus-area controlled vocabulary: what people write ("recycling", "counseling",
"after-school tutoring") mapped to one code per area (`environment`, `mental_health`,
`youth_education`). Unknown terms are not rejected: they stay as free tags.

Matching compares focus codes and free tags as plain labels, so two organizations that wrote
"sustainability" and "recycling" now share `environment` (its reasons read codes as words).
A specific compound ("community health") stays a free tag rather than being widened to a
broad code, so organizations that chose the same words still match on exactly them."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

# code: (label, synonyms separated by "|"); synonyms are matched after normalization.
FOCUS_AREAS: dict[str, tuple[str, str]] = {
    "environment": (
        "Environment",
        "environmental|environmental conservation|conservation|sustainability|recycling|"
        "climate|climate action|green spaces|parks|river cleanup|clean water|"
        "waste reduction|nature",
    ),
    "mental_health": (
        "Mental health",
        "counseling|counselling|wellbeing|well being|emotional support|therapy|"
        "suicide prevention|stress|anxiety|behavioral health",
    ),
    "health": (
        "Health",
        "public health|healthcare|health care|medical|clinic|nutrition|wellness|physical health",
    ),
    "youth_education": (
        "Youth education",
        "education|schools|school|tutoring|after school|afterschool|homework help|stem|"
        "youth|mentorship|mentoring|early childhood",
    ),
    "literacy": (
        "Literacy",
        "reading|adult literacy|adult education|esl|english classes|language learning|"
        "libraries|books",
    ),
    "food_security": (
        "Food security",
        "food|hunger|food bank|food pantry|pantry|meals|groceries|food insecurity|community garden",
    ),
    "housing": (
        "Housing",
        "homelessness|affordable housing|shelter|rent|eviction|tenants|housing insecurity",
    ),
    "arts": (
        "Arts and culture",
        "art|arts and culture|culture|music|theater|theatre|dance|museums|creative",
    ),
    "employment": (
        "Employment",
        "jobs|job training|workforce|workforce development|careers|unemployment|"
        "job seekers|skills training",
    ),
    "parental_engagement": (
        "Parental engagement",
        "parents|parent engagement|parenting|family engagement|families|family support",
    ),
    "seniors": ("Older adults", "elderly|older adults|aging|senior care|seniors support"),
    "public_safety": (
        "Public safety",
        "safety|crime|crime prevention|violence prevention|traffic safety|street lighting",
    ),
    "transportation": ("Transportation", "transport|transit|bus service|public transit|rides"),
}


def normalize_term(term: str) -> str:
    """ "  Environmental-Conservation! " -> "environmental conservation"."""
    return " ".join(re.sub(r"[^\w]+", " ", term.lower().replace("_", " ")).split())


@lru_cache(maxsize=1)
def _lookup() -> dict[str, str]:
    table: dict[str, str] = {}
    for code, (label, synonyms) in FOCUS_AREAS.items():
        for term in (code, label, *synonyms.split("|")):
            table[normalize_term(term)] = code
    return table


@lru_cache(maxsize=4096)
def focus_code(term: str) -> str | None:
    """The code of a known focus area, or None for a term outside the vocabulary. A plural
    ("schools", "parks") or a trailing "s" difference still maps."""
    key = normalize_term(term)
    table = _lookup()
    if key in table:
        return table[key]
    if key.endswith("s") and key[:-1] in table:
        return table[key[:-1]]
    return table.get(f"{key}s")


def label_of(code: str) -> str:
    """The readable label of a code; a free tag reads as itself."""
    known = FOCUS_AREAS.get(code)
    return known[0] if known else code


@dataclass(frozen=True)
class FocusTerms:
    codes: list[str]
    free_tags: list[str]


def classify(terms: list[str]) -> FocusTerms:
    """Known terms become codes (each once, in the order given); the rest stay as free tags
    (normalized, each once)."""
    codes: list[str] = []
    free: list[str] = []
    for term in terms:
        code = focus_code(term)
        if code is not None:
            if code not in codes:
                codes.append(code)
        elif (tag := normalize_term(term)) and tag not in free:
            free.append(tag)
    return FocusTerms(codes, free)


def need_focus(term: str) -> str:
    """A need has one focus area: its code, or the normalized term when it is unknown."""
    return focus_code(term) or normalize_term(term)


@lru_cache(maxsize=1)
def _mention_pattern() -> re.Pattern[str]:
    terms = sorted(_lookup(), key=len, reverse=True)
    return re.compile(r"\b(" + "|".join(re.escape(t) for t in terms) + r")s?\b")


def mentioned_codes(text: str) -> list[str]:
    """The codes of the focus areas a text names (any of their terms, as whole words), in the
    order they first appear: "meals and housing for families" -> food_security, housing,
    parental_engagement."""
    codes: list[str] = []
    for match in _mention_pattern().finditer(normalize_term(text)):
        code = _lookup()[match.group(1)]
        if code not in codes:
            codes.append(code)
    return codes
