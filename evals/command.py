"""`smabot eval`, and the one-set run the staff page shares with it.

`run_set` scores one question set with replies from any collector (in process, or a
running app) and applies the thresholds; `main` is the command: every set is validated
before anything is asked, each is printed as a table (or all as one JSON object),
compared with an earlier run if asked, and written out with its report. The exit status
is 1 when a threshold is missed, 2 when a set is invalid.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.config import PROJECT_ROOT, Config
from evals.run import (
    check,
    collect_local,
    collect_remote,
    compare,
    parse_thresholds,
    project_thresholds,
    score,
    table,
)
from evals.sets import DEFAULT_SET, Item, QuestionSet, load_set

Collect = Callable[[Sequence[Item]], list[dict[str, Any]]]


@dataclass
class SetRun:
    questions: QuestionSet
    replies: list[dict[str, Any]]
    scored: dict[str, Any]
    missed: list[str]  # thresholds not met, one line each

    def report(self) -> str:
        from evals.report import render

        return render(
            self.questions.name, self.questions.items, self.replies, self.scored, self.missed
        )

    def write(self, folder: Path) -> None:
        """replies.jsonl, metrics.json and report.html into `folder`."""
        folder.mkdir(parents=True, exist_ok=True)
        with (folder / "replies.jsonl").open("w", encoding="utf-8") as f:
            for it, reply in zip(self.questions.items, self.replies, strict=True):
                row = {
                    "id": it.id,
                    "question": it.question,
                    "expect": list(it.expect),
                    "reply": reply,
                }
                f.write(json.dumps(row, ensure_ascii=False) + "\n")
        (folder / "metrics.json").write_text(json.dumps(self.scored, indent=2, ensure_ascii=False))
        (folder / "report.html").write_text(self.report(), encoding="utf-8")


def run_set(
    questions: QuestionSet,
    collect: Collect,
    documents: dict[str, str],
    minimums: dict[str, float] | None = None,
    maximums: dict[str, float] | None = None,
    project_defaults: bool = True,
) -> SetRun:
    """Ask every question, score the replies, check the project's and the given thresholds."""
    replies = collect(questions.items)
    scored = score(questions.items, replies, documents)
    lo, hi = (
        project_thresholds(questions.name, PROJECT_ROOT / "pyproject.toml")
        if project_defaults
        else ({}, {})
    )
    missed = check(scored, {**lo, **(minimums or {})}, {**hi, **(maximums or {})})
    return SetRun(questions, replies, scored, missed)


def main(
    config: Config,
    load_bot: Callable[[Config], Any],
    sets: Sequence[Path],
    as_json: bool,
    out: Path | None,
    mins: Sequence[str],
    maxs: Sequence[str],
    no_defaults: bool,
    url: str | None,
    previous: Path | None,
    echo: Callable[[str], None],
) -> int:
    """Run `smabot eval`; returns the exit status. Raises SmabotError for bad input."""
    from tqdm import tqdm

    from bot.ingest.corpus import load_corpus

    question_sets = [load_set(p) for p in (sets or [DEFAULT_SET])]  # all valid, or none runs
    minimums, maximums = parse_thresholds(mins), parse_thresholds(maxs)
    old = json.loads(previous.read_text()) if previous else None
    documents = {d.id: d.text for d in load_corpus(config.corpus_dir).documents}
    bot = None if url else load_bot(config)
    results, failed = {}, []
    for qs in question_sets:

        def collect(items, name=qs.name):
            bar = tqdm(items, desc=name, unit="q", leave=False, file=sys.stderr)
            return (
                collect_remote(url, items, lambda _: bar)
                if url
                else collect_local(bot, items, lambda _: bar)
            )

        run = run_set(qs, collect, documents, minimums, maximums, not no_defaults)
        failed += [f"{qs.name}: {m}" for m in run.missed]
        results[qs.name] = run.scored
        if not as_json:
            echo(table(qs.name, run.scored))
            echo(f"  thresholds: {'all met' if not run.missed else '; '.join(run.missed)}\n")
            if old is not None:
                echo(compare(old.get("sets", {}).get(qs.name, old), run.scored) + "\n")
        if out:
            folder = out / qs.name if len(question_sets) > 1 else out
            run.write(folder)
            if not as_json:
                echo(f"  wrote {folder}/report.html, metrics.json, replies.jsonl\n")
    if as_json:
        echo(json.dumps({"sets": results}, ensure_ascii=False))
    for line in failed:
        print(f"smabot eval: threshold missed: {line}", file=sys.stderr)
    return 1 if failed else 0
