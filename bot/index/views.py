"""What gets embedded: the corpus's chunks, and each quotable unit in several views.

`plan_embeddings` cuts every document into chunks (bot/ingest/chunking.py) and quotable units
(bot/ingest/segment.py) and lists the texts to embed.

A unit is quoted as one exact span, but one vector of that span can miss what the
unit is about. So each unit is embedded several ways, and its similarity to a question
is the best of them:

- the unit's text alone;
- the unit under its heading ("Diagnostics\nThe gold standard is genetic testing ...");
- for a list: the lead-in joined to each item ("Zolgensma has been shown to: increase
  survival without the need for permanent breathing support"), pairing subject and item.

Left out on purpose: the lead-in alone. A short view ("Zolgensma has been shown to:")
is little more than a name, and would outscore the real answer to any question about
that name.

Views are computed at index time; a question still costs one embedding.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.ingest.chunking import Chunk, chunk_document, embedding_text
from bot.config import ChunkSettings
from bot.ingest.corpus import Corpus
from bot.index.embedding import Embedder
from bot.ingest.segment import Unit, segment
from bot.index.store import IndexedUnit


def unit_views(text: str, unit: Unit) -> list[str]:
    """Distinct view texts of `unit` in document `text`, the unit's own text first."""
    body = text[unit.start : unit.end]
    views = [body]
    if unit.heading:
        views.append(f"{unit.heading}\n{body}")
    if unit.kind == "list" and unit.lead:
        lead = text[unit.lead[0] : unit.lead[1]]
        for s, e in unit.items:
            views.append(f"{lead} {text[s:e].lstrip('-–•*·▪◦‣ ').strip()}")
    return list(dict.fromkeys(views))


@dataclass
class EmbeddingPlan:
    """The corpus cut into what gets embedded."""

    chunks: list[Chunk] = field(default_factory=list)
    units: list[IndexedUnit] = field(default_factory=list)
    chunk_texts: list[str] = field(default_factory=list)  # title + heading + chunk
    view_texts: list[str] = field(default_factory=list)  # see bot/index/views.py
    view_owner: list[int] = field(default_factory=list)  # view i belongs to units[owner[i]]


def plan_embeddings(
    corpus: Corpus, settings: ChunkSettings, embedder: Embedder, progress: bool = False
) -> EmbeddingPlan:
    """Chunks and units of every document, with the texts to embed for each."""
    cut = EmbeddingPlan()
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=len(corpus.documents), desc="segmenting", unit="doc", leave=False)
    for doc in corpus.documents:
        if bar is not None:
            bar.set_postfix_str(doc.filename, refresh=False)  # which file, if one is slow
            bar.update()
        seg = segment(doc.text)
        doc_chunks = chunk_document(doc.id, doc.text, seg, doc.meta.title, settings, embedder.fits)
        first = len(cut.chunks)
        cut.chunks.extend(doc_chunks)
        cut.chunk_texts += [
            embedding_text(doc.meta.title, c.heading, doc.text[c.start : c.end]) for c in doc_chunks
        ]
        for u in seg.units:
            inside = tuple(
                first + i for i, c in enumerate(doc_chunks) if c.start < u.end and u.start < c.end
            )
            if not inside:  # a unit outside every chunk could never be retrieved
                continue
            owner = len(cut.units)
            cut.units.append(IndexedUnit(doc.id, u.start, u.end, u.kind, u.line, u.heading, inside))
            for view in unit_views(doc.text, u):
                cut.view_texts.append(view)
                cut.view_owner.append(owner)
    if bar is not None:
        bar.close()
    return cut
