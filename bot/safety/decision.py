"""Decide, before any quote is chosen, whether a message may be answered at all.

Order, most serious first; the first that applies wins:

0. another language  the message is not in English (bot/safety/language.py): a notice in
               its language that the bot reads English, with the emergency numbers;
1. emergency   an emergency or self-harm rule matches (the published danger signs of
               bot/safety/signs.py: a floor), or the classifier's emergency probability
               reaches `emergency_threshold`; then a request for a way to harm someone
               is declined (out of scope) whatever its violent words; then the message
               reader (bot/safety/reader.py, trained on families' own words) finds
               emergency in the whole message or any one of its sentences at its
               threshold (the sentence that drove it is kept for the staff view);
2. refusal     an advice rule matches, or the advice probability reaches
               `advice_threshold`;
3. out_of_scope  another meaning of "SMA", another condition or medicine, chit-chat, or
               a request that is not about health, read with the conversation
               (bot/safety/scope.py says how);
4. pass        everything else goes on to retrieval (`answer` or `no_answer`).

A follow-up ("and for a 10 kg baby?") is checked twice: alone, and read together with
the previous message, so a refused question cannot be continued by ellipsis. The
decision records which rule or score decided, for staff and for `--json`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

import numpy as np

from bot.config import SafetySettings
from bot.safety.classifier import predict, probability
from bot.safety.language import other_language
from bot.safety.rules import (
    HARM_RULE,
    RuleHit,
    check_rules,
    is_other_condition,
    mentions_sma,
    names_a_person,
)
from bot.safety.scope import OtherConditions, other_sma_meaning, speaks_of_family

if TYPE_CHECKING:
    from bot.safety.reader import MessageReader

SafetyKind = Literal["pass", "refusal", "emergency", "out_of_scope"]


@dataclass(frozen=True)
class SafetyDecision:
    kind: SafetyKind
    reason: str  # one line a person can read
    rule: str | None = None  # the rule that decided, if a rule did
    matched: str | None = None  # the words it matched
    category: str | None = None  # emergency | self_harm | advice | out_of_scope
    scores: dict[str, float] = field(default_factory=dict)  # classifier, on the message
    follow_up: bool = False
    reader: dict[str, float] = field(default_factory=dict)  # the message reader's
    language: str | None = None  # a message not in English: its language code

    def to_json(self) -> dict:
        return {
            "decision": self.kind,
            "reason": self.reason,
            "rule": self.rule,
            "matched": self.matched,
            "category": self.category,
            "scores": {k: round(v, 3) for k, v in self.scores.items()},
            "follow_up": self.follow_up,
            "reader": {k: round(v, 3) for k, v in self.reader.items()},
            "language": self.language,
        }


class Guard:
    def __init__(
        self,
        arrays: dict[str, np.ndarray],
        settings: SafetySettings,
        topic_terms: frozenset[str] = frozenset(),
        other_conditions: OtherConditions | None = None,
        reader: MessageReader | None = None,
    ):
        """`reader`: the message reader (None leaves it out: rules and classifiers only)."""
        self.arrays = arrays
        self.settings = settings
        self.reader = reader
        # corpus terms that are themselves other conditions (ALS, DMD) don't put a message
        # about them in scope
        self.topic_terms = frozenset(n for n in topic_terms if not is_other_condition(n))
        self.other_conditions = other_conditions or OtherConditions(())

    def check(
        self,
        texts: Sequence[str],
        vectors: Sequence[np.ndarray],
        follow_up: bool = False,
        closeness: float = 1.0,
        history: Sequence[str] = (),
    ) -> SafetyDecision:
        """`texts`: the message (as typed, then with typos corrected if any differ), then,
        for a follow-up, the message read with the previous one; `vectors`: embeddings of
        the corrected message and of the follow-up reading, (dim,) float32 each;
        `closeness`: the best cosine between them and any chunk of the corpus;
        `history`: the conversation's earlier messages, oldest first."""
        s = self.settings
        message = texts[0]
        if code := other_language(message):
            reason = f"written in another language ({code})"
            return SafetyDecision("out_of_scope", reason, category="language",
                                  follow_up=follow_up, language=code)  # fmt: skip
        hits = [h for t in texts for h in check_rules(t)]
        scores = [predict(self.arrays, v) for v in vectors] if "coef" in self.arrays else [{}]
        top = {k: max(sc.get(k, 0.0) for sc in scores) for k in scores[0]}
        reading = self.reader.read(message, list(history)) if self.reader else None
        read = {"emergency": reading.emergency, "advice": reading.advice} if reading else {}

        def decide(kind: SafetyKind, reason: str, hit: RuleHit | None = None, **kw):
            return SafetyDecision(
                kind,
                reason,
                hit.rule if hit else kw.get("rule"),
                hit.matched if hit else kw.get("matched"),
                hit.category if hit else kw.get("category"),
                scores[0],
                follow_up,
                read,
            )

        def by_rule(kind: SafetyKind, hit: RuleHit) -> SafetyDecision:
            return decide(kind, hit.reason, hit)

        def by_score(kind: SafetyKind, label: str, threshold: float) -> SafetyDecision:
            reason = f"classifier: {label} {top[label]:.2f} >= {threshold}"
            return decide(kind, reason, category=label)

        for category in ("self_harm", "emergency"):
            for hit in hits:
                if hit.category == category:
                    return by_rule("emergency", hit)
        if top.get("emergency", 0.0) >= s.emergency_threshold:
            return by_score("emergency", "emergency", s.emergency_threshold)
        for hit in hits:  # asking for a way to hurt someone is declined, not escalated
            if hit.rule == HARM_RULE:
                return decide("out_of_scope", hit.reason, hit)
        if reading and reading.emergency >= (limit := self.reader.thresholds["emergency"]):
            driver = reading.driver
            where = message[driver.start : driver.end] if driver else None
            reason = f"message reader: emergency {reading.emergency:.2f} >= {limit}"
            return decide("emergency", reason, category="danger", matched=where)
        for hit in hits:
            if hit.category == "advice":
                return by_rule("refusal", hit)
        # the classifier alone refuses only advice for someone in particular: "do kids need
        # steroids with Zolgensma?" asks what the documents say (rules catch doses anyway)
        if top.get("advice", 0.0) >= s.advice_threshold and any(map(names_a_person, texts[:2])):
            return by_score("refusal", "advice", s.advice_threshold)
        out = self.out_of_scope(texts, vectors[:1], hits, closeness, history)
        if out is not None:
            rule, matched, reason = out
            return decide(
                "out_of_scope", reason, rule=rule, matched=matched, category="out_of_scope"
            )
        return decide("pass", "no safety rule or score applies")

    def classifier_scores(self, vectors: Sequence[np.ndarray]) -> dict[str, float]:
        """The safety classifier's probabilities for the first vector ({} without one)."""
        return predict(self.arrays, vectors[0]) if "coef" in self.arrays and vectors else {}

    def out_of_scope(
        self,
        texts: Sequence[str],
        vectors: Sequence[np.ndarray],
        hits: Sequence[RuleHit],
        closeness: float,
        history: Sequence[str],
    ) -> tuple[str, str | None, str] | None:
        """(rule, matched words, reason) when the message is not about SMA, else None.
        `texts[0]` is the message as typed; `vectors` holds its embedding."""
        s = self.settings
        message = texts[0]
        for text in texts[:2]:  # as typed, and with typos corrected
            if meaning := other_sma_meaning(text):
                return "another meaning of SMA", meaning, f"“SMA” here means {meaning}"
        if any(mentions_sma(t, self.topic_terms) for t in texts[:2]):
            return None
        conversation = any(mentions_sma(h, self.topic_terms) for h in history[-4:])
        harm = probability(self.arrays, "harm", vectors)
        # a family's own request ("can they help us choose...") is never taken for harm
        if not conversation and not speaks_of_family(message) and harm >= s.harm_threshold:
            reason = f"classifier: a request to harm or deceive {harm:.2f} >= {s.harm_threshold}"
            return "harmful request", None, reason
        for hit in hits:
            if hit.rule == "another condition":
                return hit.rule, hit.matched, hit.reason
        if not conversation and (other := self.other_conditions.find(message)):
            return "another condition", other, f"names another condition or medicine, “{other}”"
        for hit in hits:
            if hit.category == "out_of_scope":
                return hit.rule, hit.matched, hit.reason
        if closeness >= s.in_scope_cosine:
            return None
        scores = self.classifier_scores(vectors)
        info = scores.get("info", 1.0)
        far = s.far_cosine if speaks_of_family(message) else s.in_scope_cosine
        if not conversation and info < s.in_scope_info and closeness < far:
            return (
                "far from the documents",
                None,
                f"names nothing about SMA; classifier info {info:.2f} < {s.in_scope_info} "
                f"and closest passage {closeness:.2f} < {far}",
            )
        limit = s.leave_conversation if conversation else s.general_threshold
        where = " in a conversation about SMA" if conversation else ""
        general = probability(self.arrays, "scope", vectors)
        if general >= limit:
            return (
                "not about health",
                None,
                f"classifier: not about health {general:.2f} >= {limit}{where}; closest "
                f"passage {closeness:.2f} < {s.in_scope_cosine}",
            )
        return None
