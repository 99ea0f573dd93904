"""Word lists from MedQuAD that the bot ships in `bot/data/`.

- `other_conditions.txt`: names (and synonyms) of the conditions MedQuAD's NIH pages are
  about whose UMLS semantic type is a disorder (disease, congenital or acquired
  abnormality, neoplasm, injury or poisoning, mental disorder, pathologic function,
  infection), and of the medicines it covers. A message that names one of these and
  nothing about SMA is about something else (bot/safety/scope.py). Left out: spinal
  muscular atrophy's own pages; names of 2 letters; one-word names among the 3,000
  commonest English words ("falls", "cold"), which say too little on their own; and
  long descriptive names joined by "with", "and", "of" ... or titles of guides ("4 steps
  to manage your diabetes"), which no one types.
- `health_words.txt`: words used at least 5 times across MedQuAD's questions and
  answers, so the speller (bot/answer/spelling.py) can correct "siezure" or "brething" toward
  a real health word when the corpus itself does not use it.

Both are derived from public text (MedQuAD, CC BY 4.0, Ben Abacha & Demner-Fushman 2019).
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

from training.medquad import Page

# UMLS semantic types of disorders (the "Disorders" semantic group, less signs and
# symptoms (T184) and findings (T033), which are what families describe, not diagnoses).
DISORDER_TYPES = frozenset("T019 T020 T037 T046 T047 T048 T049 T050 T190 T191 T005 T007".split())
SMA_WORDS = re.compile(r"spinal muscular atroph|\bsma\b|werdnig|kugelberg|\bsmn", re.I)
# words of a page title that is a topic or a guide, not a condition's name
# ("4 steps to manage your diabetes", "aches and pains during pregnancy")
_TOPIC_WORDS = re.compile(
    r"\b(?:you|your|ways?|steps?|guide|tips|how|what|why|when|talking|living|caring|about|"
    r"during|costs?|and|with|for|to|of|in|on)\b|^\d"
)


def _clean_name(name: str) -> list[str]:
    """'Delta agent (Hepatitis D)' -> ['delta agent', 'hepatitis d']; 'Cataract - adult' ->
    ['cataract']."""
    out = []
    inner = re.findall(r"\(([^)]*)\)", name)
    outer = re.sub(r"\([^)]*\)", " ", name)
    outer = re.split(r"\s+-\s+", outer)[0]
    for part in [outer, *inner]:
        part = " ".join(re.sub(r"[^\w'\- ]", " ", part.lower()).split())
        if part:
            out.append(part)
    return out


def other_conditions(pages: list[Page], common_words: set[str]) -> list[str]:
    names: set[str] = set()
    for page in pages:
        is_disorder = bool(DISORDER_TYPES & set(page.semantic_types))
        if not (is_disorder or page.category in ("Disease", "Drug")):
            continue
        if any(SMA_WORDS.search(n) for n in page.names):
            continue
        for name in page.names:
            for clean in _clean_name(name):
                if len(clean) < 3 or (" " not in clean and clean in common_words):
                    continue
                if _TOPIC_WORDS.search(clean):
                    continue
                names.add(clean)
    return sorted(names)


def health_words(pages: list[Page], min_count: int = 5) -> list[str]:
    counts: Counter[str] = Counter()
    for page in pages:
        for qa in page.pairs:
            counts.update(w.lower() for w in re.findall(r"[A-Za-z][a-z]{3,}", qa.question))
            counts.update(w.lower() for w in re.findall(r"[A-Za-z][a-z]{3,}", qa.answer))
    return sorted(w for w, n in counts.items() if n >= min_count)


def write_list(path: Path, header: str, words: list[str]) -> None:
    body = "".join(f"{w}\n" for w in words)
    path.write_text("".join(f"# {line}\n" for line in header.splitlines()) + body)
