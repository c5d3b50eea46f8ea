"""Top partners from a shortlist (bounds without the missions' cosines, then exact scores)
are those of scoring every row: the same partners in the same order, ties included, on
seeded random networks with links, archived organizations, known reliabilities and several
weightings."""

from __future__ import annotations

import random
from datetime import date
from functools import partial

import numpy as np
import pytest

from services.matching.domain import bounds as bounds_module
from services.matching.domain.bounds import bounds, shortlist
from services.matching.domain.index import ProfileIndex
from services.matching.domain.scoring import (
    best,
    candidates,
    components,
    top_partners,
    total,
)
from services.matching.domain.weights import Weights
from services.matching.service import weights_from
from shared.contracts import AvailabilityWindow, OrganizationProfile, Resource
from shared.settings import Settings

MONDAY = date(2025, 1, 6)
DEFAULTS = weights_from(Settings(_env_file=None))
WEIGHTINGS = [
    DEFAULTS,
    Weights(1.0, 0.0, 0.0, 0.0, 0.0, 0.0),  # the mission decides most
    Weights(0.1, 0.5, 0.3, 0.3, 0.2, 0.0),
    Weights(0.0, 0.0, 0.0, 0.0, 0.0, 0.0),  # every score zero: ties everywhere
]
WORDS = ["youth", "education", "health", "food", "housing", "seniors", "arts", "jobs", "water"]
ZONES = ["America/New_York", "America/Los_Angeles", "Europe/London", "Asia/Tokyo", "UTC"]
DAYS = ["Monday", "Tuesday", "Wednesday"]


def network(seed: int, size: int) -> tuple[ProfileIndex, list[str]]:
    """Small vocabularies, so many organizations tie; three networks, two linked."""
    rng = random.Random(seed)

    def some(prefix: str, vocabulary: int, most: int) -> list[str]:
        return [f"{prefix} {i}" for i in rng.sample(range(vocabulary), rng.randint(0, most))]

    profiles = []
    for i in range(size):
        start = rng.randrange(6, 20)
        profiles.append(
            OrganizationProfile(
                organization_id=f"org_{i}",
                network_id=rng.choice(["net_a", "net_a", "net_b", "net_c"]),
                version=1,
                name=f"Organization {i}",
                mission=" ".join(rng.choices(WORDS, k=rng.randint(0, 6))),
                focus_areas=some("focus", 6, 2),
                values=some("value", 4, 2),
                offers=[Resource(kind=k) for k in some("kind", 5, 2)],
                needs=[Resource(kind=k) for k in some("kind", 5, 2)],
                region=rng.choice(["", "north", "south"]),
                time_zone=rng.choice(ZONES),
                availability=[
                    AvailabilityWindow(day=rng.choice(DAYS), start=f"{start}:00", end="21:00")
                    for _ in range(rng.randint(0, 2))
                ],
                populations_served=some("population", 4, 2),
                virtual_ready=rng.random() < 0.5,
                open_to_other_networks=rng.random() < 0.5,
                archived=rng.random() < 0.05,
            )
        )
    # twins: exact ties of every component, mission included
    profiles += [p.model_copy(update={"organization_id": f"twin_{i}"}) for i, p in
                 enumerate(profiles[:30])]  # fmt: skip
    index = ProfileIndex(MONDAY)
    index.put_many(profiles[: size // 2])
    index.mission.compact()
    index.put_many(profiles[size // 2 :])  # some rows wait in the mission index's pending
    index.link("net_a", "net_b")
    for p in rng.sample(profiles, len(profiles) // 5):
        index.set_reliability(p.organization_id, rng.random())
    return index, [p.organization_id for p in profiles]


def exhaustive(
    index: ProfileIndex,
    organization_id: str,
    weights: Weights,
    limit: int,
    exclude: list[str],
    min_score: float,
) -> list[str]:
    """Every candidate scored exactly (what `top_partners` did before its shortlist)."""
    row = index.rows[organization_id]
    every = np.flatnonzero(candidates(index, row, exclude))
    scores = total(components(index, row), weights)[every]
    chosen = best(every, scores, min(limit, len(every)))
    return [index.ids[every[at]] for at in chosen if scores[at] >= max(min_score, 0.0)]


def exact_scores(index: ProfileIndex, row: int, weights: Weights, rows: np.ndarray) -> np.ndarray:
    return total(components(index, row, rows), weights)


@pytest.fixture
def small_thresholds(monkeypatch: pytest.MonkeyPatch) -> None:
    """Shortlists from a few hundred organizations, seeds from a sample of 64 rows."""
    monkeypatch.setattr(bounds_module, "SHORTLIST_FROM", 0)
    monkeypatch.setattr(bounds_module, "SEEDS", 8)
    monkeypatch.setattr(bounds_module, "SAMPLE", 64)


@pytest.mark.usefixtures("small_thresholds")
@pytest.mark.parametrize("seed", range(6))
def test_the_shortlists_top_partners_are_every_rows(seed: int) -> None:
    index, ids = network(seed, 400)
    rng = random.Random(seed)
    pruned = 0
    for organization_id in rng.sample(ids, 25):
        if not index.active[index.rows[organization_id]]:
            assert top_partners(index, organization_id, DEFAULTS) == []
            continue
        weights = rng.choice(WEIGHTINGS)
        limit = rng.choice([1, 3, 10, 25])
        exclude = rng.sample(ids, 3)
        min_score = rng.choice([0.0, 0.0, 0.25])
        found = top_partners(index, organization_id, weights, limit, exclude, min_score)
        expected = exhaustive(index, organization_id, weights, limit, exclude, min_score)
        assert [s.partner_id for s in found] == expected, (seed, organization_id, weights)
        row = index.rows[organization_id]
        mask = candidates(index, row, exclude)
        listed = shortlist(
            mask,
            min(limit, int(mask.sum())),
            partial(bounds, index, row, weights),
            partial(exact_scores, index, row, weights),
        )
        pruned += len(listed) < mask.sum()
    assert pruned  # the shortlist left rows out: the comparison tested something


def test_a_bound_is_never_below_its_rows_exact_score() -> None:
    index, ids = network(11, 600)
    for organization_id in random.Random(11).sample(ids, 40):
        row = index.rows[organization_id]
        for weights in WEIGHTINGS:
            exact = total(components(index, row), weights)
            assert (bounds(index, row, weights) >= exact).all()


def test_ties_rank_the_older_organization_first() -> None:
    index, _ = network(5, 100)
    found = top_partners(index, "org_0", Weights(0, 0, 0, 0, 0, 0), limit=5)
    rows = [index.rows[s.partner_id] for s in found]
    assert rows == sorted(rows)
    assert {s.score for s in found} == {0.0}


def test_a_large_network_with_the_real_thresholds() -> None:
    index, ids = network(21, 6000)
    for organization_id in random.Random(21).sample(ids, 10):
        found = top_partners(index, organization_id, DEFAULTS, 10)
        expected = exhaustive(index, organization_id, DEFAULTS, 10, [], 0.0)
        assert [s.partner_id for s in found] == expected
