"""Find the passages that answer a question: dense and lexical retrieval, fused.

One question costs one query embedding plus arithmetic:

1. chunks: the `top_chunks` nearest by cosine (FAISS inner product over normalised
   vectors) and the `top_chunks` best by BM25 (bm25s), unioned;
2. candidate units: the quotable passages inside those chunks;
3. each unit's score mixes its own cosine with the question (vectors precomputed at
   index time; the best over the unit's views, see bot/index/views.py), its best
   chunk's cosine (which carries title and heading), and that chunk's BM25 scaled to
   [0, 1] for this question:

       score = w_unit * max over views cos(q, view) + w_chunk * cos(q, chunk)
             + w_lexical * bm25 / max bm25 + w_coverage * coverage

   where `coverage` is the idf-weighted share of the question's informative terms
   (stemmed, light words like "son" or "get" left out) that the unit contains.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from bot.config import AnswerSettings
from bot.index.lexical import TermWeights
from bot.index.store import IndexData, make_faiss_index


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
    """Per question, work grows with what is retrieved, not with the corpus: a FAISS
    top-k search, BM25's own sparse scores, and cosines for the views of the candidate
    units only. Built once per loaded index."""

    def __init__(
        self,
        data: IndexData,
        settings: AnswerSettings,
        about_subject: Callable[[str], bool] = lambda text: True,
        subject: str = "",
    ):
        self.data = data
        self.settings = settings
        # documents that never mention the bot's subject (SMA): their passages rank lower
        self.off_subject = frozenset(
            doc_id for doc_id, doc in data.documents.items() if not about_subject(doc.text)
        )
        # in a corpus that mixes subjects, a passage in a document about SMA is about SMA
        # whether or not it says so: it counts as containing the subject's names ("sma",
        # "spinal muscular atrophy"), which are rare, heavy words in such a corpus. (In a
        # corpus all about SMA they weigh next to nothing and nothing is added.)
        self.subject_terms = frozenset(data.lexical.tokens(subject))
        self.subject_index = None
        if self.off_subject:  # (n_subject,) chunk ids, and an exact index over their vectors
            self.subject_chunks = np.array(
                [i for i, c in enumerate(data.chunks) if c.doc_id not in self.off_subject],
                dtype=np.int64,
            )
            if len(self.subject_chunks):
                self.subject_index = make_faiss_index(data.chunk_vectors[self.subject_chunks])
        self.units_by_chunk: list[list[int]] = [[] for _ in data.chunks]
        for i, unit in enumerate(data.units):
            for c in unit.chunk_ids:
                self.units_by_chunk[c].append(i)
        # each unit's views are one run of view_vectors (bot/index/views.py writes them in order)
        owner = data.view_owner
        self.view_start = np.searchsorted(owner, np.arange(len(data.units)), side="left")
        self.view_end = np.searchsorted(owner, np.arange(len(data.units)), side="right")
        self._unit_terms: dict[int, set[str]] = {}
        self._lock = threading.Lock()
        self._local = threading.local()

    def unit_terms(self, u: int) -> set[str]:
        """The unit's terms with its heading's ("Diagnostics" is what the passage below is
        about), computed on first use and kept: at most one set per unit."""
        terms = self._unit_terms.get(u)
        if terms is None:
            unit = self.data.units[u]
            text = self.data.text(unit.doc_id, unit.start, unit.end) + "\n" + (unit.heading or "")
            terms = self.data.lexical.passage_terms(text)
            if self.off_subject and unit.doc_id not in self.off_subject:
                terms = terms | self.subject_terms
            with self._lock:
                self._unit_terms[u] = terms
        return terms

    def dense(self, vectors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(scores, chunk ids), each (n, top_chunks): the chunks nearest each of the (n, dim)
        `vectors`. Each thread remembers its current question's searches, so the safety
        check's closeness and retrieval share one FAISS search."""
        k = min(self.settings.top_chunks, len(self.data.chunks))
        memo = getattr(self._local, "memo", {})
        keys = [v.tobytes() for v in vectors]
        new = [i for i, key in enumerate(keys) if key not in memo]
        if new:
            scores, ids = self.data.faiss_index.search(vectors[new], k)
            memo = {key: memo[key] for key in keys if key in memo}  # this question's only
            memo.update({keys[i]: (scores[j], ids[j]) for j, i in enumerate(new)})
            self._local.memo = memo
        return np.stack([memo[key][0] for key in keys]), np.stack([memo[key][1] for key in keys])

    def unit_cosines(self, query: np.ndarray, unit_ids: list[int]) -> np.ndarray:
        """(len(unit_ids),) the best cosine over each unit's views (bot/index/views.py)."""
        starts, ends = self.view_start[unit_ids], self.view_end[unit_ids]
        rows = np.concatenate([np.arange(a, b) for a, b in zip(starts, ends, strict=True)])
        cos = self.data.view_vectors[rows] @ query  # (n_views of these units,)
        offsets = np.concatenate([[0], np.cumsum(ends - starts)[:-1]])
        return np.maximum.reduceat(cos, offsets)

    def chunks(
        self, query: np.ndarray, terms: list[str], only: frozenset[str] | None = None
    ) -> list[RetrievedChunk]:
        """Union of the dense and the lexical top chunks, with both scores; with `only`,
        among the chunks of those documents (evaluation on a public corpus uses it).
        Chunks of documents about SMA get their own top k as well, so pages on other
        subjects never crowd them out of the candidates."""
        k = min(self.settings.top_chunks, len(self.data.chunks))
        if k == 0:
            return []
        bm25 = self.data.lexical.chunk_scores(terms)  # (n_chunks,), from sparse postings
        if only is None:
            _, dense = self.dense(query[None, :])
            dense_ids = [int(i) for i in dense[0] if i >= 0]
            lexical_ids = _top(bm25, k)
            if self.subject_index is not None:
                _, near = self.subject_index.search(query[None, :], k)
                dense_ids += [int(self.subject_chunks[i]) for i in near[0] if i >= 0]
                on = _top(bm25[self.subject_chunks], k)
                lexical_ids += [int(self.subject_chunks[i]) for i in on]
        else:
            allowed = np.array([c.doc_id in only for c in self.data.chunks])
            bm25 = np.where(allowed, bm25, 0.0)
            cos = np.where(allowed, self.data.chunk_vectors @ query, -2.0)
            dense_ids = [int(i) for i in np.argsort(-cos)[:k]]
            lexical_ids = _top(bm25, k)
        ids = list(dict.fromkeys([*dense_ids, *lexical_ids]))
        cos = self.data.chunk_vectors[ids] @ query  # (len(ids),)
        return [RetrievedChunk(i, float(c), float(bm25[i])) for i, c in zip(ids, cos, strict=True)]

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
        unit_cos = self.unit_cosines(query, unit_ids)  # (n_candidates,)
        out = []
        for u, ucos in zip(unit_ids, unit_cos, strict=True):
            best = max(
                (by_id[c] for c in self.data.units[u].chunk_ids if c in by_id),
                key=lambda c: s.w_chunk * c.cosine + s.w_lexical * _scaled(c.bm25, top_bm25),
            )
            lexical = _scaled(best.bm25, top_bm25)
            coverage = self.data.lexical.coverage(weights, self.unit_terms(u))
            score = (
                s.w_unit * float(ucos)
                + s.w_chunk * best.cosine
                + s.w_lexical * lexical
                + s.w_coverage * coverage
                - s.off_subject_penalty * (self.data.units[u].doc_id in self.off_subject)
            )
            out.append(Candidate(u, score, float(ucos), best.cosine, lexical, coverage, best.chunk))
        out.sort(key=lambda c: -c.score)
        return out, sorted(chunks, key=lambda c: -c.cosine)


def _top(scores: np.ndarray, k: int) -> list[int]:
    """Indices of the k highest positive scores, best first (no full sort)."""
    top = np.argpartition(-scores, k - 1)[:k] if k < len(scores) else np.arange(len(scores))
    return [int(i) for i in top[np.argsort(-scores[top])] if scores[i] > 0]


def _scaled(value: float, top: float) -> float:
    return value / top if top > 0 else 0.0
