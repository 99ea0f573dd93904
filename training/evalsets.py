"""Questions of every evaluation set this project measures on, for keeping them out of
anything trained or extracted (a test checks the shipped files against them too)."""

from __future__ import annotations

import json
import re
from pathlib import Path

from bot.config import PROJECT_ROOT

EVAL_SETS = [
    *sorted((PROJECT_ROOT / "evals" / "sets").glob("*.jsonl")),
    *sorted((PROJECT_ROOT.parent / "shared" / "evalsets").glob("*.jsonl")),
]


def normalise(text: str) -> str:
    """Lower case, letters and digits only, single spaces: how questions are compared."""
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text.lower()).split())


def near_duplicate(a: str, b: str) -> bool:
    """Two normalised questions are the same question: equal, or one's words nearly all
    in the other (containment >= 0.85) while they share at least half their words."""
    if a == b:
        return True
    wa, wb = set(a.split()), set(b.split())
    if min(len(wa), len(wb)) < 3:
        return False
    common = len(wa & wb)
    return common / min(len(wa), len(wb)) >= 0.85 and common / len(wa | wb) >= 0.5


class HeldOut:
    """The evaluation questions, with a fast test for near duplicates of them."""

    def __init__(self, questions: set[str]):
        self.questions = questions
        self.by_word: dict[str, list[str]] = {}
        for q in questions:
            for w in set(q.split()):
                self.by_word.setdefault(w, []).append(q)

    def __contains__(self, text: str) -> bool:
        t = normalise(text)
        candidates = {q for w in set(t.split()) for q in self.by_word.get(w, ())}
        return t in self.questions or any(near_duplicate(t, q) for q in candidates)


def held_out() -> HeldOut:
    return HeldOut(eval_questions())


def eval_questions(paths: list[Path] | None = None) -> set[str]:
    """Every question and history message of the sets, normalised."""
    out: set[str] = set()
    for path in EVAL_SETS if paths is None else paths:
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                row = json.loads(line)
                out.add(normalise(row["question"]))
                out.update(normalise(h) for h in row.get("history") or [])
    return out
