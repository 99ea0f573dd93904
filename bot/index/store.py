"""The files of one index version: written by `write_files`, read by `load_index`.

    index/v-20261121-101500-3f2a/   (published and verified by bot/index/versions.py)
        manifest.json         format version, model, dimension, encoding, chunk settings,
                              per-document content hashes, sha256 of every other file
        documents.json        each document's quotable text and metadata
        chunks.json, units.json
        chunk_vectors.npy     (n_chunks, dim) float32, L2-normalised
        unit_views.json       [owner unit, text] of every embedded view of a unit
        view_vectors.npy      (n_views, dim) float32, L2-normalised (see bot/index/views.py)
        chunks.faiss          inner-product index over chunk_vectors
        lexical/              bm25s index, stopwords, idf
        safety.npz            the safety and scope classifiers' weights (see bot/safety)
        suggestions.json, suggestion_vectors.npy   questions the documents answer

Loading checks every file's sha256 first, so a damaged file is reported
(`IndexCorrupt`, naming the fix) instead of producing wrong answers.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from bot.ingest.chunking import Chunk
from bot.ingest.corpus import Document
from bot.errors import IndexCorrupt
from bot.index.lexical import Lexical
from bot.ingest.sources import SourceMeta
from bot.index.versions import FIX_REBUILD, read_manifest, verify_files


@dataclass(frozen=True)
class IndexedUnit:
    doc_id: str
    start: int
    end: int
    kind: str  # "sentence" | "list" | "item"
    line: int
    heading: str | None
    chunk_ids: tuple[int, ...]  # chunks that contain this unit


@dataclass
class IndexData:
    folder: Path
    manifest: dict[str, Any]
    documents: dict[str, Document]
    chunks: list[Chunk]
    units: list[IndexedUnit]
    chunk_vectors: np.ndarray  # (n_chunks, dim) float32
    view_vectors: np.ndarray  # (n_views, dim) float32: every view of every unit
    view_owner: np.ndarray  # (n_views,) int32: the unit each view belongs to
    faiss_index: Any
    lexical: Lexical
    safety: dict[str, np.ndarray]  # classifier arrays, {} if none
    suggestions: list[str]  # curated questions the documents answer (sources.json)
    suggestion_vectors: np.ndarray  # (n_suggestions, dim) float32

    @property
    def version(self) -> str:
        return self.folder.name

    def text(self, doc_id: str, start: int, end: int) -> str:
        return self.documents[doc_id].text[start:end]


HNSW_FROM = 20_000


def make_faiss_index(vectors: np.ndarray, kind: str = "auto"):
    """Exact inner product (`flat`) below HNSW_FROM vectors, HNSW from there on. Measured
    here (benchmarks/scale.py): exact search costs ~9 ms a question over 58k vectors,
    about the whole encode floor; HNSW (M 32, efConstruction 200, efSearch 512) ~1 ms,
    with recall@10 0.987 against the exact index on real question and passage vectors."""
    import faiss

    n, dim = vectors.shape
    if kind == "hnsw" or (kind == "auto" and n >= HNSW_FROM):
        index = faiss.IndexHNSWFlat(dim, 32, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = 200
        index.hnsw.efSearch = 512
    else:
        index = faiss.IndexFlatIP(dim)
    if n:
        index.add(vectors)
    return index


@dataclass
class IndexParts:
    """Everything one version holds, as the indexer made it."""

    documents: list[Document]
    chunks: list[Chunk]
    units: list[IndexedUnit]
    view_owner: list[int]  # view i belongs to units[view_owner[i]]
    view_texts: list[str]
    chunk_vectors: np.ndarray  # (n_chunks, dim) float32
    view_vectors: np.ndarray  # (n_views, dim) float32
    suggestions: list[str]
    suggestion_vectors: np.ndarray  # (n_suggestions, dim) float32
    lexical: Lexical
    safety: dict[str, np.ndarray]


def write_files(folder: Path, parts: IndexParts) -> None:
    """Every file of a version but the manifest, which bot/index/versions.py completes."""
    import faiss

    def dump(name: str, data: object) -> None:
        (folder / name).write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")

    dump(
        "documents.json",
        {
            d.id: {
                "filename": d.filename,
                "text": d.text,
                "meta": d.meta.to_json(),
                "sha256": d.sha256,
                "page_starts": list(d.page_starts),
            }
            for d in parts.documents
        },
    )
    dump("chunks.json", [[c.doc_id, c.start, c.end, c.heading, c.n_tokens] for c in parts.chunks])
    dump(
        "units.json",
        [
            [u.doc_id, u.start, u.end, u.kind, u.line, u.heading, list(u.chunk_ids)]
            for u in parts.units
        ],
    )
    dump("unit_views.json", list(zip(parts.view_owner, parts.view_texts, strict=True)))
    dump("suggestions.json", parts.suggestions)
    np.save(folder / "chunk_vectors.npy", parts.chunk_vectors)
    np.save(folder / "view_vectors.npy", parts.view_vectors)
    np.save(folder / "suggestion_vectors.npy", parts.suggestion_vectors)
    faiss.write_index(make_faiss_index(parts.chunk_vectors), str(folder / "chunks.faiss"))
    parts.lexical.save(folder / "lexical")
    np.savez(folder / "safety.npz", **parts.safety)


def load_index(index_dir: Path, version: Path | None = None) -> IndexData:
    """Read and verify the current version (or `version`, a folder in `index_dir`).
    Raises IndexMissing or IndexCorrupt."""
    import faiss

    folder, manifest = read_manifest(index_dir, version)
    verify_files(folder, manifest)
    try:
        docs = json.loads((folder / "documents.json").read_text(encoding="utf-8"))
        documents = {
            d: Document(
                d,
                r["filename"],
                r["text"],
                SourceMeta.from_json(d, r["meta"]),
                r["sha256"],
                tuple(r.get("page_starts", ())),
            )
            for d, r in docs.items()
        }
        chunks = [Chunk(*row) for row in json.loads((folder / "chunks.json").read_text())]
        units = [
            IndexedUnit(r[0], r[1], r[2], r[3], r[4], r[5], tuple(r[6]))
            for r in json.loads((folder / "units.json").read_text())
        ]
        chunk_vectors = np.load(folder / "chunk_vectors.npy", allow_pickle=False)
        views = json.loads((folder / "unit_views.json").read_text(encoding="utf-8"))
        view_owner = np.array([owner for owner, _ in views], dtype=np.int32)
        view_vectors = np.load(folder / "view_vectors.npy", allow_pickle=False)
        index = faiss.read_index(str(folder / "chunks.faiss"))
        lexical = Lexical.load(folder / "lexical")
        safety_path = folder / "safety.npz"
        safety = dict(np.load(safety_path, allow_pickle=False)) if safety_path.exists() else {}
        suggestions = json.loads((folder / "suggestions.json").read_text(encoding="utf-8"))
        suggestion_vectors = np.load(folder / "suggestion_vectors.npy", allow_pickle=False)
    except (OSError, ValueError, KeyError, IndexError, TypeError, RuntimeError) as err:
        raise IndexCorrupt(f"The index {folder.name} cannot be read ({err}).", FIX_REBUILD) from err
    dim = manifest["model"]["dimension"]
    if (
        chunk_vectors.shape != (len(chunks), dim)
        or view_vectors.shape != (len(view_owner), dim)
        or set(view_owner.tolist()) != set(range(len(units)))
        or bool(np.any(np.diff(view_owner) < 0))
        or index.ntotal != len(chunks)
    ):
        raise IndexCorrupt(f"The index {folder.name} has inconsistent sizes.", FIX_REBUILD)
    return IndexData(
        folder,
        manifest,
        documents,
        chunks,
        units,
        chunk_vectors,
        view_vectors,
        view_owner,
        index,
        lexical,
        safety,
        suggestions,
        suggestion_vectors,
    )


def read_embedded_texts(folder: Path) -> list[tuple[str, np.ndarray]]:
    """(embedded text, its vector) for every vector of the version in `folder`, whose
    files the caller has verified (`verify_files`).

    Rebuilds use this as a cache keyed by text, so unchanged text is never embedded twice.
    """
    from bot.ingest.chunking import embedding_text

    docs = json.loads((folder / "documents.json").read_text(encoding="utf-8"))
    chunks = json.loads((folder / "chunks.json").read_text())
    views = json.loads((folder / "unit_views.json").read_text(encoding="utf-8"))
    chunk_vectors = np.load(folder / "chunk_vectors.npy", allow_pickle=False)
    view_vectors = np.load(folder / "view_vectors.npy", allow_pickle=False)
    out = []
    for (doc_id, start, end, heading, _), v in zip(chunks, chunk_vectors, strict=True):
        doc = docs[doc_id]
        out.append((embedding_text(doc["meta"]["title"], heading, doc["text"][start:end]), v))
    out += [(text, v) for (_, text), v in zip(views, view_vectors, strict=True)]
    suggestions = json.loads((folder / "suggestions.json").read_text(encoding="utf-8"))
    matrix = np.load(folder / "suggestion_vectors.npy", allow_pickle=False)
    out += list(zip(suggestions, matrix, strict=True))
    return out
