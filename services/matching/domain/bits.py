"""Sets as bit rows: a vocabulary maps labels to bit positions, a `BitMatrix` holds one row of
uint64 words per organization, so set overlaps over every row are a few numpy operations."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
from numpy.typing import NDArray

Words = NDArray[np.uint64]
MAX_WRITTEN = 100_000  # spellings remembered per vocabulary (free tags are open-ended)


def label(text: str) -> str:
    """ "Youth Education " and "youth education" are the same label."""
    return " ".join(text.lower().split())


class Vocabulary:
    def __init__(self) -> None:
        self.ids: dict[str, int] = {}
        self.labels: list[str] = []
        # the text as written -> its id: a bulk load meets the same few texts a million times
        self._written: dict[str, int] = {}

    def id_of(self, text: str) -> int:
        found = self._written.get(text)
        if found is not None:
            return found
        key = label(text)
        found = self.ids.get(key)
        if found is None:
            found = self.ids[key] = len(self.labels)
            self.labels.append(key)
        if len(self._written) < MAX_WRITTEN:
            self._written[text] = found
        return found

    def known(self, texts: Iterable[str]) -> list[int]:
        return [i for i in (self.ids.get(label(t)) for t in texts) if i is not None]

    def words(self) -> int:
        return max(1, (len(self.labels) + 63) // 64)


def to_words(ids: Iterable[int], width: int) -> Words:
    row = np.zeros(width, dtype=np.uint64)
    for i in ids:
        row[i // 64] |= np.uint64(1 << (i % 64))
    return row


def from_words(row: Words) -> list[int]:
    out: list[int] = []
    for w, word in enumerate(row.tolist()):
        while word:
            low = word & -word
            out.append(w * 64 + low.bit_length() - 1)
            word ^= low
    return out


class BitMatrix:
    """Rows of bits that grow in both directions (more organizations, more labels)."""

    def __init__(self, capacity: int = 1024, width: int = 1) -> None:
        # column-major: a score reads one word of every row at a time (a week's hours are
        # three), and numpy is faster over a contiguous column than a strided one
        self.data: Words = np.zeros((capacity, width), dtype=np.uint64, order="F")
        self.sizes = np.zeros(capacity, dtype=np.int32)

    def ensure(self, rows: int, width: int) -> None:
        capacity, current = self.data.shape
        if rows <= capacity and width <= current:
            return
        grown = np.zeros(
            (max(rows, capacity * 2 if rows > capacity else capacity), max(width, current)),
            np.uint64,
            order="F",
        )
        grown[:capacity, :current] = self.data
        self.data = grown
        sizes = np.zeros(grown.shape[0], dtype=np.int32)
        sizes[:capacity] = self.sizes
        self.sizes = sizes

    def set_many(self, rows: NDArray[np.int64], ids: list[list[int]]) -> None:
        """Sets each of the distinct `rows` to its label `ids`: one scatter of every (row,
        bit) pair."""
        counts = np.fromiter((len(i) for i in ids), np.int64, len(ids))
        flat = np.fromiter((i for row_ids in ids for i in row_ids), np.int64, int(counts.sum()))
        width = int(flat.max()) // 64 + 1 if len(flat) else 1
        self.ensure(int(rows.max()) + 1 if len(rows) else 0, width)
        self.data[rows] = 0
        owners = np.repeat(rows, counts)
        bits = np.left_shift(np.uint64(1), (flat % 64).astype(np.uint64))
        np.bitwise_or.at(self.data, (owners, flat // 64), bits)
        self.sizes[rows] = np.bitwise_count(self.data[rows]).sum(axis=1, dtype=np.int32)

    def query(self, ids: Iterable[int]) -> Words:
        return to_words(ids, self.data.shape[1])

    def common(
        self, query: Words, rows: int, among: NDArray[np.int64] | None = None
    ) -> NDArray[np.int32]:
        """|row ∩ query| for the first `rows` rows, or for the rows `among` only."""
        block = self.data[:rows] if among is None else self.data[among]
        # word by word: a sum along rows of a few words each is ten times slower in numpy
        found = np.bitwise_count(block[:, 0] & query[0]).astype(np.int32)
        for word in range(1, block.shape[1]):
            found += np.bitwise_count(block[:, word] & query[word])
        return found

    def row(self, row: int) -> list[int]:
        return from_words(self.data[row])
