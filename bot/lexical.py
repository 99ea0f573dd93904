"""Lexical matching: BM25 over chunks (bm25s) and query-term coverage of a passage.

A small embedding model places rare words (risdiplam, CHOP-INTEND, Kugelberg) poorly;
exact term matching catches them. Two signals come from here:

- `chunk_scores`: BM25 of every chunk for the question, (n_chunks,) float32.
- `coverage`: the share of the question's informative terms (idf-weighted, stemmed,
  stopwords removed) that a passage contains, in [0, 1]. A question whose key terms
  appear nowhere in the corpus ("cost", "insurance") covers little of any passage.

Also kept: the corpus's `names` (words its documents write capitalised mid-sentence,
or with digits: zolgensma, spinraza, smn1), which let a follow-up such as "how is it
given?" be read as "how is Zolgensma given?"; and its `topic_terms`: those names and
their hyphen parts plus the specialist words of the corpus (risdiplam, hypotonia), which
tell the safety layer that a message is about the documents' subject.

The stopword list, idf table and names are built at index time and saved with the index,
so answering a question imports neither scikit-learn nor anything else heavy.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

import bm25s
import numpy as np
import Stemmer

# Words in nearly every question that carry no topic; added to scikit-learn's list.
_QUESTION_WORDS = frozenset(
    """
what whats how why when where which who whom whose does do did can could would should will
is are was were tell explain mean means meaning please know want kid kids
""".split()
)

# Words that say who is asking or how, not what about: a passage need not contain them.
LIGHT_WORDS = frozenset(
    """
