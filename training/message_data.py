"""What the message reader learns from: the three writer sets and the public examples.

- messages: `training/data/messages/set_{a,b,c}.jsonl` (a copy of
  ../shared/training/messages with its licence note; its README says what the fields
  mean). Labels: info, advice, emergency, out_of_scope; `evidence` marks the danger of an
  emergency and the question of an info message told as a story.
- public: bot/data/safety_examples.jsonl (team-written, its own labels),
  scope_examples.jsonl (MedQuAD/MEDIQA health questions -> info, CLINC150 requests ->
  out_of_scope), harmful_requests.jsonl (MedSafetyBench train -> out_of_scope); with
  `lay=True`, the lay questions of training/data/lay-questions/ (families' own words about
  NIH pages, answerable or not: all asking for information -> info).

Sentence labels come from the evidence: in an emergency told in several sentences, the
sentences holding the danger are emergencies and the others are left out (they are the
story around it); every sentence of another message carries the message's label.

Augmentation (training only, seeded): each emergency's evidence on its own, and joined
to another message's info or advice question ("the most urgent part labels a message");
each advice message joined to an info question. Left out: messages with history.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, replace
from pathlib import Path

from bot.safety.reader import LABELS
from bot.safety.reader_views import sentences

ROOT = Path(__file__).resolve().parent.parent
MESSAGES = ROOT / "training" / "data" / "messages"
PUBLIC = ROOT / "bot" / "data"
SETS = ("a", "b", "c")


@dataclass(frozen=True)
class Example:
    id: str
    text: str
    history: tuple[str, ...]
    label: str
    evidence: str | None = None
    lookalike: bool = False
    source: str = ""  # set_a | set_b | set_c | set_aug (augmented) | safety | scope | harm

    def sentence_labels(self) -> list[tuple[tuple[int, int], str | None]]:
        """(span, label or None to leave out) for each sentence; None for a single one."""
        spans = sentences(self.text)
        if len(spans) == 1 or not self.source.startswith("set_"):
            return [(sp, None) for sp in spans]
        start = self.text.find(self.evidence) if self.evidence else -1
        ev = (start, start + len(self.evidence)) if start >= 0 and self.evidence else None
        if self.label != "emergency":
            return [(sp, self.label) for sp in spans]
        return [(sp, "emergency" if ev and sp[0] < ev[1] and ev[0] < sp[1] else None)
                for sp in spans]  # fmt: skip


def _jsonl(path: Path) -> list[dict]:
    return [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]


def writer_set(name: str, folder: Path = MESSAGES) -> list[Example]:
    return [
        Example(r["id"], r["message"], tuple(r.get("history") or ()), r["label"],
                r.get("evidence"), bool(r.get("lookalike")), f"set_{name}")
        for r in _jsonl(folder / f"set_{name}.jsonl")
    ]  # fmt: skip


def public(lay: bool = False) -> list[Example]:
    maps = {
        "safety_examples.jsonl": ("safety", {k: k for k in LABELS}),
        "scope_examples.jsonl": ("scope", {"health": "info", "general": "out_of_scope"}),
        "harmful_requests.jsonl": ("harm", {"harmful": "out_of_scope"}),
    }
    out = []
    for name, (source, mapping) in maps.items():
        for n, r in enumerate(_jsonl(PUBLIC / name)):
            out.append(Example(f"{source}-{n}", r["text"], (), mapping[r["label"]], source=source))
    if lay:
        for path in sorted((ROOT / "training" / "data" / "lay-questions").glob("batch_*.jsonl")):
            for r in _jsonl(path):
                history = tuple(r.get("history") or ())
                out.append(Example(r["id"], r["question"], history, "info", source="lay"))
    return out


def augment(rows: list[Example], rng: random.Random) -> list[Example]:
    """Extra examples from `rows` (see the module docstring)."""
    em = [r for r in rows if r.label == "emergency" and r.evidence and not r.history]
    other = [r for r in rows if r.label in ("info", "advice") and not r.history
             and len(r.text) < 200]  # fmt: skip
    info = [r for r in other if r.label == "info"]
    out = []
    for r in em:
        assert r.evidence
        ev = r.evidence[0].upper() + r.evidence[1:]
        out.append(replace(r, id=r.id + "+ev", text=ev, source="set_aug"))
        q = rng.choice(other).text
        text = f"{ev}. {q}" if rng.random() < 0.5 else f"{q} {ev}."
        out.append(replace(r, id=r.id + "+mix", text=text, evidence=ev, source="set_aug"))
    for r in (r for r in other if r.label == "advice"):
        q = rng.choice(info).text
        text = f"{q} {r.text}" if rng.random() < 0.5 else f"{r.text} {q}"
        out.append(replace(r, id=r.id + "+mix", text=text, evidence=None, source="set_aug"))
    return out
