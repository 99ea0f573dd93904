"""Which of the corpus's curated questions to offer after a reply ("You could also ask").

The candidates are the documents' own suggested questions (`sources.json`), ranked by
cosine to the message. Two checks keep them useful:

- **Not what was just asked.** A candidate is dropped when it restates any message of the
  conversation: every content word it has (subject names such as "SMA" aside) already
  appears in that message, or its cosine to the message's reading is 0.9 or more.
  "Is Zolgensma a cure?" does not get "Is Zolgensma a cure for SMA?" back.
- **The same person.** When the conversation speaks of a child (baby, toddler, son, ...)
  candidates about adults are dropped, and the other way round: a parent refused an
  answer about their toddler is not offered "What matters most for adults with SMA?".

Left out: ordering by what families asked next (there is no such data without logging
messages, which the app does not do).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

RESTATES_COSINE = 0.9
_WORD = re.compile(r"[a-z0-9]+")
# words that carry no topic: a question made only of these and the asked words adds nothing
_FRAME = frozenset(
    "a an the is are was were be been do does did can could will would should may might "
    "what which who whom whose when where why how of for to in on at by with about from "
    "and or it its this that these those there their they them i me my we our you your "
    "he she his her sma spinal muscular atrophy".split()
)
# who a message is about; from everyday English, not from any question set
_CHILD = frozenset(
    "baby babies infant infants newborn newborns toddler toddlers child children kid kids "
    "son sons daughter daughters boy boys girl girls teen teens teenager teenagers "
    "pediatric paediatric".split()
)
_ADULT = frozenset("adult adults grown-up grown-ups husband wife partner".split())


def _words(text: str) -> set[str]:
    return {_stem(w) for w in _WORD.findall(text.lower())}


def _stem(word: str) -> str:
    """Plural to singular, enough to compare a question with a suggestion."""
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


_FRAME_STEMS = frozenset(_stem(w) for w in _FRAME)


def _topic(question: str) -> set[str]:
    """The words of `question` that say what it asks about."""
    return _words(question) - _FRAME_STEMS


def restates(candidate: str, message: str) -> bool:
    """Does `candidate` ask nothing `message` did not already ask?"""
    return _topic(candidate) <= _words(message)


def who(texts: Sequence[str]) -> set[str]:
    """{"child"} / {"adult"} / both / neither: whom the texts speak of."""
    words = {w for t in texts for w in _WORD.findall(t.lower())}
    return {name for name, group in (("child", _CHILD), ("adult", _ADULT)) if words & group}


def pick_related(
    candidates: Sequence[str],
    cosines: np.ndarray,
    conversation: Sequence[str],
    k: int,
) -> list[str]:
    """Up to `k` of `candidates`, nearest first. `cosines`: (n_candidates,) float32, each
    candidate's cosine to the message; `conversation`: the message and the earlier ones."""
    people = who(conversation)
    said = [_words(m) for m in conversation]
    out = []
    for i in np.argsort(-cosines):
        q = candidates[int(i)]
        if cosines[i] >= RESTATES_COSINE or any(_topic(q) <= words for words in said):
            continue
        about = who([q])
        if about and people and not about & people:
            continue  # about adults in a conversation about a child, or the reverse
        out.append(q)
        if len(out) == k:
            break
    return out
