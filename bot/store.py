"""The index on disk: versioned, self-describing, written atomically.

    index/
      CURRENT                 name of the live version, replaced atomically
      v-20261121-101500-3f2a/ one complete build
        manifest.json         format version, model, dimension, encoding, chunk settings,
                              per-document content hashes, sha256 of every other file
        documents.json        each document's quotable text and metadata
        chunks.json, units.json
        chunk_vectors.npy     (n_chunks, dim) float32, L2-normalised
        unit_views.json       [owner unit, text] of every embedded view of a unit
        view_vectors.npy      (n_views, dim) float32, L2-normalised (see bot/views.py)
        chunks.faiss          inner-product index over chunk_vectors
        lexical/              bm25s index, stopwords, idf
        safety.npz            the safety classifier's weights (see bot/safety)
        safety_examples.json, safety_vectors.npy   its training examples, embedded
        suggestions.json, suggestion_vectors.npy   questions the documents answer

A build writes a new `v-*` folder under a temporary name, renames it into place and
only then points `CURRENT` at it. An interrupted build (Ctrl-C, kill -9, full disk)
leaves `CURRENT` on the previous version. Loading checks every file's sha256, so a
damaged file is reported (`IndexCorrupt`) instead of producing wrong answers.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from bot.chunking import Chunk
from bot.corpus import Document, SourceMeta, atomic_write
from bot.errors import IndexCorrupt, IndexMissing
from bot.lexical import Lexical

FORMAT_VERSION = 1
POINTER = "CURRENT"
BUILD_PREFIX = ".build-"
FIX_REBUILD = "Run `smabot index --rebuild` to build it again."


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


def current_version(index_dir: Path) -> Path | None:
    pointer = index_dir / POINTER
    if not pointer.exists():
        return None
    name = pointer.read_text(encoding="utf-8").strip()
    return index_dir / name if name else None


def make_faiss_index(vectors: np.ndarray, kind: str = "auto"):
    """Exact inner product (`flat`) for small corpora, HNSW for large ones."""
    import faiss

    n, dim = vectors.shape
    if kind == "hnsw" or (kind == "auto" and n > 20_000):
        index = faiss.IndexHNSWFlat(dim, 32, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efSearch = 128
    else:
        index = faiss.IndexFlatIP(dim)
    if n:
        index.add(vectors)
    return index


def write_version(
    index_dir: Path, version: str, write_files: Callable[[Path], dict[str, Any]]
) -> Path:
    """Run `write_files(tmp)` (returns the manifest), then publish it as `version`."""
    index_dir.mkdir(parents=True, exist_ok=True)
    tmp = index_dir / f"{BUILD_PREFIX}{version}"
    final = index_dir / version
    try:
        tmp.mkdir()
        manifest = write_files(tmp)
        manifest["files"] = {
            str(p.relative_to(tmp)): _sha256(p) for p in sorted(tmp.rglob("*")) if p.is_file()
        }
        atomic_write(tmp / "manifest.json", json.dumps(manifest, indent=2))
        tmp.rename(final)
        atomic_write(index_dir / POINTER, version + "\n")
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        if final.exists() and current_version(index_dir) != final:
            shutil.rmtree(final, ignore_errors=True)
        raise
    return final


def remove_stale(index_dir: Path) -> None:
    """Delete unfinished builds and versions other than the current one."""
    live = current_version(index_dir)
    for path in index_dir.iterdir() if index_dir.exists() else ():
        ours = path.name.startswith(BUILD_PREFIX) or path.name.startswith("v-")
        if path.is_dir() and ours and path != live:
            shutil.rmtree(path, ignore_errors=True)


def read_manifest(index_dir: Path) -> tuple[Path, dict[str, Any]]:
    folder = current_version(index_dir)
    if folder is None:
        raise IndexMissing(f"No index has been built in {index_dir} yet.", "Run `smabot index`.")
    try:
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    except FileNotFoundError as err:
        raise IndexCorrupt(f"The index {folder.name} has no manifest.", FIX_REBUILD) from err
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise IndexCorrupt(f"The manifest of index {folder.name} is damaged.", FIX_REBUILD) from err
    if manifest.get("format_version") != FORMAT_VERSION:
        raise IndexCorrupt(
            f"The index {folder.name} has format {manifest.get('format_version')!r}; "
            f"this smabot reads format {FORMAT_VERSION}.",
            FIX_REBUILD,
        )
    return folder, manifest


def verify_files(folder: Path, manifest: dict[str, Any]) -> None:
    """Raise IndexCorrupt unless every file the manifest lists is present and intact."""
    files = manifest.get("files")
    if not files:
        raise IndexCorrupt(f"The manifest of index {folder.name} lists no files.", FIX_REBUILD)
    for name, digest in files.items():
        path = folder / name
        if not path.is_file():
            raise IndexCorrupt(f"Index file {name} is missing from {folder.name}.", FIX_REBUILD)
        if _sha256(path) != digest:
            raise IndexCorrupt(
                f"Index file {name} in {folder.name} is damaged (its checksum does not match).",
                FIX_REBUILD,
            )


def load_index(index_dir: Path) -> IndexData:
    """Read and verify the current version. Raises IndexMissing or IndexCorrupt."""
    import faiss

    folder, manifest = read_manifest(index_dir)
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


def read_embedded_texts(index_dir: Path) -> list[tuple[str, np.ndarray]]:
    """(embedded text, its vector) for every vector of the current version.

    Rebuilds use this as a cache keyed by text, so unchanged text is never embedded twice.
    """
    from bot.chunking import embedding_text

    folder, manifest = read_manifest(index_dir)
    verify_files(folder, manifest)
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
    for texts, vectors in (
        ("safety_examples.json", "safety_vectors.npy"),
        ("suggestions.json", "suggestion_vectors.npy"),
    ):
        rows = json.loads((folder / texts).read_text(encoding="utf-8"))
        matrix = np.load(folder / vectors, allow_pickle=False)
        out += [
            (row[0] if isinstance(row, list) else row, v)
            for row, v in zip(rows, matrix, strict=True)
        ]
    return out


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()
