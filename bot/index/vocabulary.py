"""What the bot knows about English words beyond the corpus: WordNet, one hop.

`bot/data/wordnet.tsv` (training/wordnet.py) gives, for each Snowball stem:

- `noun_share`: how often the word is used as a noun (SemCor counts). A question word
  the documents never use counts against answering by this share: a missing "cost" or
  "heart" means the documents don't say; a missing "catch", "quick" or "honestly" is
  only how the family asked.
- `synonyms`: stems of the same synsets among the word's common senses, so "tired"
  finds "fatigue" and "genetic" finds "hereditary" when the decision checks that the
  quotes contain the question's words. Retrieval (BM25) never uses them.

Left out: phrases ("life expectancy"), hypernyms and other two-hop relations.
"""

from __future__ import annotations

import itertools
from importlib import resources
from pathlib import Path

from bot.config import DATA_DIR

WORDNET = DATA_DIR / "wordnet.tsv"


def english_words(limit: int | None = None) -> frozenset[str]:
    """symspellpy's English dictionary as a set (~80 ms to read whole); `limit`: only its
    `limit` commonest words (the file is sorted by frequency)."""
    path = resources.files("symspellpy") / "frequency_dictionary_en_82_765.txt"
    with path.open(encoding="utf-8") as f:
        return frozenset(line.split(" ", 1)[0] for line in itertools.islice(f, limit))


class Words:
    def __init__(self, table: dict[str, tuple[float, tuple[str, ...]]]):
        self.table = table

    @classmethod
    def load(cls, path: Path = WORDNET) -> Words:
        table = {}
        if path.exists():
            for line in path.read_text(encoding="utf-8").splitlines():
                if line and not line.startswith("#"):
                    stem, share, synonyms = line.split("\t")
                    table[stem] = (float(share), tuple(s for s in synonyms.split(",") if s))
        return cls(table)

    def noun_share(self, stem: str) -> float:
        """1.0 for a word WordNet doesn't know (a name, a rare term, a typo)."""
        return self.table[stem][0] if stem in self.table else 1.0

    def synonyms(self, stem: str) -> tuple[str, ...]:
        return self.table[stem][1] if stem in self.table else ()
