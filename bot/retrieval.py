"""Find the passages that answer a question: dense and lexical retrieval, fused.

One question costs one query embedding plus arithmetic:

1. chunks: the `top_chunks` nearest by cosine (FAISS inner product over normalised
   vectors) and the `top_chunks` best by BM25 (bm25s), unioned;
2. candidate units: the quotable passages inside those chunks;
3. each unit's score mixes its own cosine with the question (vectors precomputed at
   index time; the best over the unit's views, see bot/views.py), its best
   chunk's cosine (which carries title and heading), and that chunk's BM25 scaled to
   [0, 1] for this question:

       score = w_unit * max over views cos(q, view) + w_chunk * cos(q, chunk)
             + w_lexical * bm25 / max bm25 + w_coverage * coverage

   where `coverage` is the idf-weighted share of the question's informative terms
   (stemmed, light words like "son" or "get" left out) that the unit contains.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bot.config import AnswerSettings
from bot.lexical import TermWeights
from bot.store import IndexData


@dataclass(frozen=True)
class Candidate:
    unit: int  # index into IndexData.units
    score: float
    unit_cosine: float
    chunk_cosine: float
    lexical: float  # scaled BM25 of the unit's best chunk, 0..1
    coverage: float  # idf-weighted share of question terms in the unit, 0..1
    chunk: int  # the unit's best chunk


@dataclass(frozen=True)
class RetrievedChunk:
    chunk: int
    cosine: float
    bm25: float


class Retriever:
    def __init__(self, data: IndexData, settings: AnswerSettings):
        self.data = data
        self.settings = settings
        self.units_by_chunk: list[list[int]] = [[] for _ in data.chunks]
        for i, unit in enumerate(data.units):
            for c in unit.chunk_ids:
                self.units_by_chunk[c].append(i)
        # a unit's terms include its heading's: "Diagnostics" is what the passage below is about
        self.unit_terms = [
            data.lexical.passage_terms(
                data.text(u.doc_id, u.start, u.end) + "\n" + (u.heading or "")
            )
            for u in data.units
        ]

    def unit_cosines(self, query: np.ndarray) -> np.ndarray:
        """(n_units,) the best cosine over each unit's views (bot/views.py)."""
        best = np.full(len(self.data.units), -1.0, dtype=np.float32)
        np.maximum.at(best, self.data.view_owner, self.data.view_vectors @ query)
        return best

    def chunks(
        self, query: np.ndarray, terms: list[str], only: frozenset[str] | None = None
    ) -> list[RetrievedChunk]:
        """Union of the dense and the lexical top chunks, with both scores; with `only`,
        among the chunks of those documents (evaluation on a public corpus uses it)."""
        k = min(self.settings.top_chunks, len(self.data.chunks))
        if k == 0:
            return []
        cos_all = self.data.chunk_vectors @ query  # (n_chunks,)
        bm25 = self.data.lexical.chunk_scores(terms)  # (n_chunks,)
        if only is None:
            _, dense_ids = self.data.faiss_index.search(query[None, :], k)
        else:
            allowed = np.array([c.doc_id in only for c in self.data.chunks])
            cos_all, bm25 = np.where(allowed, cos_all, -2.0), np.where(allowed, bm25, 0.0)
            dense_ids = np.argsort(-cos_all)[None, :k]
        top = np.argsort(-bm25)[:k]
        lexical_ids = top[bm25[top] > 0]
        ids = dict.fromkeys(int(i) for i in [*dense_ids[0], *lexical_ids] if i >= 0)
        return [RetrievedChunk(i, float(cos_all[i]), float(bm25[i])) for i in ids]

    def candidates(
        self,
        query: np.ndarray,
        terms: list[str],
        weights: TermWeights,
        only: frozenset[str] | None = None,
    ) -> tuple[list[Candidate], list[RetrievedChunk]]:
        """Units of the retrieved chunks, best first. `terms`: the question's tokens;
        `weights`: `term_weights` of its informative ones (the answer decision uses them too)."""
        s = self.settings
        chunks = self.chunks(query, terms, only)
        if not chunks:
            return [], []
        top_bm25 = max(c.bm25 for c in chunks)
        by_id = {c.chunk: c for c in chunks}
        unit_ids = sorted({u for c in chunks for u in self.units_by_chunk[c.chunk]})
        if not unit_ids:
            return [], chunks
        unit_cos = self.unit_cosines(query)[unit_ids]  # (n_candidates,)
        out = []
        for u, ucos in zip(unit_ids, unit_cos, strict=True):
            best = max(
                (by_id[c] for c in self.data.units[u].chunk_ids if c in by_id),
                key=lambda c: s.w_chunk * c.cosine + s.w_lexical * _scaled(c.bm25, top_bm25),
            )
            lexical = _scaled(best.bm25, top_bm25)
            coverage = self.data.lexical.coverage(weights, self.unit_terms[u])
            score = (
                s.w_unit * float(ucos)
                + s.w_chunk * best.cosine
                + s.w_lexical * lexical
                + s.w_coverage * coverage
            )
            out.append(Candidate(u, score, float(ucos), best.cosine, lexical, coverage, best.chunk))
        out.sort(key=lambda c: -c.score)
        return out, sorted(chunks, key=lambda c: -c.cosine)


def _scaled(value: float, top: float) -> float:
    return value / top if top > 0 else 0.0
