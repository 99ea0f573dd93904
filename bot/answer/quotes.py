"""Choose the one to three passages to quote, and decide whether they answer at all.

Selection, from candidates ranked by `bot.answer.retrieval`:

1. the best unit, then further units scoring at least `follow_ratio` x the best, up to
   `max_quotes`, skipping any that overlap a chosen span (a list and its own items);
2. a chosen span that directly follows a better one in its document (separated only by
   whitespace) joins it as one passage.

Every resulting span is `(doc_id, start, end)` into the indexed text: quotes are cut,
never edited.

The decision (`answers`): the quotes answer when the best score is at least
`confident_score`, or at least `min_score` while the quotes (with their headings)
contain nearly all of the question's informative terms (`max_missing`). Everything
else is `no_answer`: a stretched quote is worse than an honest "the documents don't say".
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from bot.answer.retrieval import Candidate
from bot.config import AnswerSettings
from bot.index.lexical import TermWeights
from bot.index.store import IndexData


@dataclass(frozen=True)
class Span:
    doc_id: str
    start: int
    end: int
    score: float  # the best score among the units it was made from
    units: tuple[int, ...]


@dataclass(frozen=True)
class Decision:
    answers: bool
    reason: str
    best_score: float
    missing_terms: tuple[str, ...]
    missing_share: float


class QuoteSelector:
    def __init__(
        self, data: IndexData, settings: AnswerSettings, unit_terms: Callable[[int], set[str]]
    ):
        self.data = data
        self.settings = settings
        # each unit's terms, its heading's included (Retriever.unit_terms): a span is its
        # units' texts joined by whitespace, so its terms are theirs
        self.unit_terms = unit_terms

    def select(self, candidates: list[Candidate]) -> list[Span]:
        s = self.settings
        if not candidates:
            return []
        best = candidates[0].score
        chosen: list[Candidate] = []
        for c in candidates:
            if len(chosen) == s.max_quotes or c.score < s.follow_ratio * best:
                break
            if not any(self._overlap(c.unit, o.unit) for o in chosen):
                chosen.append(c)
        spans = [
            Span(
                self.data.units[c.unit].doc_id,
                self.data.units[c.unit].start,
                self.data.units[c.unit].end,
                c.score,
                (c.unit,),
            )
            for c in chosen
        ]
        return _merge_adjacent(spans, self.data)

    def decide(
        self,
        candidates: list[Candidate],
        spans: list[Span],
        weights: TermWeights,
        alternatives: list[tuple[frozenset[str], frozenset[str]]] = (),
    ) -> Decision:
        """`weights`: the question's informative terms (`Lexical.term_weights`);
        `alternatives`: its "A or B" parts (`Lexical.alternatives`): quotes that answer
        one alternative need not contain the other's words."""
        s = self.settings
        if not candidates or not spans:
            return Decision(False, "no passage retrieved", 0.0, (), 1.0)
        covered = set().union(*(self.unit_terms(u) for span in spans for u in span.units))
        absent = {
            t for t, (_, matches) in weights.items() if not any(m in covered for m in matches)
        }
        for a, b in alternatives:
            for one, other in ((a, b), (b, a)):
                if other & weights.keys() <= absent and (one & weights.keys()) - absent:
                    absent -= other
        missing = tuple(sorted(absent))
        total = sum(w for w, _ in weights.values())
        share = sum(weights[t][0] for t in missing) / total if total else 0.0
        best = candidates[0].score
        if best >= s.confident_score:
            return Decision(
                True, f"best passage scores {best:.3f} >= {s.confident_score}", best, missing, share
            )
        if best >= s.min_score and share <= s.max_missing:
            return Decision(
                True,
                f"best passage scores {best:.3f} and the quotes contain the question's key terms",
                best,
                missing,
                share,
            )
        why = (
            f"best passage scores {best:.3f} < {s.min_score}"
            if best < s.min_score
            else f"best passage scores {best:.3f} < {s.confident_score} and the quotes lack "
            + ", ".join(repr(t) for t in missing)
        )
        return Decision(False, why, best, missing, share)

    def _overlap(self, a: int, b: int) -> bool:
        ua, ub = self.data.units[a], self.data.units[b]
        return ua.doc_id == ub.doc_id and ua.start < ub.end and ub.start < ua.end


def _merge_adjacent(spans: list[Span], data: IndexData) -> list[Span]:
    """Join spans of one document that touch or are separated only by whitespace, when the
    lower-ranked one follows: a quote starts with its best passage, never with a weaker
    one that happens to stand before it (that one is quoted on its own)."""
    out: list[Span] = []
    for span in spans:
        for i, kept in enumerate(out):
            if kept.doc_id != span.doc_id or span.start < kept.start:
                continue
            lo, hi = sorted((kept, span), key=lambda x: x.start)
            gap = data.text(span.doc_id, lo.end, hi.start) if hi.start >= lo.end else ""
            if hi.start <= lo.end or (not gap.strip() and "\n\n" not in gap):
                out[i] = Span(
                    span.doc_id,
                    lo.start,
                    max(lo.end, hi.end),
                    max(kept.score, span.score),
                    kept.units + span.units,
                )
                break
        else:
            out.append(span)
    return out
