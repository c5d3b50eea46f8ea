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


# Imported and built when the service starts, not on first use: scikit-learn takes seconds to
# import, and a first request (a need's coalitions) would wait for it past its deadline.
_VECTORIZER = HashingVectorizer(
    n_features=FEATURES, alternate_sign=False, norm=None, stop_words="english"
)


def terms_of(texts: list[str]) -> list[Terms]:
    matrix = _VECTORIZER.transform(texts).tocsr()
    return [
        (
            matrix.indices[matrix.indptr[i] : matrix.indptr[i + 1]].astype(np.int32),
            matrix.data[matrix.indptr[i] : matrix.indptr[i + 1]].astype(np.float32),
        )
        for i in range(len(texts))
    ]


class MissionIndex:
    def __init__(self, compact_after: int = 256) -> None:
        self.rows: list[Terms] = []
        self.doc_freq = np.zeros(FEATURES, dtype=np.int32)
        self.matrix = csr_matrix((0, FEATURES), dtype=np.float32)
        self.pending: set[int] = set()
        self.compact_after = compact_after
        self._idf: NDArray[np.float32] | None = None

    def idf(self) -> NDArray[np.float32]:
        if self._idf is None:
            n = max(len(self.rows), 1)
            self._idf = (np.log((1 + n) / (1 + self.doc_freq)) + 1).astype(np.float32)
        return self._idf

    def weighted(self, terms: Terms, idf: NDArray[np.float32]) -> Terms:
        ids, counts = terms
        data = (1 + np.log(counts)) * idf[ids] if len(ids) else counts
        norm = float(np.sqrt((data * data).sum())) or 1.0
        return ids, (data / norm).astype(np.float32)

    def set(self, row: int, text: str) -> None:
        self.set_many(row, [text])

    def set_many(self, first_row: int, texts: list[str]) -> None:
        for offset, terms in enumerate(terms_of(texts)):
            row = first_row + offset
            while len(self.rows) <= row:
                self.rows.append((np.zeros(0, np.int32), np.zeros(0, np.float32)))
            np.subtract.at(self.doc_freq, self.rows[row][0], 1)
            np.add.at(self.doc_freq, terms[0], 1)
            self.rows[row] = terms
            self.pending.add(row)
        self._idf = None
        if len(self.pending) > self.compact_after:
            self.compact()

    def compact(self) -> None:
        idf = self.idf()
        weighted = [self.weighted(terms, idf) for terms in self.rows]
        indptr = np.zeros(len(weighted) + 1, dtype=np.int64)
        indptr[1:] = np.cumsum([len(ids) for ids, _ in weighted])
        indices = np.concatenate([ids for ids, _ in weighted]) if weighted else np.zeros(0)
        data = np.concatenate([d for _, d in weighted]) if weighted else np.zeros(0)
        self.matrix = csr_matrix((data, indices, indptr), shape=(len(weighted), FEATURES))
        self.pending.clear()

    def query(self, text: str) -> Terms:
        return self.weighted(terms_of([text])[0], self.idf())

    def similarity(self, query: Terms, rows: int) -> NDArray[np.float32]:
        """Cosine of `query` with each of the first `rows` missions."""
        ids, data = query
        out = np.zeros(rows, dtype=np.float32)
        if not len(ids):
            return out
        dense = np.zeros(FEATURES, dtype=np.float32)
        dense[ids] = data
        done = min(self.matrix.shape[0], rows)
        if done:
            out[:done] = (
                self.matrix @ dense
                if done == self.matrix.shape[0]
                else (self.matrix[:done] @ dense)
            )
        idf = self.idf()
        lookup = dict(zip(ids.tolist(), data.tolist(), strict=True))
        for row in self.pending:
            if row < rows:
                row_ids, row_data = self.weighted(self.rows[row], idf)
                out[row] = sum(
                    w * lookup.get(t, 0.0)
                    for t, w in zip(row_ids.tolist(), row_data.tolist(), strict=True)
                )
        return out

    def query_row(self, row: int) -> Terms:
        return self.weighted(self.rows[row], self.idf()) if row < len(self.rows) else self.query("")
