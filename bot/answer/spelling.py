"""Typos in a family's message, corrected toward words the documents use.

"spinrazza" -> "spinraza", "risdiplan" -> "risdiplam", "heriditary" -> "hereditary":
a word that is neither known English nor a corpus word is replaced by the nearest corpus
or health word (symspellpy, Damerau-Levenshtein distance 1, or 2 for words of 7+
letters; ties go to the word the corpus uses more). The corrected text is only what
retrieval and the safety checks read; quotes are never touched, and the reply's debug
lists each correction.

Known English: symspellpy's 82,765-word frequency dictionary. Health words the corpus
may not use ("seizure", "breathing"): `bot/data/health_words.txt`, words used 5+ times
in MedQuAD (see training/vocabularies.py).

Left out: words of fewer than 5 letters ("sma", "sats": too many near neighbours),
words written in capitals or with digits (names, codes: SMN2, CHOP-INTEND), split and
joined words ("zol gensma").
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Mapping
from functools import cached_property
from pathlib import Path

from bot.config import DATA_DIR
from bot.index.vocabulary import english_words

HEALTH_WORDS = DATA_DIR / "health_words.txt"
_WORD = re.compile(r"[A-Za-z][A-Za-z']*[A-Za-z]")


def read_word_list(path: Path) -> list[str]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return [w.strip() for w in lines if w.strip() and not w.startswith("#")]


class Speller:
    """Build once per index (the corpus's words with their counts) and share."""

    def __init__(self, corpus_words: Mapping[str, int], health_words: Iterable[str] = ()):
        self.corpus_words = {w.lower(): n for w, n in corpus_words.items()}
        self.health_words = frozenset(w.lower() for w in health_words)
        self._lock = threading.Lock()

    @cached_property
    def known(self) -> frozenset[str]:
        return english_words() | self.health_words | frozenset(self.corpus_words)

    @cached_property
    def _symspell(self):
        from symspellpy import SymSpell

        index = SymSpell(max_dictionary_edit_distance=2, prefix_length=7)
        for word in self.health_words:
            index.create_dictionary_entry(word, 1)
        for word, count in self.corpus_words.items():  # corpus words win ties
            if len(word) >= 4 and word.isalpha():
                index.create_dictionary_entry(word, 1000 + count)
        return index

    def warm_up(self) -> None:
        """Build the lookup tables now (about half a second), not on the first typo."""
        with self._lock:
            _ = self.known, self._symspell

    def suggest(self, word: str) -> str | None:
        """The correction for one word, or None when it is fine or nothing is close."""
        low = word.lower()
        if len(low) < 5 or not word.isalpha() or word.isupper() or low in self.known:
            return None
        from symspellpy import Verbosity

        with self._lock:
            found = self._symspell.lookup(
                low, Verbosity.CLOSEST, max_edit_distance=1 if len(low) < 7 else 2
            )
        return found[0].term if found else None

    def correct(self, text: str) -> tuple[str, list[tuple[str, str]]]:
        """(text with typos corrected, [(typo, correction), ...])."""
        fixes: list[tuple[str, str]] = []

        def fix(m: re.Match[str]) -> str:
            word = m.group()
            better = self.suggest(word)
            if better is None:
                return word
            fixes.append((word, better))
            return better

        return _WORD.sub(fix, text), fixes
