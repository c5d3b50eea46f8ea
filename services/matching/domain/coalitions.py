"""Coalitions for a community need: the fewest well-aligned organizations that together offer
every required resource kind (greedy weighted set cover), a few alternatives, and the kinds
nobody in the network offers. Ranked by coverage first (fewer uncovered kinds), then score."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from services.matching.domain.bits import label
from services.matching.domain.index import ProfileIndex
from services.matching.domain.scoring import join
from shared.contracts import NeedProfile
from shared.contracts.matching import Coalition, CoalitionMember


def alignment(index: ProfileIndex, need: NeedProfile) -> NDArray[np.float32]:
    """How well each organization fits the need beyond its resources, in [0, 1]."""
    n = len(index)
    focus, populations = index.sets["focus"], index.sets["populations"]
    focus_hit = (
        focus.common(focus.query(index.vocab["focus"].known([need.focus_area])), n) > 0
    ).astype(np.float32)
    wanted = index.vocab["populations"].known(need.affected_populations)
    served = populations.common(populations.query(wanted), n)
    population_fit = np.minimum(served / max(len(wanted), 1), 1.0)
    return (0.5 * focus_hit + 0.3 * population_fit + 0.2 * index.reliability[:n]).astype(np.float32)


def coalitions(index: ProfileIndex, need: NeedProfile, alternatives: int = 3) -> list[Coalition]:
    n = len(index)
    required = list(dict.fromkeys(label(k) for k in need.required_resources if label(k)))
    kinds = index.vocab["offers"]
    known = {k: kinds.ids[k] for k in required if k in kinds.ids}
    offers = index.sets["offers"]
    eligible = index.active[:n] & (index.network[:n] == index.networks.ids.get(need.network_id, -2))
    fit = alignment(index, need)
    # one column per required kind that anyone offers: who offers it
    columns = {
        k: (offers.data[:n, i // 64] >> np.uint64(i % 64)) & np.uint64(1) for k, i in known.items()
    }
    offered = [
        k for k in required if k in known and bool((columns[k].astype(bool) & eligible).any())
    ]
    uncovered = [k for k in required if k not in offered]
    if not offered:
        return [Coalition(members=[], score=0.0, uncovered_resources=uncovered)] if required else []
    full = np.stack([columns[k].astype(bool) & eligible for k in offered], axis=1)
    rows = _shortlist(full, fit, keep=len(offered) + 1)
    cover, short_fit = full[rows], fit[rows]
    primary = _greedy(cover, short_fit, set())
    if primary is None:
        return [Coalition(members=[], score=0.0, uncovered_resources=uncovered)]
    # alternatives: the same cover without one of the primary coalition's members
    found_rows = [primary] + [_greedy(cover, short_fit, {row}) for row, _ in primary]
    solutions = [[(int(rows[r]), c) for r, c in f] if f else None for f in found_rows]
    results: list[Coalition] = []
    for found in solutions:
        if found is None:
            continue
        members = [
            CoalitionMember(
                organization_id=index.ids[row],
                name=index.names[row],
                covers=[offered[c] for c in cols],
                alignment=round(float(fit[row]), 4),
            )
            for row, cols in found
        ]
        if any(members == r.members for r in results):
            continue
        missing = [k for k in offered if not any(k in m.covers for m in members)]
        score = _score([m.alignment for m in members], 1 - len(missing) / len(offered))
        results.append(
            Coalition(members=members, score=score, uncovered_resources=uncovered + missing)
        )
    # stable: the greedy's own cover first among equals
    results.sort(key=rank)
    return results[:alternatives]


def rank(coalition: Coalition) -> tuple[int, float]:
    """Best first: complete coverage before score. A coordinator asks a coalition to cover the
    need, so fewer uncovered required resources always wins; the score breaks ties."""
    return len(coalition.uncovered_resources), -coalition.score


def _score(alignments: list[float], covered: float) -> float:
    """Fewer, better-aligned members score higher; a coalition that leaves out kinds someone in
    the network offers scores in proportion to the share it still covers."""
    return round(covered * float(np.mean(alignments)) / len(alignments) ** 0.25, 4)


def _shortlist(cover: NDArray[np.bool_], fit: NDArray[np.float32], keep: int) -> NDArray[np.intp]:
    """The rows the greedy can ever pick: its gain depends only on which required kinds a row
    covers (its pattern), so the best `keep` rows by fit of each pattern are enough (each pick
    or ban removes one row). Ties keep the lower row, as the greedy's argmax would."""
    if cover.shape[1] > 12:
        return np.flatnonzero(cover.any(axis=1))
    pattern = cover.astype(np.int64) @ (np.int64(1) << np.arange(cover.shape[1], dtype=np.int64))
    counts = np.bincount(pattern, minlength=1)
    counts[0] = 0  # rows that cover nothing required
    kept: list[NDArray[np.intp]] = []
    for p in np.flatnonzero(counts):
        members = np.flatnonzero(pattern == p)
        kept.append(members[np.argsort(-fit[members], kind="stable")[:keep]])
    return np.sort(np.concatenate(kept)) if kept else np.zeros(0, dtype=np.intp)


def _greedy(
    cover: NDArray[np.bool_], fit: NDArray[np.float32], banned: set[int]
) -> list[tuple[int, list[int]]] | None:
    remaining = np.ones(cover.shape[1], dtype=bool)
    usable = cover.copy()
    if banned:
        usable[list(banned)] = False
    picked: list[tuple[int, list[int]]] = []
    while remaining.any():
        gain = (usable & remaining).sum(axis=1)
        value = gain * (0.5 + fit)
        best = int(np.argmax(value))
        if gain[best] == 0:
            break
        covered = np.flatnonzero(usable[best] & remaining).tolist()
        picked.append((best, covered))
        remaining[covered] = False
        usable[best] = False
    return picked or None


def coverage(need: NeedProfile, coalition: Coalition) -> float:
    """The share of the need's required kinds this coalition offers."""
    required = {label(k) for k in need.required_resources if label(k)}
    covered = {k for m in coalition.members for k in m.covers}
    return len(required & covered) / len(required) if required else 1.0


def coalition_reasons(
    index: ProfileIndex, need: NeedProfile, coalition: Coalition, reader: str
) -> list[str]:
    """What one member of a coalition is told about it, in plain sentences."""
    mine = next(m for m in coalition.members if m.organization_id == reader)
    others = [m for m in coalition.members if m.organization_id != reader]
    out = [f"Together with {join([m.name for m in others])} you can meet “{need.title}”"]
    if mine.covers:
        out.append(f"You bring {join(mine.covers)}")
    out += [f"{m.name} brings {join(m.covers)}" for m in others if m.covers]
    row = index.row_of(reader)
    if row is not None:
        served = set(index.labels("populations", row))
        if shared := [p for p in (label(x) for x in need.affected_populations) if p in served]:
            out.append(f"The need affects {join(shared)}, whom you serve")
    if coalition.uncovered_resources:
        out.append(f"Nobody in the network offers {join(coalition.uncovered_resources)} yet")
    return out