son sons daughter daughters child children kid kids baby babies boy boys girl girls husband wife
mom mum dad mother father parent parents family families people person someone patient patients
get gets getting got look looking kind sort thing things happen happens actually really much
many long often lot lots normal usually also still already say says said saying tell told mention
mentioned read heard hear ask asked wonder wondering think thought know knew understand explain
keep kept worry worried scared confused curious something anything just exactly very quite
recently lately currently now today yesterday ago week weeks day days month months year years last
""".split()
)


# {query term: (idf, the corpus terms that match it)}
TermWeights = dict[str, tuple[float, tuple[str, ...]]]


class Lexical:
    def __init__(
        self,
        retriever: bm25s.BM25,
        stopwords: Iterable[str],
        idf: dict[str, float],
        n_chunks: int,
        names: Iterable[str] = (),
        topic_terms: Iterable[str] = (),
    ):
        self.retriever = retriever
        self.names = frozenset(names)
        self.topic_terms = frozenset(topic_terms)
        self.stopwords = frozenset(stopwords)
        self.idf = idf
        self.n_chunks = n_chunks
        self._stemmer = Stemmer.Stemmer("english")
        self.light = frozenset(t for w in LIGHT_WORDS for t in self.tokens(w))
        # idf of a term found in no chunk at all
        self.unseen_idf = math.log(1 + (n_chunks + 0.5) / 0.5)

    @classmethod
    def build(
        cls,
        chunk_texts: Sequence[str],
        sentences: Sequence[str],
        is_specialist: Callable[[str], bool] = lambda word: False,
    ) -> Lexical:
        """BM25 and idf over `chunk_texts`; names from `sentences` (prose, no headings);
        topic terms: the names, their hyphen parts and the words of `sentences` that
        `is_specialist` accepts or that contain a digit (smn1, aav9)."""
        from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

        stopwords = set(ENGLISH_STOP_WORDS) | _QUESTION_WORDS
        stemmer = Stemmer.Stemmer("english")
        corpus_tokens = bm25s.tokenize(
            list(chunk_texts),
            stopwords=sorted(stopwords),
            stemmer=stemmer,
            show_progress=False,
            return_ids=False,
        )
        retriever = bm25s.BM25()
        retriever.index(
            bm25s.tokenize(
                list(chunk_texts), stopwords=sorted(stopwords), stemmer=stemmer, show_progress=False
            ),
            show_progress=False,
        )
        df = Counter(t for toks in corpus_tokens for t in set(toks))
        n = len(chunk_texts)
        idf = {t: math.log(1 + (n - c + 0.5) / (c + 0.5)) for t, c in df.items()}
        names = _names(sentences, stopwords)
        words = {w.lower() for s in sentences for w in _SURFACE_WORD.findall(s)}
        parts = {p for w in names | words for p in w.split("-") if len(p) >= 4}
        # everyday words among the names ("chinese", "institute") say nothing of the topic
        topic = {p for p in parts | names if is_specialist(p) or re.search(r"\d", p)}
        return cls(retriever, stopwords, idf, n, names, topic - stopwords)

    def tokens(self, text: str) -> list[str]:
        """Lower-cased, stemmed, stopwords removed: the terms both signals use."""
        return bm25s.tokenize(
            [text],
            stopwords=sorted(self.stopwords),
            stemmer=self._stemmer,
            show_progress=False,
            return_ids=False,
        )[0]

    def informative(self, tokens: Sequence[str]) -> list[str]:
        """Query terms a passage is expected to contain (light words dropped)."""
        return [t for t in tokens if t not in self.light]

    def expand(self, term: str) -> tuple[str, ...]:
        """Corpus terms that match `term`: itself, or a stem sharing a prefix of 5+ letters
        where one contains the other ("diagnos" ~ "diagnost"); () if none."""
        if term in self.idf:
            return (term,)
        if len(term) < 5:
            return ()
        return tuple(
            v for v in self.idf if len(v) >= 5 and (v.startswith(term) or term.startswith(v))
        )

    def chunk_scores(self, query_tokens: Sequence[str]) -> np.ndarray:
        """(n_chunks,) float32 BM25 scores; zeros when no term is known."""
        known = [v for t in query_tokens for v in self.expand(t)]
        if not known:
            return np.zeros(self.n_chunks, dtype=np.float32)
        return np.asarray(self.retriever.get_scores(known), dtype=np.float32)

    def term_weights(self, query_tokens: Sequence[str]) -> TermWeights:
        """{query term: (idf, matching corpus terms)}; unseen terms weigh the most."""
        out = {}
        for t in set(query_tokens):
            matches = self.expand(t)
            idf = self.idf.get(t) or max((self.idf[m] for m in matches), default=self.unseen_idf)
            out[t] = (idf, matches)
        return out

    def coverage(self, weights: TermWeights, passage_tokens: set[str]) -> float:
        """idf-weighted share of the query terms found in the passage, 0..1."""
        total = sum(w for w, _ in weights.values())
        if not total:
            return 0.0
        found = sum(
            w for w, matches in weights.values() if any(m in passage_tokens for m in matches)
        )
        return found / total

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.retriever.save(str(folder / "bm25"), show_progress=False)
        (folder / "lexical.json").write_text(
            json.dumps(
                {
                    "stopwords": sorted(self.stopwords),
                    "idf": self.idf,
                    "n_chunks": self.n_chunks,
                    "names": sorted(self.names),
                    "topic_terms": sorted(self.topic_terms),
                }
            )
        )

    @classmethod
    def load(cls, folder: Path) -> Lexical:
        data = json.loads((folder / "lexical.json").read_text())
        retriever = bm25s.BM25.load(str(folder / "bm25"), show_progress=False, verbosity=0)
        return cls(
            retriever,
            data["stopwords"],
            data["idf"],
            data["n_chunks"],
            data["names"],
            data["topic_terms"],
        )


_SURFACE_WORD = re.compile(r"[A-Za-z][A-Za-z0-9\-]+")


def _names(texts: Sequence[str], stopwords: Iterable[str]) -> set[str]:
    """Lower-cased words the texts write capitalised even mid-sentence, or with digits."""
    stop = set(stopwords)
    capitalised: Counter[str] = Counter()
    seen: Counter[str] = Counter()
    for text in texts:
        for m in _SURFACE_WORD.finditer(text):
            word = m.group()
            before = text[max(0, m.start() - 2) : m.start()]
            if not before.strip() or before.strip()[-1:] in ".!?:\n-•":
                continue  # sentence or line start: capitals say nothing
            key = word.lower()
            seen[key] += 1
            capitalised[key] += word[0].isupper()
    return {
        w
        for w, n in seen.items()
        if w not in stop and len(w) > 2 and (capitalised[w] >= 0.8 * n or re.search(r"\d", w))
    }
