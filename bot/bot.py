"""The API the command line, the app and the evaluation harness share.

    bot = Bot.load(Config.from_env())
    reply = bot.answer("Is Zolgensma a cure for SMA?")
    reply.kind, reply.text, reply.quotes

`answer` costs one query embedding plus arithmetic over vectors computed at index
time. `history` is the family's earlier messages in this conversation, oldest first;
a follow-up ("how is it given?") is read together with the message before it, and a
conversation about SMA keeps its follow-ups in scope. Typos are corrected toward the
corpus's words before anything is read (bot/answer/spelling.py); quotes never are.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bot.answer import question as question_
from bot.answer.quotes import Decision, QuoteSelector, Span
from bot.answer.related import pick_related
from bot.answer.retrieval import Retriever
from bot.answer.spelling import HEALTH_WORDS, Speller, read_word_list
from bot.config import Config
from bot.errors import ConfigError, IndexMismatch, IndexMissing, QuestionError, SmabotError
from bot.index.embedding import Embedder
from bot.index.freshness import corpus_differences, settings_differences
from bot.index.store import IndexData, load_index
from bot.index.vocabulary import Words
from bot.reply import Quote, Reply, Source, answer_markdown, escape_markdown
from bot.safety import Guard, safety_text
from bot.safety.reader import shared_reader
from bot.safety.rules import SUBJECT_NAMES, instructs, mentions_sma
from bot.safety.scope import OtherConditions

NO_ANSWER_TEXT = (
    "**Our documents don't say.** I looked for this in the documents I can quote from and "
    "found nothing that answers it closely enough to show you. Your child's neurologist or "
    "care team can help with this question."
)


# said before the quotes when every quote comes from a clinic's own page or article
PROMOTIONAL_ONLY = (
    "Only clinics that sell treatments say this in our documents, not a medically reviewed "
    "source. Ask your child's neurologist before relying on it."
)

MAX_HISTORY = 6  # earlier messages read for a follow-up and for the conversation's scope


@dataclass(frozen=True)
class Reading:
    """The answer step's result for one question (`Bot.read`)."""

    query_text: str
    spans: list[Span]
    decision: Decision

    @property
    def answers(self) -> bool:
        return self.decision.answers and bool(self.spans)


