"""Choose the answer settings on the team's tune split and on public questions.

    python -m evals.calibrate [--public DIR] [--cv 5]

Two sources of questions choose together:

- the `tune` split of `evals/sets/dev.jsonl` (team-written, in the documents' words):
  hit@1 (answered, first quote from a right document) and "documents don't say" right;
- with `--public DIR` (built by `python -m evals.answerability build`), MEDIQA 2019's
  real consumer questions over their judged answers: answered from a correct answer,
  and declined over related-but-wrong answers only.

The objective is the mean of those four rates, so answering and declining count alike
and the team's words count as much as the public's; ties go to dev must-quote recall.
The `heldout` split is reported and never chooses.

Ranking and quote selection (which depend on the weights, `unseen_floor` and `wordnet`)
run once per setting; the thresholds (which only gate the reply) are then searched with
arithmetic on a grid. The choice is the point whose neighbourhood (±1 step of each
score threshold) scores best on average: the middle of a plateau, not a lucky point.
`--cv K` repeats the whole choice inside K folds of both sources and reports the folds.
"""

from __future__ import annotations

import argparse
import itertools
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from bot.bot import Bot
from bot.config import Config
from bot.index.embedding import Embedder
from evals.metrics import normalise
from evals.sets import DEFAULT_SET, Item, load_set

WEIGHTS = [(0.5, 0.3, 0.2, 0.1)]  # earlier runs found the others no better on tune
FOLLOW = [0.8, 0.9]
# (unseen_floor, wordnet): how much a question word the corpus never uses counts, and
# whether WordNet synonyms count as the word (bot/index/vocabulary.py)
WORDS = [(1.0, False), (0.5, False), (0.25, False), (1.0, True), (0.5, True), (0.25, True)]
SCORE_GRID = np.round(np.arange(0.20, 0.90, 0.02), 2)  # confident_score and min_score
MISSING_GRID = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5)
SMOOTH = 1  # neighbourhood half-width, in grid steps


class CachedEmbedder(Embedder):
    """Embeds each distinct text once across all the settings tried."""

    def __init__(self, inner: Embedder):
        super().__init__(inner.model_id)
        self.__dict__["model"] = inner.model
        self._cache: dict[str, np.ndarray] = {}

    def encode(self, texts, **kw) -> np.ndarray:
        missing = [t for t in dict.fromkeys(texts) if t not in self._cache]
        if missing:
            self._cache.update(zip(missing, super().encode(missing, **kw), strict=True))
        return np.stack([self._cache[t] for t in texts])


@dataclass
class Outcome:
    source: str  # "dev" or "public"
    answerable: bool
    score: float  # -inf when the safety layer stops the question
    missing: float
    hit: bool  # first quote from a right document
    quoted: bool | None  # a must_quote phrase among the quotes (dev items that name one)


def dev_outcomes(bot: Bot, items: list[Item]) -> list[Outcome]:
    out = []
    for it in items:
        reply = bot.answer(it.question, it.history)
        # re-run the selection to see the quotes even when the current thresholds refuse
        text = bot.retrieval_text(bot.speller.correct(it.question)[0], list(it.history))
        _, _, spans, decision = bot.passages(text, bot.embedder.encode_one(text))
        quoted = normalise(" ".join(bot.data.text(s.doc_id, s.start, s.end) for s in spans))
        stopped = reply.kind not in ("answer", "no_answer")
        out.append(
            Outcome(
                "dev",
                it.primary == "answer",
                -np.inf if stopped else decision.best_score,
                decision.missing_share,
                bool(spans) and spans[0].doc_id in it.sources,
                any(normalise(p) in quoted for p in it.must_quote) if it.must_quote else None,
            )
        )
    return out


def public_outcomes(bot: Bot, items) -> list[Outcome]:
    from evals.answerability import _run

    out = []
    for it in items:
        _, _, spans, decision = _run(bot, it)
        right = bool(spans) and spans[0].doc_id in it.correct
        out.append(
            Outcome(
                "public", it.answerable, decision.best_score, decision.missing_share, right, None
            )
        )
    return out


def answered(o: Outcome, confident: float, minimum: float, max_missing: float) -> bool:
    """The bot's answer decision (bot/answer/quotes.py) replayed on a recorded outcome."""
    return o.score >= confident or (o.score >= minimum and o.missing <= max_missing)


class Rows:
    """Recorded outcomes as arrays, so each threshold setting is a few vector operations."""

    def __init__(self, rows: list[Outcome]):
        self.score = np.array([o.score for o in rows])
        self.missing = np.array([o.missing for o in rows])
        self.hit = np.array([o.hit for o in rows])
        self.quoted = np.array([bool(o.quoted) for o in rows])
        self.has_quote = np.array([o.quoted is not None for o in rows])
        self.groups = {}
        for source in ("dev", "public"):
            is_source = np.array([o.source == source for o in rows])
            answerable = np.array([o.answerable for o in rows])
            self.groups[source] = (is_source & answerable, is_source & ~answerable)

    def figures(self, confident: float, minimum: float, max_missing: float) -> dict[str, float]:
        said = (self.score >= confident) | ((self.score >= minimum) & (self.missing <= max_missing))
        out = {}
        for source, (ans, none) in self.groups.items():
            if ans.any():
                out[f"{source}.hit@1"] = float((said & self.hit)[ans].mean())
            if none.any():
                out[f"{source}.no_answer"] = float((~said)[none].mean())
            quoted = ans & self.has_quote
            if quoted.any():
                out[f"{source}.must_quote"] = float((said & self.quoted)[quoted].mean())
        return out


