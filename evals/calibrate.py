"""Choose the answer settings (score weights, no-answer thresholds) on the tune split.

    python -m evals.calibrate            # prints the chosen AnswerSettings and figures

Only items with `split == "tune"` that expect `answer` or `no_answer` are used to
choose; the same settings are then reported on the `heldout` split, which never
influences the choice. The objective is the issue's targets, balanced:
maximise min(hit@1 / 0.90, must-quote / 0.85, no-answer accuracy / 0.80), ties broken by
the sum of the three.

Ranking and quote selection (which depend on the weights) run once per weight setting;
the thresholds (which only gate the reply) are then searched with arithmetic on a
regular grid. A single best grid point on ~100 questions is mostly luck, so the choice
is the point whose neighbourhood (±2 steps of each score threshold) scores best on
average: the middle of a plateau, not the edge of a cliff.
"""

from __future__ import annotations

import argparse
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
SCORE_GRID = np.round(np.arange(0.20, 0.90, 0.01), 2)  # confident_score and min_score
MISSING_GRID = (0.0, 0.1, 0.2, 0.3, 0.4)
SMOOTH = 2  # neighbourhood half-width, in grid steps
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
        # re-run the selection to see the quotes even when the current thresholds refuse
        text = bot.retrieval_text(it.question, list(it.history))
        _, _, spans, decision = bot.passages(text, bot.embedder.encode_one(text))
        quoted = normalise(" ".join(bot.data.text(s.doc_id, s.start, s.end) for s in spans))
        # a question the safety layer stops is never answered, whatever the thresholds
        stopped = reply.kind not in ("answer", "no_answer")
        out.append(
            Outcome(
                it,
                -np.inf if stopped else decision.best_score,
                decision.missing_share,
                bool(spans) and spans[0].doc_id in it.sources,
                any(normalise(p) in quoted for p in it.must_quote),
            )
        )
    return out


def answered(o: Outcome, confident: float, minimum: float, max_missing: float) -> bool:
    """The bot's answer decision (bot/quotes.py) replayed on a recorded outcome."""
    return o.score >= confident or (o.score >= minimum and o.missing <= max_missing)


def figures(
    rows: list[Outcome], confident: float, minimum: float, max_missing: float
) -> dict[str, float]:
    def answers(o: Outcome) -> bool:
        return answered(o, confident, minimum, max_missing)

    ans = [o for o in rows if o.item.primary == "answer"]
    none = [o for o in rows if o.item.primary == "no_answer"]
    return {
        "hit@1": float(np.mean([answers(o) and o.hit for o in ans])),
        "must_quote": float(np.mean([answers(o) and o.quoted for o in ans if o.item.must_quote])),
        "no_answer": float(np.mean([not answers(o) for o in none])),
    }


def objective(f: dict[str, float]) -> tuple[float, float]:
    return min(f[k] / t for k, t in TARGETS.items()), sum(f.values())


def search(
    table: dict[tuple, list[Outcome]], keep: list[int], smooth: int
) -> tuple[tuple, float, float, float]:
    """Best (settings key, confident, minimum, max_missing) on the rows at `keep`."""
    n = len(SCORE_GRID)
    best = None
    for key, all_rows in table.items():
        rows = [all_rows[i] for i in keep]
        raw = np.full((n, n, len(MISSING_GRID)), -1.0)
        for i, j, k in itertools.product(range(n), range(n), range(len(MISSING_GRID))):
            if SCORE_GRID[j] <= SCORE_GRID[i]:
                raw[i, j, k] = objective(
                    figures(rows, SCORE_GRID[i], SCORE_GRID[j], MISSING_GRID[k])
                )[0]
        for i, j, k in itertools.product(range(n), range(n), range(len(MISSING_GRID))):
            if raw[i, j, k] < 0:
                continue
            hood = raw[max(0, i - smooth) : i + smooth + 1, max(0, j - smooth) : j + smooth + 1, k]
            rank = (float(hood[hood >= 0].mean()), raw[i, j, k])
            if best is None or rank > best[0]:
                best = (rank, key, float(SCORE_GRID[i]), float(SCORE_GRID[j]), MISSING_GRID[k])
    assert best is not None
    return best[1:]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--cv",
        type=int,
        default=0,
        metavar="K",
        help="also estimate, by K-fold cross-validation inside the tune split, "
        "how well the chosen settings generalise",
    )
    parser.add_argument("--smooth", type=int, default=SMOOTH, help="plateau half-width (0: none)")
    args = parser.parse_args()
    config = Config.from_env()
    items = [it for it in load_set(DEFAULT_SET).items if it.primary in ("answer", "no_answer")]
    tune = [it for it in items if it.split == "tune"]
    heldout = [it for it in items if it.split == "heldout"]
    base = Bot.load(config)
    embedder = CachedEmbedder(base.embedder)
    table: dict[tuple, list[Outcome]] = {}
    bots: dict[tuple, Bot] = {}
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
        key = (wu, wc, wl, wv, follow)
        bots[key] = Bot(config.with_(answers=settings), base.data, embedder)
        table[key] = outcomes(bots[key], tune)

    if args.cv:
        rng = np.random.default_rng(0)
        order = rng.permutation(len(tune))
        predicted: dict[int, tuple] = {}
        for fold in range(args.cv):
            test = [int(i) for i in order[fold :: args.cv]]
            train = [i for i in range(len(tune)) if i not in set(test)]
            key, confident, minimum, max_missing = search(table, train, args.smooth)
            for i in test:
                predicted[i] = (key, confident, minimum, max_missing)
        by_choice: dict[tuple, list[int]] = {}
        for i, choice in predicted.items():
            by_choice.setdefault(choice, []).append(i)
        merged = {"hit@1": [], "must_quote": [], "no_answer": []}
        for (key, confident, minimum, max_missing), idx in by_choice.items():
            rows = [table[key][i] for i in idx]
            for o in rows:
                said = answered(o, confident, minimum, max_missing)
                if o.item.primary == "answer":
                    merged["hit@1"].append(said and o.hit)
                    if o.item.must_quote:
                        merged["must_quote"].append(said and o.quoted)
                else:
                    merged["no_answer"].append(not said)
        print(
            f"{args.cv}-fold cross-validation inside tune (smooth={args.smooth}): "
            + ", ".join(f"{k} {np.mean(v):.3f}" for k, v in merged.items())
        )

    key, confident, minimum, max_missing = search(table, list(range(len(tune))), args.smooth)
    chosen = replace(
        bots[key].config.answers,
        confident_score=confident,
        min_score=minimum,
        max_missing=max_missing,
    )
    f = figures(table[key], confident, minimum, max_missing)
    print("Chosen on the tune split:\n ", chosen)
    print(f"  tune    ({len(tune)} items): " + ", ".join(f"{k} {v:.3f}" for k, v in f.items()))
    held = figures(outcomes(bots[key], heldout), confident, minimum, max_missing)
    print(
        f"  heldout ({len(heldout)} items, not used to choose): "
        + ", ".join(f"{k} {v:.3f}" for k, v in held.items())
    )


if __name__ == "__main__":
    main()
