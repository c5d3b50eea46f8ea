"""An upper bound of every organization's score against one organization, without the
missions' cosines (the sparse product, the dearest part of a score): the index's columns in
a few dozen float32 numpy operations, so `top_partners` scores exactly only the rows whose
bound reaches the best scores it has found (`shortlist`). Each term below is the component
`scoring.components` computes, rewritten for fewer operations; the mission is taken at its
most (1)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray

from services.matching.domain.bits import BitMatrix
from services.matching.domain.index import ProfileIndex
from services.matching.domain.weights import FULL_SCHEDULE_HOURS, WORKDAY_HOURS, Weights

Vector = NDArray[np.float32]
Rows = NDArray[np.int64]
# above any difference in rounding between a bound and its row's exact score (float32 sums
# of a few terms in [0, 1] differ in the seventh digit)
SLACK = 1e-4
SHORTLIST_FROM = 2048  # with fewer candidates than this, every one is scored exactly
SEEDS = 64  # rows (at least) scored exactly first, for the floor of a shortlist
SAMPLE = 2048  # rows sampled for the seeds' threshold


def bounds(index: ProfileIndex, row: int, weights: Weights) -> Vector:
    """For every row, a number at least its exact score against `row`."""
    n, w = len(index), weights.normalised()
    reliability = w["reliability"] / 2
    constant = SLACK + w["shared_goals"] * 0.35 + reliability * float(index.reliability[row])
    out = np.full(n, constant, dtype=np.float32)
    _dice(out, index.sets["focus"], row, n, 2 * 0.45 * w["shared_goals"])
    _dice(out, index.sets["values"], row, n, 2 * 0.20 * w["shared_goals"])
    _dice(out, index.sets["populations"], row, n, 2 * w["inclusivity"])
    _complementarity(out, index, row, n, w["complementarity"])
    _reach(out, index, row, n, w["reach"])
    _schedule(out, index, row, n, w["schedule_fit"])
    out += index.reliability[:n] * np.float32(reliability)
    return out


def _overlap(matrix: BitMatrix, row: int, other: BitMatrix, n: int) -> NDArray[np.uint8]:
    """|each of the first `n` rows of `matrix` ∩ `other`'s `row`|, as small unsigned integers
    (uint8, or uint16 past three words)."""
    query, block = other.data[row], matrix.data[:n]
    found = np.bitwise_count(block[:, 0] & query[0])
    if block.shape[1] > 1:
        found = found.astype(np.uint16)
        for word in range(1, block.shape[1]):
            found += np.bitwise_count(block[:, word] & query[word])
    return found


def _dice(out: Vector, matrix: BitMatrix, row: int, n: int, weight: float) -> None:
    """+ weight·|a ∩ b| / (|a| + |b|); nothing in common with an empty set."""
    size = int(matrix.sizes[row])
    if not size or not weight:
        return
    term = matrix.sizes[:n].astype(np.float32)
    term += size
    np.divide(_overlap(matrix, row, matrix, n), term, out=term)
    term *= np.float32(weight)
    out += term


def _complementarity(out: Vector, index: ProfileIndex, row: int, n: int, weight: float) -> None:
    """+ weight·(they give / our needs + we give / their needs) / sides with needs."""
    offers, needs = index.sets["offers"], index.sets["needs"]
    needed, offered = int(needs.sizes[row]), int(offers.sizes[row])
    their_needs = needs.sizes[:n]
    term = np.zeros(n, dtype=np.float32)
    if offered:  # what we give: our offers among their needs, over their needs
        per_need = np.maximum(their_needs, 1).astype(np.float32)
        np.divide(_overlap(needs, row, offers, n), per_need, out=term)
    if needed:  # what they give: their offers among our needs, over our needs
        term += _overlap(offers, row, needs, n) * np.float32(1 / needed)
    sides = np.add(their_needs > 0, int(needed > 0), dtype=np.float32)
    np.maximum(sides, 1, out=sides)
    term /= sides
    term *= np.float32(weight)
    out += term


def _reach(out: Vector, index: ProfileIndex, row: int, n: int, weight: float) -> None:
    """+ weight for the same region; else, both virtual, by how far apart their zones are."""
    region = int(index.region[row])
    same = index.region[:n] == region if region >= 0 else np.zeros(n, dtype=np.bool_)
    if index.virtual[row]:
        apart = np.abs(index.offset[:n] - index.offset[row])
        np.minimum(apart, 24 - apart, out=apart)
        term = np.clip((WORKDAY_HOURS - apart) / np.float32(WORKDAY_HOURS), 0, 1)
        term *= index.virtual[:n]
        np.maximum(term, same, out=term)
        term *= np.float32(weight)
        out += term
    else:
        out += same * np.float32(weight)


def _schedule(out: Vector, index: ProfileIndex, row: int, n: int, weight: float) -> None:
    """+ weight·min(shared hours / full, 1); half when either's hours are unknown."""
    hours = index.hours
    if not hours.sizes[row]:
        out += np.float32(weight * 0.5)
        return
    shared = np.minimum(_overlap(hours, row, hours, n), FULL_SCHEDULE_HOURS)
    term = shared * np.float32(weight / FULL_SCHEDULE_HOURS)
    term += (hours.sizes[:n] == 0) * np.float32(weight * 0.5)
    out += term


def shortlist(
    mask: NDArray[np.bool_],
    k: int,
    bound_of: Callable[[], Vector],
    exact: Callable[[Rows], Vector],
) -> Rows:
    """The candidates (`mask`) that may be among the `k` best, ascending. The rows with the
    best bounds (`bound_of`, every row's) are scored `exact`ly first; the k-th best of those
    scores is a floor, and a row whose bound is below it cannot be in the top `k`. None is
    left out when there are few candidates."""
    pool, want = int(np.count_nonzero(mask)), max(SEEDS, 4 * k)
    if pool <= max(SHORTLIST_FROM, 2 * want):
        return np.flatnonzero(mask)
    bound = np.where(mask, bound_of(), np.float32(-np.inf))
    seeds = _seeds(bound, pool, want)
    scores = exact(seeds)
    floor = np.partition(scores, len(scores) - k)[len(scores) - k]
    if floor > bound[seeds].min():  # every row bounded at the floor or above is a seed
        return seeds
    return np.flatnonzero(bound >= floor)


def _seeds(bound: Vector, pool: int, want: int) -> Rows:
    """About `want` rows with the best bounds, at least `want` (every bound of a row not
    chosen is at most every bound of a chosen one). The threshold comes from an evenly
    spaced sample of the rows, so finding it is not a pass over all of them."""
    sample = bound[:: max(1, len(bound) // SAMPLE)]
    sample = sample[np.isfinite(sample)]
    take = int(np.ceil(len(sample) * want / pool)) + 1
    if take < len(sample):
        threshold = np.partition(sample, len(sample) - take)[len(sample) - take]
        found = np.flatnonzero(bound >= threshold)
        if len(found) >= want:
            return found
    order = np.argpartition(bound, len(bound) - want)[len(bound) - want :]
    return np.sort(order[np.isfinite(bound[order])])