def figures(rows: list[Outcome], confident: float, minimum: float, max_missing: float):
    return Rows(rows).figures(confident, minimum, max_missing)


def objective(f: dict[str, float]) -> tuple[float, float]:
    rates = [v for k, v in f.items() if not k.endswith("must_quote")]
    return float(np.mean(rates)), f.get("dev.must_quote", 0.0)


def search(table: dict[tuple, list[Outcome]], keep: list[int], smooth: int = SMOOTH):
    """Best (settings key, confident, minimum, max_missing) on the rows at `keep`."""
    n = len(SCORE_GRID)
    best = None
    for key, all_rows in table.items():
        rows = Rows([all_rows[i] for i in keep])
        raw = np.full((n, n, len(MISSING_GRID), 2), -1.0)
        for i, j, k in itertools.product(range(n), range(n), range(len(MISSING_GRID))):
            if SCORE_GRID[j] <= SCORE_GRID[i]:
                raw[i, j, k] = objective(
                    rows.figures(SCORE_GRID[i], SCORE_GRID[j], MISSING_GRID[k])
                )
        for i, j, k in itertools.product(range(n), range(n), range(len(MISSING_GRID))):
            if raw[i, j, k, 0] < 0:
                continue
            hood = raw[max(0, i - smooth) : i + smooth + 1, max(0, j - smooth) : j + smooth + 1, k]
            valid = hood[hood[..., 0] >= 0]
            rank = (float(valid[:, 0].mean()), float(raw[i, j, k, 0]), float(raw[i, j, k, 1]))
            if best is None or rank > best[0]:
                best = (rank, key, float(SCORE_GRID[i]), float(SCORE_GRID[j]), MISSING_GRID[k])
    assert best is not None
    return best[1:]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--public", type=Path, help="a benchmark built by evals.answerability")
    parser.add_argument("--cv", type=int, default=0, metavar="K", help="K-fold estimate")
    args = parser.parse_args()
    config = Config.from_env()
    items = [it for it in load_set(DEFAULT_SET).items if it.primary in ("answer", "no_answer")]
    tune = [it for it in items if it.split == "tune"]
    heldout = [it for it in items if it.split == "heldout"]
    base = Bot.load(config)
    embedder = CachedEmbedder(base.embedder)
    public_items, public_bot = [], None
    if args.public:
        from evals.answerability import config_for, load_items

        public_items = load_items(args.public)
        public_bot = Bot.load(config_for(args.public, config), embedder=embedder)
    table: dict[tuple, list[Outcome]] = {}
    bots: dict[tuple, Bot] = {}
    for (wu, wc, wl, wv), follow, (floor, wordnet) in itertools.product(WEIGHTS, FOLLOW, WORDS):
        settings = replace(
            config.answers,
            w_unit=wu,
            w_chunk=wc,
            w_lexical=wl,
            w_coverage=wv,
            follow_ratio=follow,
            unseen_floor=floor,
            wordnet=wordnet,
            confident_score=-1.0,
        )
        key = (wu, wc, wl, wv, follow, floor, wordnet)
        bots[key] = Bot(config.with_(answers=settings), base.data, embedder)
        table[key] = dev_outcomes(bots[key], tune)
        if public_bot is not None:
            pub = Bot(config.with_(answers=settings), public_bot.data, embedder)
            table[key] += public_outcomes(pub, public_items)
        print(f"  measured {key}", flush=True)

    n_rows = len(next(iter(table.values())))
    if args.cv:
        order = np.random.default_rng(0).permutation(n_rows)
        folds = [sorted(int(i) for i in order[f :: args.cv]) for f in range(args.cv)]
        merged: list[dict[str, float]] = []
        for fold, test in enumerate(folds):
            train = sorted(set(range(n_rows)) - set(test))
            key, c, m, x = search(table, train)
            f = figures([table[key][i] for i in test], c, m, x)
            merged.append(f)
            print(f"  fold {fold + 1}: chose {key} {c} {m} {x}: " + _show(f))
        mean = {k: float(np.mean([f[k] for f in merged if k in f])) for k in merged[0]}
        print(f"{args.cv}-fold cross-validation (test folds, mean): " + _show(mean))

    key, confident, minimum, max_missing = search(table, list(range(n_rows)))
    chosen = replace(
        bots[key].config.answers,
        confident_score=confident,
        min_score=minimum,
        max_missing=max_missing,
    )
    print("Chosen:\n ", chosen)
    print("  on all rows: " + _show(figures(table[key], confident, minimum, max_missing)))
    held = figures(dev_outcomes(bots[key], heldout), confident, minimum, max_missing)
    print(f"  dev heldout ({len(heldout)} items, not used to choose): " + _show(held))


def _show(f: dict[str, float]) -> str:
    return ", ".join(f"{k} {v:.3f}" for k, v in f.items())


if __name__ == "__main__":
    main()
