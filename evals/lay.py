"""Held-out pages of the lay training data, asked through the product's own answer step.

`training/data/lay-questions/` holds questions written in family voices about 350 NIH
health pages (MedQuAD text), each answerable one tied to the exact span that answers it,
and unanswerable ones (a near miss among them) per page. This module turns chosen pages
into a corpus, indexes it with the product's pipeline, and asks each question among its
own page's passages (`--within page`, like a corpus about one condition) or among every
page of the run (`--within all`), through `Bot.read`: everything a reply does except the
safety layer (the pages are about other conditions, which the scope check would decline).

    python -m evals.lay build --batches 9 --out /tmp/lay9     # corpus + index
    python -m evals.lay score --out /tmp/lay9 [--within page] [--json]

A reply is *right* when its first quote overlaps the answer span by at least half of the
shorter of the two; *wrong* when it answers an unanswerable question or quotes something
else first. Reported: answered-right and wrong-answer rates (of answerable questions, of
unanswerable ones, and of all answers given). Left out: the safety layer, the reply text.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass
from pathlib import Path

from bot.config import PROJECT_ROOT, Config

DATA = PROJECT_ROOT / "training" / "data" / "lay-questions"


@dataclass(frozen=True)
class LayItem:
    id: str
    page_id: str
    question: str
    history: tuple[str, ...]
    answerable: bool
    near_miss: bool
    answer_quote: str | None


def doc_id(page_id: str) -> str:
    return "page-" + page_id


def page_markdown(page: dict) -> str:
    """The page as one markdown document: its title, then each section under a heading."""
    parts = [f"# {page['focus']}"]
    for s in page["sections"]:
        parts += [f"## {s['template_question']}", s["text"].strip()]
    return "\n\n".join(parts) + "\n"


def read_items(batches: list[int], data: Path = DATA) -> list[LayItem]:
    items = []
    for b in batches:
        for line in (data / f"batch_{b}.jsonl").read_text(encoding="utf-8").splitlines():
            r = json.loads(line)
            items.append(
                LayItem(
                    r["id"],
                    r["page_id"],
                    r["question"],
                    tuple(r.get("history") or ()),
                    r["expect"] == "answer",
                    bool(r.get("near_miss")),
                    r.get("answer_quote"),
                )
            )
    return items


def build(batches: list[int], out: Path, data: Path = DATA) -> list[LayItem]:
    items = read_items(batches, data)
    wanted = {i.page_id for i in items}
    corpus = out / "corpus"
    corpus.mkdir(parents=True, exist_ok=True)
    for line in (data / "pages.jsonl").read_text(encoding="utf-8").splitlines():
        page = json.loads(line)
        if page["page_id"] in wanted:
            text = page_markdown(page)
            (corpus / f"{doc_id(page['page_id'])}.md").write_text(text, encoding="utf-8")
    (out / "batches.json").write_text(json.dumps(batches))
    return items


def config_for(out: Path, base: Config | None = None) -> Config:
    return (base or Config.from_env()).with_(corpus_dir=out / "corpus", index_dir=out / "index")


def is_right(document: str, start: int, end: int, answer: str) -> bool:
    """Does the quote document[start:end] overlap an occurrence of `answer` enough?"""
    at = document.find(answer)
    while at >= 0:
        overlap = min(end, at + len(answer)) - max(start, at)
        if overlap >= 0.5 * min(end - start, len(answer)):
            return True
        at = document.find(answer, at + 1)
    return False


def outcome(bot, item: LayItem, within: str) -> tuple[bool, bool]:
    """(answered, right) for one item."""
    only = frozenset({doc_id(item.page_id)}) if within == "page" else None
    read = bot.read(item.question, list(item.history), only=only)
    if not read.answers:
        return False, False
    first = read.spans[0]
    text = bot.data.documents[first.doc_id].text
    right = (
        item.answerable
        and first.doc_id == doc_id(item.page_id)
        and is_right(text, first.start, first.end, item.answer_quote or "")
    )
    return True, right


def score(bot, items: list[LayItem], within: str = "page") -> dict[str, float]:
    rows = [(it, *outcome(bot, it, within)) for it in items]
    answerable = [r for r in rows if r[0].answerable]
    others = [r for r in rows if not r[0].answerable]
    near = [r for r in others if r[0].near_miss]
    given = [r for r in rows if r[1]]
    wrong = [r for r in given if not r[2]]
    return {
        "n_answerable": len(answerable),
        "n_unanswerable": len(others),
        "answered_right": sum(r[2] for r in answerable) / max(1, len(answerable)),
        "answered_wrong_passage": sum(r[1] and not r[2] for r in answerable)
        / max(1, len(answerable)),
        "unanswerable_answered": sum(r[1] for r in others) / max(1, len(others)),
        "near_miss_answered": sum(r[1] for r in near) / max(1, len(near)),
        "wrong_share_of_answers": len(wrong) / max(1, len(given)),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m evals.lay")
    sub = parser.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build", help="corpus and index from chosen batches")
    b.add_argument("--batches", type=int, nargs="+", required=True)
    b.add_argument("--out", type=Path, required=True)
    s = sub.add_parser("score", help="the current answer step on a built run")
    s.add_argument("--out", type=Path, required=True)
    s.add_argument("--within", choices=("page", "all"), default="page")
    s.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    if args.command == "build":
        items = build(args.batches, args.out)
        from bot.build import build_index

        print(build_index(config_for(args.out)).describe())
        print(f"{len(items)} items ({sum(i.answerable for i in items)} answerable)")
        return
    from bot.bot import Bot

    batches = json.loads((args.out / "batches.json").read_text())
    bot = Bot.load(config_for(args.out))
    result = score(bot, read_items(batches), args.within)
    if args.json:
        print(json.dumps(result))
    else:
        for k, v in result.items():
            print(f"{k:28} {v:.3f}" if isinstance(v, float) else f"{k:28} {v}")


if __name__ == "__main__":
    main()
