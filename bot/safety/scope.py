"""Is a message about SMA and the care of someone with it? Read with its conversation.

A family's question is in scope unless something in it says otherwise; an SMA chat is
where they are, so "is the weakness the same on both sides?" or "can they help us pick a
wheelchair?" are SMA questions even without the word. Out of scope, first match wins:

0. asking for a way to kill or hurt someone (bot/safety/harm.py), whatever else the
   message names and in any conversation;
1. another meaning of "SMA" (`other_sma_meaning`): the moving average of a stock, the
   superior mesenteric artery, the Sergeant Major of the Army, ... The senses and the
   words that point to them are those of Wikipedia's "SMA" disambiguation page;
2. another condition or a medicine the documents don't mention, named in a message that
   does not name SMA (`OtherConditions`: MedQuAD's NIH topic names, see
   training/vocabularies.py, plus the readable rule "another condition" in rules.py);
3. a greeting or chit-chat (rules.py), or a request that is not about health at all: the
   scope classifier (health vs general, trained on public questions, see
   training/scope_examples.py) says general with probability >= `general_threshold`, or
   >= `leave_conversation` when the conversation so far is about SMA;
4. with no conversation about SMA before it, a message the safety classifier does not
   take for an SMA question (`in_scope_info`) and that no passage comes near
   (`in_scope_cosine`); a message that speaks of the family's own people or of the
   services the documents describe ("his joints", "can they help us", "the rehab",
   `speaks_of_family`) only when nothing comes even close (`far_cosine`). Requests
   about "a patient" or "someone" (a clinician's or a stranger's) get no such latitude.

A message that names SMA or a term of the corpus (Zolgensma, hypotonia, ...) is in
scope; so is a follow-up in a conversation about SMA ("do they have to stay in hospital
afterwards?" after questions about Zolgensma), unless 1-3 say otherwise.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

from bot.config import DATA_DIR

OTHER_CONDITIONS = DATA_DIR / "other_conditions.txt"

# Wikipedia, "SMA" (disambiguation): the senses other than spinal muscular atrophy that a
# question could be about, each with words that point to it. A message that says "SMA"
# and one of these words, and nothing of the disease, means that sense.
SMA_MEANINGS: dict[str, str] = {
    "a simple moving average (finance)": (
        r"moving average|stocks?|shares?|share price|trading|trader|tradingview|forex|crypto|"
        r"bitcoin|candlesticks?|crossover|ema|macd|rsi|indicator|excel|spreadsheet|\d+[- ]day"
    ),
    "the superior mesenteric artery": (
        r"superior mesenteric|mesenteric|artery|arterial|aorta|duoden\w*"
    ),
    "the Sergeant Major of the Army": r"army|sergeant|military|soldiers?|troops|rank",
    "an SMA connector (radio cables)": (
        r"connectors?|coax\w*|antennas?|rf|cables?|adapters?|pigtail"
    ),
    "a shape-memory alloy": r"alloys?|nitinol|metal",
    "the supplementary motor area of the brain": r"supplementary motor|cortex|cortical",
    "smooth muscle actin (a laboratory stain)": r"actin|stain\w*|immunohisto\w*|histolog\w*",
    "the Submillimeter Array (a telescope)": r"telescope|submillimet\w*|astronom\w*",
    "a semi-major axis (orbits)": r"semi-major|orbits?|orbital|ellipse",
    "SMA infant formula (a brand)": (
        r"formula|infant milk|baby milk|sma (?:gold|pro|first|follow-on|comfort)"
    ),
    "styrene maleic anhydride (a polymer)": r"styrene|anhydride|polymers?|resin",
    "SMA Solar Technology (inverters)": r"inverters?|solar",
    "Santa Maria Airport, Azores (airport code SMA)": r"airport|azores|flights?",
}
_SMA = re.compile(r"\bsma\b", re.I)
_MEANING_CUES = {
    sense: re.compile(rf"\b(?:{cues})\b", re.I) for sense, cues in SMA_MEANINGS.items()
}
# words that say a message means the disease even when another sense's word is present
_DISEASE_CUES = re.compile(
    r"\b(?:spinal muscular|atroph\w*|type\s*(?:[0-4]|i{1,3}|iv)|smn[12]?|motor neurons?|"
    r"muscle\w*|diagnos\w*|baby|babies|child|children|kids?|son|daughter)\b",
    re.I,
)


# the senses' own names, which need no "SMA" beside them
_EXPANSIONS = {
    "superior mesenteric arter": "the superior mesenteric artery",
    "simple moving average": "a simple moving average (finance)",
    "sergeant major of the army": "the Sergeant Major of the Army",
    "shape memory alloy": "a shape-memory alloy",
    "shape-memory alloy": "a shape-memory alloy",
    "supplementary motor area": "the supplementary motor area of the brain",
    "smooth muscle actin": "smooth muscle actin (a laboratory stain)",
}


def other_sma_meaning(text: str) -> str | None:
    """The sense of "SMA" a message means, when it is not the disease; else None."""
    low = text.lower()
    for expansion, sense in _EXPANSIONS.items():
        if expansion in low:
            return sense
    if not _SMA.search(text) or _DISEASE_CUES.search(text):
        return None
    return next((sense for sense, cue in _MEANING_CUES.items() if cue.search(text)), None)


# a family's own people, or the services the documents describe
_FAMILY = re.compile(
    r"\b(?:my|our|his|him|he|she|we|us|(?:can|could|do|does|will|would) they|"
    r"the (?:clinic|program|programme|"
    r"rehab\w*|centre|center|course|team|"
    r"doctors?|therapists?|physio\w*))\b",
    re.I,
)


def speaks_of_family(text: str) -> bool:
    """Does the message speak of the family's own people or of the documents' services?"""
    return bool(_FAMILY.search(text))


# US and UK spellings of the same medical word: either finds the other's name
_SPELLINGS = (
    ("disk", "disc"),
    ("tumor", "tumour"),
    ("anemia", "anaemia"),
    ("leukemia", "leukaemia"),
    ("edema", "oedema"),
    ("esophag", "oesophag"),
    ("hemo", "haemo"),
    ("pediatric", "paediatric"),
    ("orthopedic", "orthopaedic"),
    ("diarrhea", "diarrhoea"),
    ("estrogen", "oestrogen"),
    ("fetal", "foetal"),
)


def _variants(name: str) -> set[str]:
    out = {name}
    for us, uk in _SPELLINGS:
        for a, b in ((us, uk), (uk, us)):
            out |= {v.replace(a, b) for v in out if a in v}
    m = re.fullmatch(r"([\w\-]+)'s (?:disease|syndrome)", name)
    if m:  # "parkinson's disease" is also said "parkinson's", "parkinsons", "parkinson"
        out |= {f"{m.group(1)}'s", f"{m.group(1)}s", m.group(1)}
    return out


def _phrases_in(words: list[str], phrases: set[str]) -> set[str]:
    """The `phrases` that occur in `words` as whole words: one pass over the corpus,
    looking up only where a phrase's first word stands (not one scan per phrase)."""
    lengths: dict[str, set[int]] = {}
    for phrase in phrases:
        parts = phrase.split(" ")
        lengths.setdefault(parts[0], set()).add(len(parts))
    found = set()
    for i, word in enumerate(words):
        for n in lengths.get(word, ()):
            if (phrase := " ".join(words[i : i + n])) in phrases:
                found.add(phrase)
    return found


