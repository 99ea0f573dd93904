"""A public answer-or-not benchmark in families' own kind of words: MEDIQA 2019's QA task.

MEDIQA 2019 (github abachaa/MEDIQA2019, Ben Abacha et al., ACL-BioNLP 2019) gives real
consumer health questions, typos and long stories included, each with 5-10 answers
retrieved by a medical QA system and judged by experts (4 excellent, 3 correct but
incomplete, 2 related, 1 incorrect). That is what the answer decision has to tell apart:

- answerable: the question over its own candidate answers, correct ones among them;
  the bot should answer, first quote from a correct answer;
- not answerable: the same question over its incorrect ones only ("related": the same
  condition, not what was asked); the bot should say the documents don't say.

    python -m evals.answerability build --mediqa PATH --out DIR   # corpus, items, index
    python -m evals.answerability score --out DIR                 # the current settings

Each answer becomes one document, cut after about `WORDS` words at a sentence end (the
lead of an answer holds most of it; the whole would take an hour to embed here). All
documents share one index; each item retrieves only among its own candidates (`only`).
Questions of this project's evaluation sets are left out.
"""

from __future__ import annotations

import argparse
import json
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

from bot.config import Config

WORDS = 120


@dataclass(frozen=True)
class PublicItem:
    id: str
    question: str
    answerable: bool
    only: frozenset[str]  # the documents this item retrieves among
    correct: frozenset[str]  # its correct answers' documents


def _lead(text: str, words: int = WORDS) -> str:
    text = " ".join(text.split())
    cut = " ".join(text.split()[:words])
    end = max(cut.rfind(". "), cut.rfind("? "), cut.rfind("! "))
    return cut[: end + 1] if end > len(cut) // 2 else cut


def build_corpus(mediqa: Path, out: Path) -> list[PublicItem]:
    from training.evalsets import held_out

    held = held_out()
    corpus = out / "corpus"
    corpus.mkdir(parents=True, exist_ok=True)
    items = []
    for path in sorted((mediqa / "MEDIQA_Task3_QA").glob("*.xml")):
        if "TestSet.xml" in path.name:  # the unlabelled copy of the test set
            continue
        for q in ET.parse(path).getroot().iter("Question"):
            text = " ".join((q.findtext("QuestionText") or "").split())
            if not text or text in held:
                continue
            good, bad = set(), set()
            for a in q.iter("Answer"):
                score = a.get("ReferenceScore") or ""
                body = _lead(a.findtext("AnswerText") or "")
                if not score or len(body.split()) < 8:
                    continue
                doc = re.sub(r"[^A-Za-z0-9]+", "-", f"{path.stem[-12:]}-{a.get('AID')}").lower()
                (corpus / f"{doc}.txt").write_text(body + "\n", encoding="utf-8")
                (good if int(score) >= 3 else bad).add(doc)
            qid = re.sub(r"[^A-Za-z0-9]+", "-", f"{path.stem[-12:]}-{q.get('QID')}").lower()
            if good:
                items.append(
                    PublicItem(f"{qid}-a", text, True, frozenset(good | bad), frozenset(good))
                )
            if bad:
                items.append(PublicItem(f"{qid}-n", text, False, frozenset(bad), frozenset()))
    with (out / "items.jsonl").open("w", encoding="utf-8") as f:
        for it in items:
            row = {**it.__dict__, "only": sorted(it.only), "correct": sorted(it.correct)}
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
    return items


def load_items(out: Path) -> list[PublicItem]:
    rows = [json.loads(x) for x in (out / "items.jsonl").read_text().splitlines() if x]
    return [
        PublicItem(
            r["id"], r["question"], r["answerable"], frozenset(r["only"]), frozenset(r["correct"])
        )
        for r in rows
    ]


def config_for(out: Path, base: Config | None = None) -> Config:
    base = base or Config.from_env()
    return base.with_(corpus_dir=out / "corpus", index_dir=out / "index")


def outcome(bot, item: PublicItem) -> tuple[float, float, bool]:
    """(best score, missing share, first span from a correct answer) for one item."""
    text, _ = bot.clean_question(item.question)
    text = bot.speller.correct(text)[0]
    _, _, spans, decision = bot.passages(text, bot.embedder.encode_one(text), item.only)
    right = bool(spans) and spans[0].doc_id in item.correct
    return decision.best_score, decision.missing_share, right


def score(bot, items: list[PublicItem]) -> dict[str, float]:
    """Answerable items answered from a correct answer; the rest declined."""
    ans, declined = [], []
    for it in items:
        _, _, spans, decision = _run(bot, it)
        if it.answerable:
            ans.append(decision.answers and bool(spans) and spans[0].doc_id in it.correct)
        else:
            declined.append(not decision.answers)
    return {
        "answered_right": sum(ans) / len(ans),
        "declined": sum(declined) / len(declined),
        "n_answerable": len(ans),
        "n_not": len(declined),
    }


def _run(bot, it: PublicItem):
    text, _ = bot.clean_question(it.question)
    text = bot.speller.correct(text)[0]
    return bot.passages(text, bot.embedder.encode_one(text), it.only)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m evals.answerability")
    sub = parser.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build", help="corpus, items and index from MEDIQA 2019")
    b.add_argument("--mediqa", type=Path, required=True, help="a clone of abachaa/MEDIQA2019")
    b.add_argument("--out", type=Path, required=True)
    s = sub.add_parser("score", help="the current answer settings on the built benchmark")
    s.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    from bot.bot import Bot

    if args.command == "build":
        items = build_corpus(args.mediqa, args.out)
        from bot.build import build_index

        print(build_index(config_for(args.out)).describe())
        print(f"{len(items)} items ({sum(i.answerable for i in items)} answerable)")
        return
    bot = Bot.load(config_for(args.out))
    print(json.dumps(score(bot, load_items(args.out)), indent=1))


if __name__ == "__main__":
    main()
