"""`bot/data/scope_examples.jsonl`: public questions labelled `health` or `general`.

The scope classifier (bot/safety/scope.py) learns from these whether a message is about
health and care at all, or a general request to an assistant:

- `health`: MedQuAD's consumer questions from all 12 NIH collections (diseases, drugs,
  tests, living with a condition; CC BY 4.0), stratified by collection and question type,
  and the real consumer questions of MEDIQA 2019's QA task (github abachaa/MEDIQA2019,
  research use, cite Ben Abacha et al. 2019), which carry typos and long stories;
- `general`: CLINC150's queries to a virtual assistant across 10 domains and its
  out-of-scope queries (github clinc/oos-eval, CC BY-SA 3.0, Larson et al. 2019), leaving
  out the intent `vaccines`, which is about health.

Left out: every question of this project's evaluation sets (training/evalsets.py), and
MedQuAD's pages about spinal muscular atrophy.
"""

from __future__ import annotations

import json
import random
import xml.etree.ElementTree as ET
from collections import defaultdict
from pathlib import Path

from training.evalsets import HeldOut, held_out, normalise
from training.medquad import Page
from training.vocabularies import SMA_WORDS

PER_STRATUM = 12  # MedQuAD questions per (collection, question type)
PER_INTENT = 10  # CLINC150 queries per intent
CLINC_HEALTH_INTENTS = frozenset({"vaccines"})


def medquad_questions(pages: list[Page], rng: random.Random) -> list[str]:
    strata: dict[tuple[str, str], list[str]] = defaultdict(list)
    for page in pages:
        if any(SMA_WORDS.search(n) for n in page.names):
            continue
        for qa in page.pairs:
            strata[(page.path.split("/")[0], qa.qtype)].append(qa.question)
    out = []
    for key in sorted(strata):
        pool = sorted(set(strata[key]))
        out += rng.sample(pool, min(PER_STRATUM, len(pool)))
    return out


def mediqa_questions(mediqa: Path) -> list[str]:
    out = []
    for path in sorted((mediqa / "MEDIQA_Task3_QA").glob("*.xml")):
        root = ET.parse(path).getroot()
        out += [" ".join((q.findtext("QuestionText") or "").split()) for q in root.iter("Question")]
    return [q for q in dict.fromkeys(out) if q]


def clinc_queries(clinc: Path, rng: random.Random) -> list[str]:
    data = json.loads((clinc / "data" / "data_full.json").read_text())
    by_intent: dict[str, list[str]] = defaultdict(list)
    for text, intent in data["train"]:
        by_intent[intent].append(text)
    out = []
    for intent in sorted(by_intent):
        if intent not in CLINC_HEALTH_INTENTS:
            out += rng.sample(sorted(by_intent[intent]), min(PER_INTENT, len(by_intent[intent])))
    return out + [text for text, _ in data["oos_train"] + data["oos_val"]]


def build(pages: list[Page], mediqa: Path, clinc: Path, seed: int = 0) -> list[dict]:
    rng = random.Random(seed)
    held = held_out()
    rows = [
        {"text": q, "label": "health", "source": "MedQuAD"} for q in medquad_questions(pages, rng)
    ]
    rows += [
        {"text": q, "label": "health", "source": "MEDIQA2019"} for q in mediqa_questions(mediqa)
    ]
    rows += [
        {"text": q, "label": "general", "source": "CLINC150"} for q in clinc_queries(clinc, rng)
    ]
    seen: set[str] = set()
    out = []
    for row in rows:
        key = normalise(row["text"])
        if key and key not in seen and row["text"] not in held:
            seen.add(key)
            out.append(row)
    return out


def harmful_requests(medsafety: Path, held: HeldOut, n: int = 400, seed: int = 0) -> list[dict]:
    """Harmful requests from MedSafetyBench's training split (github
    AI4LIFE-GROUP/med-safety-bench, research use, Han et al., NeurIPS 2024): medical ones
    written for a clinician and general ones; its test split is never read. The harm
    classifier (bot/safety/classifier.py) learns from these."""
    rng = random.Random(seed)
    folder = medsafety / "datasets" / "train-splits-used-for-ft"
    out = []
    for kind, name in (
        ("med", "med_safety/ft_safety_med_n700.json"),
        ("gen", "gen_safety/ft_safety_gen_n900.json"),
    ):
        rows = json.loads((folder / name).read_text())
        texts = sorted({" ".join(r["instruction"].split()) for r in rows})
        texts = [t for t in texts if t not in held]
        out += [
            {"text": t, "label": "harmful", "source": f"MedSafetyBench-train ({kind})"}
            for t in rng.sample(texts, min(n, len(texts)))
        ]
    return out