class Bot:
    def __init__(self, config: Config, data: IndexData, embedder: Embedder):
        self.config = config
        self.data = data
        self.embedder = embedder
        self.retriever = Retriever(
            data, config.answers, about_subject=mentions_sma, subject=" ".join(SUBJECT_NAMES)
        )
        self.selector = QuoteSelector(data, config.answers, self.retriever.unit_terms)
        corpus_text = "\n".join(d.text for d in data.documents.values())
        self.guard = Guard(
            data.safety,
            config.safety,
            data.lexical.topic_terms,
            OtherConditions.load(corpus_text),
            shared_reader(),
        )
        health = read_word_list(HEALTH_WORDS) if HEALTH_WORDS.exists() else []
        self.speller = Speller(data.lexical.vocabulary, health)
        self.words = Words.load()

    @classmethod
    def load(
        cls,
        config: Config,
        *,
        embedder: Embedder | None = None,
        check_corpus: bool = True,
        version: Path | None = None,
    ) -> Bot:
        """Load the current index (or `version`, a folder of the index); refuse one built
        with other settings or (`check_corpus`) for another corpus."""
        data = load_index(config.index_dir, version)
        fix = "Run `smabot index` to rebuild it."
        if diffs := settings_differences(data.manifest, config):
            raise IndexMismatch(
                "The index was built with other settings (" + "; ".join(diffs) + ").", fix
            )
        if check_corpus and (diffs := corpus_differences(data.manifest, config.corpus_dir)):
            raise IndexMismatch(
                "The corpus changed since the index was built (" + ", ".join(diffs) + ").",
                "Run `smabot index` to update it.",
            )
        embedder = embedder or Embedder(config.model)
        if embedder.model_id != data.manifest["model"]["id"]:
            raise IndexMismatch(
                f"The index was built with {data.manifest['model']['id']!r}, "
                f"not {embedder.model_id!r}.",
                fix,
            )
        embedder.encode_one("warm-up")  # load the model now, not on the first question
        bot = cls(config, data, embedder)
        # the speller's tables (0.5 s at 4 documents, seconds at thousands) build in the
        # background: a first question with a typo waits for them, no other question does
        threading.Thread(target=bot.speller.warm_up, name="speller", daemon=True).start()
        return bot

    @classmethod
    def load_or_build(
        cls,
        config: Config,
        *,
        rebuild_on: tuple[type[SmabotError], ...] = (IndexMissing,),
        echo: Callable[[str], None] = print,
    ) -> Bot:
        """Load the index; if that fails with one of `rebuild_on`, say so, build it, load."""
        try:
            return cls.load(config)
        except rebuild_on as err:
            from bot.build import build_index

            size = _corpus_size(config.corpus_dir)
            if isinstance(err, IndexMissing):
                echo(f"No index yet: building it first from {size}; progress below…")
            else:
                echo(f"{err.message} Building the index again first from {size}; progress below…")
            try:
                echo(build_index(config, echo=echo).describe())
            except ConfigError as failed:  # sources.json does not check: fail closed
                if not isinstance(err, IndexMismatch):
                    raise
                echo(f"{failed} Until then, answering from the index built before.")
                return cls.load(config, check_corpus=False)
            return cls.load(config)

    @classmethod
    def load_last_good(cls, config: Config, embedder: Embedder | None = None) -> Bot | None:
        """The newest version of the index that loads with these settings, whatever corpus
        it was built for (the current one first, then the one before it); None if none."""
        from bot.index.versions import current_version, previous_versions

        current = current_version(config.index_dir)
        candidates = ([current] if current else []) + previous_versions(config.index_dir)
        for folder in candidates:
            try:
                return cls.load(config, embedder=embedder, check_corpus=False, version=folder)
            except SmabotError:
                continue
        return None

    @property
    def version(self) -> str:
        return self.data.version

    def answer(self, question: str, history: Sequence[str] = ()) -> Reply:
        """`history`: earlier messages, oldest first; only the last `MAX_HISTORY` are read."""
        t0 = time.perf_counter()
        question, notes = self.clean_question(question)
        if isinstance(history, str) or not all(isinstance(h, str) for h in history):
            raise QuestionError("The history must be a list of earlier messages (text).")
        earlier = [self.clean_question(h)[0] for h in list(history)[-MAX_HISTORY:] if h.strip()]
        reply = self._answer(question, earlier, notes)
        reply.latency_ms = (time.perf_counter() - t0) * 1000
        reply.index_version = self.version
        return reply

    def clean_question(self, question: object) -> tuple[str, list[str]]:
        """Text fit to answer, plus notes for the family; QuestionError if there is none."""
        return question_.clean(question, self.config.max_question_chars)

    def is_follow_up(self, question: str, history: Sequence[str]) -> bool:
        """Does `question` lean on the conversation? A connective start or a short
        pointing question (bot/answer/question.py), or a pointer ("they", "it") in a question
        that names nothing of the corpus itself."""
        if not history:
            return False
        if question_.is_follow_up(question):
            return True
        return bool(question_.POINTER.search(question)) and not mentions_sma(
            question, self.data.lexical.topic_terms | self.data.lexical.names
        )

    def retrieval_text(self, question: str, history: Sequence[str]) -> str:
        """The question, made to stand alone when it leans on the previous message.

        "how is it given?" after a message naming Zolgensma becomes "how is Zolgensma
        given?"; a follow-up with nothing to substitute ("and for type 2?") is read
        together with the previous message.
        """
        if not self.is_follow_up(question, history):
            return question
        previous = history[-1]
        names = self._specific_names(previous)
        if names and question_.POINTER.search(question):
            return question_.POINTER.sub(" and ".join(names), question, count=1)
        return f"{previous} {question}"

    def _specific_names(self, text: str) -> list[str]:
        """Corpus names in `text`, keeping the specific ones: "Zolgensma", not "SMA" in an
        SMA corpus (a name's rarity across chunks, its idf, tells which is which)."""
        lexical = self.data.lexical
        found = {}
        for word in re.findall(r"[A-Za-z][A-Za-z0-9\-]+", text):
            if word.lower() in lexical.names:
                terms = lexical.tokens(word)
                found[word] = max((lexical.idf.get(t, 0.0) for t in terms), default=0.0)
        if not found:
            return []
        top = max(found.values())
        return [w for w, idf in found.items() if idf >= 0.75 * top]

    def _answer(self, question: str, history: list[str], notes: list[str]) -> Reply:
        corrected, fixes = self.speller.correct(question)
        history = [self.speller.correct(h)[0] for h in history]
        query_text = self.retrieval_text(corrected, history)
        follow_up = self.is_follow_up(corrected, history)
        # the message alone, what retrieval reads, and (follow-ups) it with the previous one
        texts = [corrected, query_text] + ([f"{history[-1]} {corrected}"] if follow_up else [])
        unique = list(dict.fromkeys(texts))
        vectors = dict(
            zip(unique, self.embedder.encode_queries(unique), strict=True)
        )  # (dim,) each
        query = vectors[query_text]
        safety_texts = [question, corrected, *texts[2:]]
        safety_vectors = np.stack([vectors[t] for t in [corrected, *texts[2:]]])  # (n, dim)
        # the nearest chunk to any reading of the message (the search retrieval reuses)
        nearest, _ = self.retriever.dense(safety_vectors)  # (n, top_chunks)
        closeness = float(nearest[:, 0].max()) if len(self.data.chunks) else 0.0
        safety = self.guard.check(safety_texts, list(safety_vectors), follow_up, closeness, history)
        bridged = {"typos": [{"typed": a, "read": b} for a, b in fixes]}
        said = [question, corrected, *history]  # what related questions must not restate
        if safety.kind != "pass":
            suggestions = [] if safety.kind == "emergency" else self.suggest(query, 2, said)
            text = "\n\n".join([*(f"*{n}*" for n in notes), safety_text(safety, suggestions)])
            return Reply(
                safety.kind,
                text,
                notes=notes,
                safety=safety.to_json(),
                suggestions=suggestions,
                debug={"query": query_text, **bridged},
            )
        reply = self._retrieve(query_text, query, notes, said)
        reply.debug.update(bridged)
        reply.safety = safety.to_json()
        return reply

    def read(
        self, question: str, history: Sequence[str] = (), *, only: frozenset[str] | None = None
    ) -> Reading:
        """What the answer step makes of a question, without the safety layer: for
        evaluating it on pages about other conditions (evals/lay.py). `only` restricts
        retrieval to those documents."""
        text, _ = self.clean_question(question)
        corrected = self.speller.correct(text)[0]
        earlier = [self.speller.correct(self.clean_question(h)[0])[0] for h in history if h.strip()]
        query_text = self.retrieval_text(corrected, earlier[-MAX_HISTORY:])
        _, _, spans, decision = self.passages(
            query_text, self.embedder.encode_one(query_text), only
        )
        return Reading(query_text, spans, decision)

    def passages(self, query_text: str, query: np.ndarray, only: frozenset[str] | None = None):
        """(candidates, chunks, spans to quote, answer decision) for a question's text and
        its (dim,) embedding: retrieval, quote selection and the no-answer rule. `only`
        restricts retrieval to those documents (evals/answerability.py uses it)."""
        lexical, s = self.data.lexical, self.config.answers
        terms = lexical.tokens(query_text)
        weights = lexical.term_weights(  # shared by both steps
            lexical.informative(terms), self.words if s.wordnet else None, s.unseen_floor
        )
        candidates, chunks = self.retriever.candidates(query, terms, weights, only)
        spans = self.selector.select(candidates)
        # never quote a passage that reads as instructions for a particular person
        spans = [sp for sp in spans if not instructs(self.data.text(sp.doc_id, sp.start, sp.end))]
        decision = self.selector.decide(
            candidates, spans, weights, lexical.alternatives(query_text)
        )
        return candidates, chunks, spans, decision

    def _retrieve(
        self, query_text: str, query: np.ndarray, notes: list[str], said: list[str]
    ) -> Reply:
        candidates, chunks, spans, decision = self.passages(query_text, query)
        debug = {
            "query": query_text,
            "decision": {
                "answers": decision.answers,
                "reason": decision.reason,
                "missing_terms": list(decision.missing_terms),
                "missing_share": round(decision.missing_share, 3),
            },
            "candidates": [self._describe(c) for c in candidates[:8]],
            "chunks": [
                {
                    "doc_id": self.data.chunks[c.chunk].doc_id,
                    "cosine": round(c.cosine, 3),
                    "bm25": round(c.bm25, 3),
                }
                for c in chunks[:8]
            ],
        }
        if not decision.answers:
            suggestions = self.suggest(query, 2, said)
            text = "\n\n".join([*(f"*{n}*" for n in notes), NO_ANSWER_TEXT])
            if suggestions:
                text += "\n\nYou could ask, for example: " + " or ".join(
                    f"“{escape_markdown(x)}”" for x in suggestions
                )
            return Reply("no_answer", text, notes=notes, suggestions=suggestions, debug=debug)
        sources: dict[str, Source] = {}
        quotes = []
        for span in spans:
            doc = self.data.documents[span.doc_id]
            if span.doc_id not in sources:
                m = doc.meta
                sources[span.doc_id] = Source(
                    len(sources) + 1,
                    doc.id,
                    m.title,
                    m.publisher,
                    m.kind,
                    m.kind_label,
                    m.promotional,
                    m.reviewed,
                    m.url,
                )
            quotes.append(
                Quote(
                    doc.text[span.start : span.end],
                    doc.id,
                    doc.meta.title,
                    span.start,
                    span.end,
                    round(span.score, 4),
                    sources[span.doc_id].marker,
                    doc.page_at(span.start),
                )
            )
        related = self.suggest(query, 3, said)
        if all(s.promotional for s in sources.values()):
            notes = [*notes, PROMOTIONAL_ONLY]
        text = answer_markdown(quotes, list(sources.values()), notes, related)
        return Reply(
            "answer", text, quotes, list(sources.values()), notes, suggestions=related, debug=debug
        )

    def suggest(self, query: np.ndarray, k: int, said: Sequence[str] = ()) -> list[str]:
        """Up to `k` curated questions the documents answer, nearest to `query` first,
        leaving out any that restate what was `said` or are about someone else
        (bot/answer/related.py)."""
        if not self.data.suggestions:
            return []
        cos = self.data.suggestion_vectors @ query  # (n_suggestions,)
        return pick_related(self.data.suggestions, cos, said, k)

    def _describe(self, c) -> dict:
        u = self.data.units[c.unit]
        return {
            "doc_id": u.doc_id,
            "start": u.start,
            "end": u.end,
            "kind": u.kind,
            "text": self.data.text(u.doc_id, u.start, u.end)[:160],
            "score": round(c.score, 4),
            "unit_cosine": round(c.unit_cosine, 3),
            "chunk_cosine": round(c.chunk_cosine, 3),
            "lexical": round(c.lexical, 3),
            "coverage": round(c.coverage, 3),
        }


def _corpus_size(folder: Path) -> str:
    """ "4 files, 0.1 MB": what a build will read (its time grows with it; README, Measured)."""
    files = [p for p in folder.glob("*") if p.is_file() and p.name != "sources.json"]
    mb = sum(p.stat().st_size for p in files) / 2**20
    return f"{len(files)} file{'s' * (len(files) != 1)}, {mb:.1f} MB"
