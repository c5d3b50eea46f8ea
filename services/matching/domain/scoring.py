"""Scores of one organization against every other in its network, as named weighted
components, and the plain sentences that explain a pair."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from services.matching.domain.bits import from_words
from services.matching.domain.bounds import bounds, shortlist
from services.matching.domain.index import ProfileIndex
from services.matching.domain.schedule import describe_overlap
from services.matching.domain.weights import FULL_SCHEDULE_HOURS, WORKDAY_HOURS, Weights

Vector = NDArray[np.float32]
Rows = NDArray[np.int64] | None  # some rows, ascending; None: every row


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


def _dice(index: ProfileIndex, name: str, row: int, n: int, among: Rows) -> Vector:
    sets = index.sets[name]
    common = sets.common(sets.data[row], n, among)
    sizes = sets.sizes[:n] if among is None else sets.sizes[among]
    return _ratio(2 * common, sizes + sets.sizes[row])


def components(
    index: ProfileIndex, row: int, among: Rows = None, mission: Vector | None = None
) -> dict[str, Vector]:
    """Each component of `row` paired with every row, or with the rows `among` only (in
    that order: a pair's numbers are the same either way), in [0, 1]; symmetric in the pair.
    `mission`: the missions' cosines to assume rather than compute (ones, for a bound)."""
    n = len(index)
    m = n if among is None else len(among)

    def at(column: NDArray[Any]) -> NDArray[Any]:
        return column[:n] if among is None else column[among]

    offers, needs, hours = index.sets["offers"], index.sets["needs"], index.hours
    if mission is None:
        mission = index.mission.similarity(index.mission.query_row(row), n, among)
    shared = (
        0.45 * _dice(index, "focus", row, n, among)
        + 0.20 * _dice(index, "values", row, n, among)
        + 0.35 * np.clip(mission, 0, 1)
    )
    they_give = _ratio(offers.common(needs.data[row], n, among), np.full(m, needs.sizes[row]))
    we_give = _ratio(needs.common(offers.data[row], n, among), at(needs.sizes))
    sides = (at(needs.sizes) > 0).astype(np.float32) + float(needs.sizes[row] > 0)
    complementarity = _ratio(they_give + we_give, sides)
    apart = np.abs(at(index.offset) - index.offset[row])
    apart = np.minimum(apart, 24 - apart)
    region = at(index.region)
    same_region = (region == index.region[row]) & (index.region[row] >= 0)
    both_virtual = at(index.virtual) & index.virtual[row]
    tz_overlap = np.clip((WORKDAY_HOURS - apart) / WORKDAY_HOURS, 0, 1)
    reach = np.where(same_region, 1.0, np.where(both_virtual, tz_overlap, 0.0))
    shared_hours = hours.common(hours.data[row], n, among)
    unknown = (at(hours.sizes) == 0) | (hours.sizes[row] == 0)
    schedule = np.where(unknown, 0.5, np.minimum(shared_hours / FULL_SCHEDULE_HOURS, 1.0))
    reliability = (at(index.reliability) + index.reliability[row]) / 2
    return {
        "shared_goals": shared.astype(np.float32),
        "complementarity": complementarity,
        "reach": reach.astype(np.float32),
        "schedule_fit": schedule.astype(np.float32),
        "reliability": reliability.astype(np.float32),
        "inclusivity": _dice(index, "populations", row, n, among),
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


def best(rows: NDArray[np.int64], scores: Vector, k: int) -> NDArray[np.int64]:
    """The positions of the `k` best scores, best first; among equal scores the older row
    (the lower number) first, so a shortlist and every row give the same answer."""
    if len(scores) > k:
        kth = np.partition(scores, len(scores) - k)[len(scores) - k]
        at = np.flatnonzero(scores >= kth)
    else:
        at = np.arange(len(scores))
    return at[np.lexsort((rows[at], -scores[at]))[:k]]


def top_partners(
    index: ProfileIndex,
    organization_id: str,
    weights: Weights,
    limit: int = 10,
    exclude: Iterable[str] = (),
    min_score: float = 0.0,
) -> list[Suggestion]:
    """The best `limit` partners for one organization, best first, each explained. Only a
    shortlist is scored exactly (`bounds.shortlist`); the answer is that of scoring every
    row."""
    row = index.row_of(organization_id)
    if row is None or not index.active[row]:
        return []
    mask = candidates(index, row, exclude)
    k = min(limit, int(np.count_nonzero(mask)))
    if k <= 0:
        return []
    rows, parts = _shortlisted(index, row, weights, mask, k)
    scores = total(parts, weights)
    return [
        suggestion(index, row, int(rows[at]), {name: v[at] for name, v in parts.items()}, weights)
        for at in best(rows, scores, k)
        if scores[at] >= max(min_score, 0.0)
    ]


def _shortlisted(
    index: ProfileIndex, row: int, weights: Weights, mask: NDArray[np.bool_], k: int
) -> tuple[NDArray[np.int64], dict[str, Vector]]:
    """The candidates that may be among the `k` best, and their components: all of them
    unless bounds apply (no negative weight: a bound takes each component at its most)."""
    if any(w < 0 for _, w in weights.items()):
        every = np.flatnonzero(mask)
        return every, components(index, row, among=every)
    scored: dict[int, tuple[NDArray[np.int64], dict[str, Vector]]] = {}

    def exact(rows: NDArray[np.int64]) -> Vector:
        parts = components(index, row, among=rows)
        scored[id(rows)] = (rows, parts)
        return total(parts, weights)

    rows = shortlist(mask, k, lambda: bounds(index, row, weights), exact)
    # most often the shortlist is the rows scored first: their components are known
    known = scored.get(id(rows))
    return known if known is not None else (rows, components(index, row, among=rows))


def pair(index: ProfileIndex, row: int, other: int, weights: Weights) -> Suggestion:
    """One pair, scored and explained as `top_partners` would."""
    parts = components(index, row, among=np.array([other], dtype=np.int64))
    return suggestion(index, row, other, {name: v[0] for name, v in parts.items()}, weights)


def suggestion(
    index: ProfileIndex,
    row: int,
    other: int,
    parts: dict[str, np.floating[Any]],
    weights: Weights,
) -> Suggestion:
    """`parts`: the pair's components."""
    comps = [Component(name, round(float(parts[name]), 4), w) for name, w in weights.items()]
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
    needed, offered = set(index.labels("needs", reader)), set(index.labels("offers", reader))
    if gives := [k for k in index.labels("offers", other) if k in needed]:
        out.append(f"{name} offers {join(gives)}, which you need")
    if takes := [k for k in index.labels("needs", other) if k in offered]:
        out.append(f"You offer {join(takes)}, which {name} needs")
    if values := common("values"):
        out.append(f"You share the values {join(values)}")
    if populations := common("populations"):
        out.append(f"Both serve {join(populations)}")
    shared_hours = from_words(index.hours.data[reader] & index.hours.data[other])
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
