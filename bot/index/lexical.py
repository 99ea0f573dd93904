"""Lexical matching: BM25 over chunks (bm25s) and query-term coverage of a passage.

A small embedding model places rare words (risdiplam, CHOP-INTEND, Kugelberg) poorly;
exact term matching catches them. Two signals come from here:

- `chunk_scores`: BM25 of every chunk for the question, (n_chunks,) float32.
- `coverage`: the share of the question's informative terms (idf-weighted, stemmed,
  stopwords removed) that a passage contains, in [0, 1]. A question whose key terms
  appear nowhere in the corpus ("cost", "insurance") covers little of any passage.

Also kept: the corpus's surface `vocabulary` with counts (what the speller corrects
toward, bot/answer/spelling.py); its `names` (words its documents write capitalised mid-sentence,
or with digits: zolgensma, spinraza, smn1), which let a follow-up such as "how is it
given?" be read as "how is Zolgensma given?"; and its `topic_terms`: those names and
their hyphen parts plus the specialist words of the corpus (risdiplam, hypotonia), which
tell the safety layer that a message is about the documents' subject.

The stopword list, idf table and names are built at index time and saved with the index,
so answering a question imports neither scikit-learn nor anything else heavy.
"""

from __future__ import annotations

import bisect
import itertools
import json
import math
import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from functools import cached_property
from pathlib import Path

import bm25s
import numpy as np
import Stemmer

from bot.index.vocabulary import Words

# bm25s.tokenize's default token pattern: two or more word characters
_TOKEN = re.compile(r"(?u)\b\w\w+\b")

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


# "type II", "types 2 or 3", "stage iv": a numbered kind becomes one term per number
# ("type2 type3"), so "type 2" finds "type II" and not "type I" (see `numbered_terms`).
_NUMBER = r"(?:\d{1,2}|iv|i{1,3})"
_NUMBERED = re.compile(
    rf"\b(type|stage|grade|exon|chromosome)s?\s*[-–]?\s*({_NUMBER}(?:\s*(?:[-–,/&]|and|or|to)"
    rf"\s*{_NUMBER})*)\b",
    re.I,
)
_ROMAN = {"i": "1", "ii": "2", "iii": "3", "iv": "4"}


def numbered_terms(text: str) -> str:
    """`text` with each numbered kind also written as single terms: "SMA types I–II" ->
    "SMA type type1 type2", "type 3" -> "type type3". Everything else is left as it is."""

    def terms(m: re.Match[str]) -> str:
        kind = m.group(1).lower()
        numbers = re.findall(_NUMBER, m.group(2), re.I)
        return " ".join([kind, *(f"{kind}{_ROMAN.get(n.lower(), n)}" for n in numbers)])

    return _NUMBERED.sub(terms, text)


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
        vocabulary: dict[str, int] | None = None,
    ):
        self.retriever = retriever
        self.vocabulary = dict(vocabulary or {})  # surface word -> count, for the speller
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
        chunk_texts = [numbered_terms(t) for t in chunk_texts]
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
        vocabulary = Counter(w.lower() for t in chunk_texts for w in re.findall(r"[A-Za-z]{4,}", t))
        return cls(retriever, stopwords, idf, n, names, topic - stopwords, dict(vocabulary))

    def tokens(self, text: str) -> list[str]:
        """Lower-cased, stemmed, stopwords removed: the terms both signals use. The same
        steps as `bm25s.tokenize` (which built the index; a test checks they agree),
        without its per-call progress-bar and vocabulary set-up: ~10x faster per question."""
        words = _TOKEN.findall(numbered_terms(text).lower())
        return self._stemmer.stemWords([w for w in words if w not in self.stopwords])

    def informative(self, tokens: Sequence[str]) -> list[str]:
        """Query terms a passage is expected to contain (light words dropped)."""
        return [t for t in tokens if t not in self.light]

    def expand(self, term: str) -> tuple[str, ...]:
        """Corpus terms that match `term`: itself, or a stem sharing a prefix of 5+ letters
        where one contains the other ("diagnos" ~ "diagnost"); () if none."""
        if term in self.idf or self.is_compound(term):
            return (term,)
        if len(term) < 5:
            return ()
        # corpus terms that start with `term` (a range of the sorted terms) or that
        # `term` starts with (its prefixes): no scan of the vocabulary
        terms, order = self._sorted_terms
        lo = bisect.bisect_left(terms, term)
        hi = bisect.bisect_left(terms, term + "\uffff")
        found = {v for v in terms[lo:hi] if len(v) >= 5}
        found |= {term[:i] for i in range(5, len(term)) if term[:i] in self.idf}
        return tuple(sorted(found, key=order.__getitem__))  # in the corpus's own order

    @cached_property
    def _sorted_terms(self) -> tuple[list[str], dict[str, int]]:
        """(corpus terms sorted, each term's position in the idf table)."""
        return sorted(self.idf), {t: i for i, t in enumerate(self.idf)}

    def is_compound(self, term: str) -> bool:
        """ "brainstem" when the corpus writes "brain stem": two corpus terms, joined.
        Passages carry their adjacent terms joined (`passage_terms`), so it matches."""
        return len(term) >= 8 and any(
            term[:i] in self.idf and term[i:] in self.idf for i in range(4, len(term) - 3)
        )

    def passage_terms(self, text: str) -> set[str]:
        """A passage's terms, plus each two adjacent terms written as one."""
        tokens = self.tokens(text)
        return set(tokens) | {a + b for a, b in itertools.pairwise(tokens)}

    def alternatives(self, text: str) -> list[tuple[frozenset[str], frozenset[str]]]:
        """For each "A or B" in `text`: (terms only A has, terms only B has), where A is
        the clause part before "or" and B the part after it, up to punctuation.
        "are the muscles floppy or stiff" -> ({muscl, floppi}, {stiff})."""
        out = []
        for m in re.finditer(r"([^,.;:?!]*)\bor\b([^,.;:?!]*)", text, re.I):
            left, right = set(self.tokens(m.group(1))), set(self.tokens(m.group(2)))
            if left - right and right - left:
                out.append((frozenset(left - right), frozenset(right - left)))
        return out

    def chunk_scores(self, query_tokens: Sequence[str]) -> np.ndarray:
        """(n_chunks,) float32 BM25 scores; zeros when no term is known."""
        known = [v for t in query_tokens for v in self.expand(t)]
        if not known:
            return np.zeros(self.n_chunks, dtype=np.float32)
        return np.asarray(self.retriever.get_scores(known), dtype=np.float32)

    def term_weights(
        self, query_tokens: Sequence[str], words: Words | None = None, floor: float = 1.0
    ) -> TermWeights:
        """{query term: (idf, matching corpus terms)}. A term the corpus never uses
        weighs `unseen_idf`, scaled with `words` by how much of a noun it is (between
        `floor` and 1: see bot/index/vocabulary.py); with `words`, WordNet synonyms the
        corpus uses match too ("tire" -> "fatigu")."""
        out = {}
        for t in set(query_tokens):
            matches = self.expand(t)
            idf = self.idf.get(t) or max((self.idf.get(m, 0.0) for m in matches), default=0.0)
            if not idf:
                share = words.noun_share(t) if words else 1.0
                idf = self.unseen_idf * (floor + (1 - floor) * share)
            if words:
                matches += tuple(v for syn in words.synonyms(t) for v in self.expand(syn))
            out[t] = (idf, tuple(dict.fromkeys(matches)))
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
                    "vocabulary": self.vocabulary,
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
            data.get("vocabulary", {}),
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
