"""Mission-text similarity: TF-IDF cosine over hashed terms (scikit-learn's HashingVectorizer,
so nothing is fitted or downloaded). Rows can change one at a time: changed rows wait in
`pending` and are folded into the sparse matrix (with fresh IDF weights) once enough pile up."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from scipy.sparse import csr_matrix
from sklearn.feature_extraction.text import HashingVectorizer

FEATURES = 2**18
Terms = tuple[NDArray[np.int32], NDArray[np.float32]]  # term ids, counts
Ptr = NDArray[np.int64]  # where each row starts in rows laid end to end, and where the last ends


# Imported and built when the service starts, not on first use: scikit-learn takes seconds to
# import, and a first request (a need's coalitions) would wait for it past its deadline.
_VECTORIZER = HashingVectorizer(
    n_features=FEATURES, alternate_sign=False, norm=None, stop_words="english"
)


def terms_of(texts: list[str]) -> list[Terms]:
    matrix = _VECTORIZER.transform(texts).tocsr()
    ids, counts = matrix.indices.astype(np.int32), matrix.data.astype(np.float32)
    ends = matrix.indptr.tolist()
    return [(ids[ends[i] : ends[i + 1]], counts[ends[i] : ends[i + 1]]) for i in range(len(texts))]


def _laid_end_to_end(terms: list[Terms]) -> tuple[NDArray[np.int32], NDArray[np.float32], Ptr]:
    """Rows of terms as one CSR triple (ids, counts, indptr)."""
    indptr = np.zeros(len(terms) + 1, dtype=np.int64)
    indptr[1:] = np.cumsum(np.fromiter((len(ids) for ids, _ in terms), np.int64, len(terms)))
    if not terms:
        return np.zeros(0, np.int32), np.zeros(0, np.float32), indptr
    ids = np.concatenate([ids for ids, _ in terms])
    return ids, np.concatenate([counts for _, counts in terms]), indptr


def _weigh(
    ids: NDArray[np.int32], counts: NDArray[np.float32], indptr: Ptr, idf: NDArray[np.float32]
) -> NDArray[np.float32]:
    """TF-IDF weights (sublinear term frequency) of rows laid end to end, each row scaled to
    unit length: every row of a batch in a handful of numpy operations."""
    data = ((1 + np.log(counts)) * idf[ids]).astype(np.float32)
    lengths = np.diff(indptr)
    squares = np.zeros(len(lengths), dtype=np.float32)
    filled = lengths > 0
    if filled.any():
        squares[filled] = np.add.reduceat(data * data, indptr[:-1][filled])
    norms = np.sqrt(squares)
    norms[norms == 0] = 1.0
    return (data / np.repeat(norms, lengths)).astype(np.float32)


EMPTY: Terms = (np.zeros(0, np.int32), np.zeros(0, np.float32))


class MissionIndex:
    def __init__(self, compact_after: int = 256) -> None:
        self.rows: list[Terms] = []
        self.doc_freq = np.zeros(FEATURES, dtype=np.int32)
        self.matrix = csr_matrix((0, FEATURES), dtype=np.float32)
        self.pending: set[int] = set()
        self.compact_after = compact_after
        self._idf: NDArray[np.float32] | None = None
        # the pending rows (sorted) and their weights under the current IDF, kept between
        # queries until a row changes
        self._pending: tuple[NDArray[np.int64], csr_matrix] | None = None

    def idf(self) -> NDArray[np.float32]:
        if self._idf is None:
            n = max(len(self.rows), 1)
            self._idf = (np.log((1 + n) / (1 + self.doc_freq)) + 1).astype(np.float32)
        return self._idf

    def weighted(self, terms: Terms, idf: NDArray[np.float32]) -> Terms:
        ids, counts = terms
        return ids, _weigh(ids, counts, np.array([0, len(ids)], dtype=np.int64), idf)

    def set(self, row: int, text: str) -> None:
        self.set_many(row, [text])

    def set_many(self, first_row: int, texts: list[str]) -> None:
        terms = terms_of(texts)
        end = first_row + len(texts)
        self.rows.extend([EMPTY] * (end - len(self.rows)))
        self._count([self.rows[row][0] for row in range(first_row, end)], -1)
        self._count([ids for ids, _ in terms], 1)
        self.rows[first_row:end] = terms
        self.pending.update(range(first_row, end))
        self._idf, self._pending = None, None
        if len(self.pending) > self.compact_after:
            self.compact()

    def _count(self, ids: list[NDArray[np.int32]], sign: int) -> None:
        """Document frequencies: each row holds a term once (the vectoriser sums repeats)."""
        flat = np.concatenate(ids) if ids else np.zeros(0, np.int32)
        if len(flat) < 4096:
            np.add.at(self.doc_freq, flat, sign)
        else:
            self.doc_freq += sign * np.bincount(flat, minlength=FEATURES).astype(np.int32)

    def compact(self) -> None:
        ids, counts, indptr = _laid_end_to_end(self.rows)
        data = _weigh(ids, counts, indptr, self.idf())
        self.matrix = csr_matrix((data, ids, indptr), shape=(len(self.rows), FEATURES))
        self.pending.clear()
        self._pending = None

    def query(self, text: str) -> Terms:
        return self.weighted(terms_of([text])[0], self.idf())

    def similarity(
        self, query: Terms, rows: int, among: NDArray[np.int64] | None = None
    ) -> NDArray[np.float32]:
        """Cosine of `query` with each of the first `rows` missions, or, given `among` (row
        numbers below `rows`, ascending), with those rows only, in that order. A row's
        cosine is the same number either way."""
        ids, data = query
        out = np.zeros(rows if among is None else len(among), dtype=np.float32)
        if not len(ids):
            return out
        dense = np.zeros(FEATURES, dtype=np.float32)
        dense[ids] = data
        compacted = self.matrix.shape[0]
        if among is None:
            done = min(compacted, rows)
            within = self.matrix if done == compacted else self.matrix[:done]
            if done:
                out[:done] = within @ dense
        elif done := int(np.searchsorted(among, compacted)):
            out[:done] = self.matrix[among[:done]] @ dense
        if self.pending:
            # a changed row's cosine is its pending weights', not the compacted matrix's
            changed, weights = self._pending_weights()
            if among is None:
                keep = np.flatnonzero(changed < rows)
                out[changed[keep]] = weights[keep] @ dense
            else:
                at = np.minimum(np.searchsorted(among, changed), max(len(among) - 1, 0))
                keep = np.flatnonzero(among[at] == changed) if len(among) else at[:0]
                if len(keep):
                    out[at[keep]] = weights[keep] @ dense
        return out

    def _pending_weights(self) -> tuple[NDArray[np.int64], csr_matrix]:
        if self._pending is None:
            changed = np.array(sorted(self.pending), dtype=np.int64)
            ids, counts, indptr = _laid_end_to_end([self.rows[row] for row in changed])
            data = _weigh(ids, counts, indptr, self.idf())
            weights = csr_matrix((data, ids, indptr), shape=(len(changed), FEATURES))
            self._pending = (changed, weights)
        return self._pending

    def query_row(self, row: int) -> Terms:
        return self.weighted(self.rows[row], self.idf()) if row < len(self.rows) else self.query("")