class OtherConditions:
    """Names of conditions and medicines other than SMA, found as whole words.

    Names of four letters or fewer are acronyms here (ALS, COPD, HIV) and count only when
    written in capitals; names the corpus itself uses (scoliosis, pneumonia) never count,
    since the documents may speak about them.
    """

    def __init__(self, names: Iterable[str], corpus_text: str = ""):
        variants = {v for name in names for v in _variants(name.lower())}
        used = _phrases_in(re.findall(r"[\w'\-]+", corpus_text.lower()), variants)
        self.names: set[str] = set()
        self.acronyms: set[str] = set()
        for v in variants - used:
            (self.acronyms if len(v) <= 4 and " " not in v else self.names).add(v)
        self.longest = max((len(n.split()) for n in self.names), default=1)

    @classmethod
    def load(cls, corpus_text: str = "", path: Path = OTHER_CONDITIONS) -> OtherConditions:
        lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
        return cls((n.strip() for n in lines if n.strip() and not n.startswith("#")), corpus_text)

    def find(self, text: str) -> str | None:
        """The first other condition or medicine `text` names, or None."""
        for word in re.findall(r"\b[A-Z]{2,4}\b", text):
            if word.lower() in self.acronyms:
                return word
        words = re.findall(r"[\w'\-]+", text.lower().replace("’", "'"))
        for n in range(min(self.longest, len(words)), 0, -1):
            for i in range(len(words) - n + 1):
                phrase = " ".join(words[i : i + n])
                if len(phrase) > 4 and phrase in self.names:
                    return phrase
        return None
