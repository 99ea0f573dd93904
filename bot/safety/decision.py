"""Decide, before any quote is chosen, whether a message may be answered at all.

Order, most serious first; the first that applies wins:

1. emergency   an emergency or self-harm rule matches, or the classifier's emergency
               probability reaches `emergency_threshold`;
2. refusal     an advice rule matches, or the advice probability reaches
               `advice_threshold`;
3. out_of_scope  the message (read with the previous one, for a follow-up) names
               neither SMA nor any of the corpus's topic terms (Zolgensma, risdiplam,
               hypotonia, ...), and a scope rule matches, or it is neither likely an SMA
               information question (`in_scope_info`) nor close to any passage of the
               corpus (`in_scope_cosine`);
4. pass        everything else goes on to retrieval (`answer` or `no_answer`).

A follow-up ("and for a 10 kg baby?") is checked twice: alone, and read together with
the previous message, so a refused question cannot be continued by ellipsis. The
decision records which rule or score decided, for staff and for `--json`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from bot.config import SafetySettings
from bot.safety.classifier import predict
from bot.safety.rules import RuleHit, check_rules, is_other_condition, mentions_sma

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

    def to_json(self) -> dict:
        return {
            "decision": self.kind,
            "reason": self.reason,
            "rule": self.rule,
            "matched": self.matched,
            "category": self.category,
            "scores": {k: round(v, 3) for k, v in self.scores.items()},
            "follow_up": self.follow_up,
        }


class Guard:
    def __init__(
        self,
        arrays: dict[str, np.ndarray],
        settings: SafetySettings,
        topic_terms: frozenset[str] = frozenset(),
    ):
        self.arrays = arrays
        self.settings = settings
        # corpus terms that are themselves other conditions (ALS, DMD) don't put a message
        # about them in scope
        self.topic_terms = frozenset(n for n in topic_terms if not is_other_condition(n))

    def check(
        self,
        texts: Sequence[str],
        vectors: Sequence[np.ndarray],
        follow_up: bool = False,
        closeness: float = 1.0,
    ) -> SafetyDecision:
        """`texts`: the message, then (for a follow-up) the message read with the previous
        one; `vectors`: their embeddings, same order, (dim,) float32 each; `closeness`:
        the best cosine between them and any chunk of the corpus."""
        s = self.settings
        hits = [h for t in texts for h in check_rules(t)]
        scores = [predict(self.arrays, v) for v in vectors] if self.arrays else [{}]
        top = {k: max(sc.get(k, 0.0) for sc in scores) for k in scores[0]}

        def by_rule(kind: SafetyKind, hit: RuleHit) -> SafetyDecision:
            return SafetyDecision(
                kind,
                f"rule “{hit.rule}” matched “{hit.matched}”",
                hit.rule,
                hit.matched,
                hit.category,
                scores[0],
                follow_up,
            )

        def by_score(kind: SafetyKind, label: str, threshold: float) -> SafetyDecision:
            return SafetyDecision(
                kind,
                f"classifier: {label} {top[label]:.2f} >= {threshold}",
                None,
                None,
                label,
                scores[0],
                follow_up,
            )

        for category in ("self_harm", "emergency"):
            for hit in hits:
                if hit.category == category:
                    return by_rule("emergency", hit)
        if top.get("emergency", 0.0) >= s.emergency_threshold:
            return by_score("emergency", "emergency", s.emergency_threshold)
        for hit in hits:
            if hit.category == "advice":
                return by_rule("refusal", hit)
        if top.get("advice", 0.0) >= s.advice_threshold:
            return by_score("refusal", "advice", s.advice_threshold)
        if not any(mentions_sma(t, self.topic_terms) for t in texts):
            for hit in hits:
                if hit.category == "out_of_scope":
                    return by_rule("out_of_scope", hit)
            info = top.get("info", 1.0)
            if info < s.in_scope_info and closeness < s.in_scope_cosine:
                return SafetyDecision(
                    "out_of_scope",
                    f"names nothing about SMA; classifier info {info:.2f} < {s.in_scope_info} "
                    f"and closest passage {closeness:.2f} < {s.in_scope_cosine}",
                    None,
                    None,
                    "out_of_scope",
                    scores[0],
                    follow_up,
                )
        return SafetyDecision(
            "pass", "no safety rule or score applies", None, None, None, scores[0], follow_up
        )
