"""Scores of one organization against every other in its network, as named weighted
components, and the plain sentences that explain a pair."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, fields
from typing import Any

import numpy as np
from numpy.typing import NDArray

from services.matching.domain.index import ProfileIndex
from services.matching.domain.schedule import describe_overlap

Vector = NDArray[np.float32]
FULL_SCHEDULE_HOURS = 4  # this many shared hours a week is a perfect schedule fit
WORKDAY_HOURS = 8


@dataclass(frozen=True)
class Weights:
    """Of each score component (normalised by their sum). Their defaults are settings
    (`match_weight_<name>`, shared/settings.py), written there only."""

    shared_goals: float
    complementarity: float
    reach: float
    schedule_fit: float
    reliability: float
    inclusivity: float

    def items(self) -> list[tuple[str, float]]:
        return [(f.name, float(getattr(self, f.name))) for f in fields(self)]


@dataclass(frozen=True)
class Component:
    name: str
    score: float
    weight: float


@dataclass(frozen=True)
class Suggestion:
    organization_id: str
    partner_id: str
    score: float
    components: list[Component]
    reasons: dict[str, list[str]]  # organization id -> the sentences it reads


def _ratio(top: NDArray[Any], bottom: NDArray[Any]) -> Vector:
    out = np.zeros(len(top), dtype=np.float32)
    np.divide(top, bottom, out=out, where=bottom > 0, casting="unsafe")
    return out


def _dice(index: ProfileIndex, name: str, row: int, n: int) -> Vector:
    sets = index.sets[name]
    common = sets.common(sets.data[row], n)
    return _ratio(2 * common, sets.sizes[:n] + sets.sizes[row])


def components(index: ProfileIndex, row: int) -> dict[str, Vector]:
    """Each component of `row` paired with every row, in [0, 1]; symmetric in the pair."""
    n = len(index)
    offers, needs, hours = index.sets["offers"], index.sets["needs"], index.hours
    mission = index.mission.similarity(index.mission.query_row(row), n)
    shared = (
        0.45 * _dice(index, "focus", row, n)
        + 0.20 * _dice(index, "values", row, n)
        + 0.35 * np.clip(mission, 0, 1)
    )
    they_give = _ratio(offers.common(needs.data[row], n), np.full(n, needs.sizes[row]))
    we_give = _ratio(needs.common(offers.data[row], n), needs.sizes[:n])
    sides = (needs.sizes[:n] > 0).astype(np.float32) + float(needs.sizes[row] > 0)
    complementarity = _ratio(they_give + we_give, sides)
    apart = np.abs(index.offset[:n] - index.offset[row])
    apart = np.minimum(apart, 24 - apart)
    same_region = (index.region[:n] == index.region[row]) & (index.region[row] >= 0)
    both_virtual = index.virtual[:n] & index.virtual[row]
    tz_overlap = np.clip((WORKDAY_HOURS - apart) / WORKDAY_HOURS, 0, 1)
    reach = np.where(same_region, 1.0, np.where(both_virtual, tz_overlap, 0.0))
    shared_hours = hours.common(hours.data[row], n)
    unknown = (hours.sizes[:n] == 0) | (hours.sizes[row] == 0)
    schedule = np.where(unknown, 0.5, np.minimum(shared_hours / FULL_SCHEDULE_HOURS, 1.0))
    reliability = (index.reliability[:n] + index.reliability[row]) / 2
    return {
        "shared_goals": shared.astype(np.float32),
        "complementarity": complementarity,
        "reach": reach.astype(np.float32),
        "schedule_fit": schedule.astype(np.float32),
        "reliability": reliability.astype(np.float32),
        "inclusivity": _dice(index, "populations", row, n),
    }


def total(parts: dict[str, Vector], weights: Weights) -> Vector:
    items = weights.items()
    weight_sum = sum(w for _, w in items) or 1.0
    return sum((parts[name] * w for name, w in items), np.zeros(1, np.float32)) / weight_sum


def candidates(index: ProfileIndex, row: int, exclude: Iterable[str] = ()) -> NDArray[np.bool_]:
    """Who `row` may be suggested: the active organizations of its own network, and across
    each active link of its network the ones that, like `row`, opted in and work virtually."""
    n = len(index)
    mask = index.active[:n] & (index.network[:n] == index.network[row])
    linked = index.linked_networks(row)
    if linked and index.across_networks(row):
        across = np.isin(index.network[:n], linked) & index.open[:n] & index.virtual[:n]
        mask |= across & index.active[:n]
    mask[row] = False
    for organization_id in exclude:
        other = index.row_of(organization_id)
        if other is not None:
            mask[other] = False
    return mask


def top_partners(
    index: ProfileIndex,
    organization_id: str,
    weights: Weights,
    limit: int = 10,
    exclude: Iterable[str] = (),
    min_score: float = 0.0,
) -> list[Suggestion]:
    """The best `limit` partners for one organization, best first, each explained."""
    row = index.row_of(organization_id)
    if row is None or not index.active[row]:
        return []
    parts = components(index, row)
    scores = np.where(candidates(index, row, exclude), total(parts, weights), -1.0)
    k = min(limit, len(scores))
    if k <= 0:
        return []
    best = np.argpartition(-scores, k - 1)[:k]
    best = best[np.argsort(-scores[best], kind="stable")]
    return [
        suggestion(index, row, int(other), parts, weights)
        for other in best
        if scores[other] >= max(min_score, 0.0)
    ]


def suggestion(
    index: ProfileIndex, row: int, other: int, parts: dict[str, Vector], weights: Weights
) -> Suggestion:
    comps = [Component(name, round(float(parts[name][other]), 4), w) for name, w in weights.items()]
    weight_sum = sum(c.weight for c in comps) or 1.0
    score = round(sum(c.score * c.weight for c in comps) / weight_sum, 4)
    mine, theirs = index.ids[row], index.ids[other]
    return Suggestion(
        mine,
        theirs,
        score,
        comps,
        {mine: reasons(index, row, other), theirs: reasons(index, other, row)},
    )


def join(items: list[str]) -> str:
    items = items[:3]
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def reasons(index: ProfileIndex, reader: int, other: int) -> list[str]:
    """What `reader` is told about `other`, most telling first."""
    name = index.names[other]
    out: list[str] = []

    def common(kind: str) -> list[str]:
        theirs = set(index.labels(kind, other))
        return [x for x in index.labels(kind, reader) if x in theirs]

    if focus := common("focus"):
        # focus codes from intake's vocabulary read as words: mental_health -> mental health
        out.append(f"Both work on {join([f.replace('_', ' ') for f in focus])}")
    gives = [k for k in index.labels("offers", other) if k in set(index.labels("needs", reader))]
    if gives:
        out.append(f"{name} offers {join(gives)}, which you need")
    takes = [k for k in index.labels("needs", other) if k in set(index.labels("offers", reader))]
    if takes:
        out.append(f"You offer {join(takes)}, which {name} needs")
    if values := common("values"):
        out.append(f"You share the values {join(values)}")
    if populations := common("populations"):
        out.append(f"Both serve {join(populations)}")
    shared_hours = set(index.hours.row(reader)) & set(index.hours.row(other))
    region = index.region[reader]
    if index.network[reader] != index.network[other]:
        out.append(across_networks(index, other, len(shared_hours)))
    elif region >= 0 and region == index.region[other]:
        out.append(f"Both are based in {index.regions.labels[region].title()}")
    elif index.virtual[reader] and index.virtual[other]:
        out.append("Both are ready to collaborate virtually")
    if sentence := describe_overlap(shared_hours, index.time_zones[reader], index.monday):
        out.append(sentence)
    if index.reliability_known[other] and index.reliability[other] >= 0.7:
        out.append(f"{name} has a strong record of keeping its commitments")
    return out


def across_networks(index: ProfileIndex, other: int, shared_hours: int) -> str:
    """Why a partner from a linked network: where it is, and the weekly hours both are
    available, counted in UTC so time zones are already taken into account."""
    region = index.region[other]
    where = index.regions.labels[region].title() if region >= 0 else "another region"
    name = index.names[other]
    if shared_hours == 0:
        hours = "you share no weekly hours yet across your time zones"
    else:
        noun = "hour" if shared_hours == 1 else "hours"
        hours = f"you share {shared_hours} {noun} a week across your time zones"
    return f"{name} is in {where}, in a network linked with yours; {hours}"
