"""Choose the answer settings (score weights, no-answer thresholds) on the tune split.

    python -m evals.calibrate            # prints the chosen AnswerSettings and figures

Only items with `split == "tune"` that expect `answer` or `no_answer` are used to
choose; the same settings are then reported on the `heldout` split, which never
influences the choice. The objective is the issue's targets, balanced:
maximise min(hit@1 / 0.90, must-quote / 0.85, no-answer accuracy / 0.80), ties broken by
the sum of the three.

Ranking and quote selection (which depend on the weights) run once per weight setting;
the thresholds (which only gate the reply) are then searched with arithmetic.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, replace

import numpy as np

from bot.bot import Bot
from bot.config import Config
from bot.embedding import Embedder
from evals.metrics import normalise
from evals.sets import DEFAULT_SET, Item, load_set

WEIGHTS = [
    (0.5, 0.3, 0.2, 0.1),
    (0.5, 0.3, 0.2, 0.0),
    (0.45, 0.3, 0.15, 0.1),
    (0.5, 0.25, 0.15, 0.1),
    (0.4, 0.3, 0.2, 0.1),
    (0.55, 0.25, 0.2, 0.1),
]
FOLLOW = [0.8, 0.85, 0.9]
TARGETS = {"hit@1": 0.90, "must_quote": 0.85, "no_answer": 0.80}


class CachedEmbedder(Embedder):
    """Embeds each distinct text once across all the settings tried."""

    def __init__(self, inner: Embedder):
        super().__init__(inner.model_id)
        self.__dict__["model"] = inner.model
        self._cache: dict[str, np.ndarray] = {}

    def encode_one(self, text: str) -> np.ndarray:
        if text not in self._cache:
            self._cache[text] = super().encode_one(text)
        return self._cache[text]


@dataclass
class Outcome:
    item: Item
    score: float
    missing: float
    hit: bool  # first quote from a right document, if answered
    quoted: bool  # a must_quote phrase among the quotes, if answered


def outcomes(bot: Bot, items: list[Item]) -> list[Outcome]:
    out = []
    for it in items:
        reply = bot.answer(it.question, it.history)
        d = reply.debug
        score = d["candidates"][0]["score"] if d["candidates"] else 0.0
        # re-run the selection to see the quotes even when the current thresholds refuse
        text = bot.retrieval_text(it.question, list(it.history))
        terms = bot.data.lexical.tokens(text)
        cands, _ = bot.retriever.candidates(bot.embedder.encode_one(text), terms)
        spans = bot.selector.select(cands)
        decision = bot.selector.decide(cands, spans, terms)
        quoted = normalise(" ".join(bot.data.text(s.doc_id, s.start, s.end) for s in spans))
        out.append(
            Outcome(
                it,
                score,
                decision.missing_share,
                bool(spans) and spans[0].doc_id in it.sources,
                any(normalise(p) in quoted for p in it.must_quote),
            )
        )
    return out


def figures(
    rows: list[Outcome], confident: float, minimum: float, max_missing: float
) -> dict[str, float]:
    def answers(o: Outcome) -> bool:
        return o.score >= confident or (o.score >= minimum and o.missing <= max_missing)

    ans = [o for o in rows if o.item.primary == "answer"]
    none = [o for o in rows if o.item.primary == "no_answer"]
    return {
        "hit@1": float(np.mean([answers(o) and o.hit for o in ans])),
        "must_quote": float(np.mean([answers(o) and o.quoted for o in ans if o.item.must_quote])),
        "no_answer": float(np.mean([not answers(o) for o in none])),
    }


def objective(f: dict[str, float]) -> tuple[float, float]:
    return min(f[k] / t for k, t in TARGETS.items()), sum(f.values())


def main() -> None:
    config = Config.from_env()
    items = [it for it in load_set(DEFAULT_SET).items if it.primary in ("answer", "no_answer")]
    tune = [it for it in items if it.split == "tune"]
    heldout = [it for it in items if it.split == "heldout"]
    base = Bot.load(config)
    embedder = CachedEmbedder(base.embedder)
    best = None
    for (wu, wc, wl, wv), follow in itertools.product(WEIGHTS, FOLLOW):
        settings = replace(
            config.answers,
            w_unit=wu,
            w_chunk=wc,
            w_lexical=wl,
            w_coverage=wv,
            follow_ratio=follow,
            confident_score=-1.0,
        )
        bot = Bot(config.with_(answers=settings), base.data, embedder)
        rows = outcomes(bot, tune)
        scores = sorted({round(o.score, 3) for o in rows})
        for confident in scores:
            for minimum in (s for s in scores if s <= confident):
                for max_missing in (0.0, 0.1, 0.2, 0.3, 0.4):
                    f = figures(rows, confident, minimum, max_missing)
                    key = objective(f)
                    if best is None or key > best[0]:
                        best = (key, settings, confident, minimum, max_missing, f)
    assert best is not None
    _, settings, confident, minimum, max_missing, f = best
    chosen = replace(
        settings, confident_score=confident, min_score=minimum, max_missing=max_missing
    )
    print("Chosen on the tune split:\n ", chosen)
    print(f"  tune    ({len(tune)} items): " + ", ".join(f"{k} {v:.3f}" for k, v in f.items()))
    bot = Bot(config.with_(answers=replace(chosen, confident_score=-1.0)), base.data, embedder)
    held = figures(outcomes(bot, heldout), confident, minimum, max_missing)
    print(
        f"  heldout ({len(heldout)} items, not used to choose): "
        + ", ".join(f"{k} {v:.3f}" for k, v in held.items())
    )


if __name__ == "__main__":
    main()
