"""Read MedQuAD (github abachaa/MedQuAD, CC BY 4.0) from its folder or a .tar.gz of it.

Each XML file is one topic page: a focus (disease, drug, ...), its synonyms, UMLS
semantic types, and question/answer pairs. Answers were removed from collections 10-12
for copyright; their questions and focus names are kept.

Left out: the LiveQA judgements shipped beside it (a separate zip).
"""

from __future__ import annotations

import re
import tarfile
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class QAPair:
    qid: str
    qtype: str
    question: str
    answer: str  # "" where the collection's answers were removed


@dataclass(frozen=True)
class Page:
    path: str  # e.g. "3_GHR_QA/0000935.xml"
    focus: str
    synonyms: tuple[str, ...]
    semantic_types: tuple[str, ...]  # UMLS, e.g. ("T047",)
    category: str | None  # MedlinePlus collections: Disease, Drug or Other
    pairs: tuple[QAPair, ...]

    @property
    def names(self) -> tuple[str, ...]:
        return (self.focus, *self.synonyms)


def _xml_files(source: Path) -> Iterator[tuple[str, bytes]]:
    if source.is_dir():
        for path in sorted(source.glob("*_*/*.xml")):
            yield f"{path.parent.name}/{path.name}", path.read_bytes()
        return
    with tarfile.open(source) as tar:
        for member in tar:
            name = member.name.lstrip("./")
            if member.isfile() and re.fullmatch(r"(?:[^/]+/)*\d+_[^/]+/[^/]+\.xml", name):
                f = tar.extractfile(member)
                if f is not None:
                    yield "/".join(name.split("/")[-2:]), f.read()


def read_pages(source: Path) -> list[Page]:
    """Every topic page in `source` (a MedQuAD folder or archive), in path order."""
    pages = []
    for path, data in _xml_files(Path(source)):
        try:
            root = ET.fromstring(data)
        except ET.ParseError:
            continue
        pairs = []
        for qa in root.iter("QAPair"):
            q, a = qa.find("Question"), qa.find("Answer")
            if q is None or not (q.text or "").strip():
                continue
            pairs.append(
                QAPair(
                    q.get("qid") or "",
                    q.get("qtype") or "",
                    " ".join(q.text.split()),
                    " ".join(((a.text if a is not None else "") or "").split()),
                )
            )
        pages.append(
            Page(
                path,
                " ".join((root.findtext("Focus") or "").split()),
                tuple(s.text.strip() for s in root.iter("Synonym") if s.text and s.text.strip()),
                tuple(s.text.strip() for s in root.iter("SemanticType") if s.text),
                root.findtext(".//Category"),
                tuple(pairs),
            )
        )
    return sorted(pages, key=lambda p: p.path)
