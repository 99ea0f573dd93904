"""Build or update the index: corpus → segments → chunks → embeddings → files.

`build_index(config)` does nothing but report when the index already matches the
settings and the corpus (about a second: no model is loaded). Otherwise it builds a
new version, embedding only texts whose sha256 is not already in the previous version
(with the same model): editing one document re-embeds that document's passages only.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import secrets
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from bot.chunking import Chunk, chunk_document, embedding_text
from bot.config import Config
from bot.corpus import fingerprint, load_corpus
from bot.embedding import Embedder
from bot.errors import ConfigError, IndexCorrupt, IndexMissing, SmabotError
from bot.lexical import Lexical
from bot.safety.classifier import load_examples
from bot.safety.classifier import train as train_classifier
from bot.segment import segment
from bot.store import (
    FORMAT_VERSION,
    IndexedUnit,
    make_faiss_index,
    read_embedded_texts,
    read_manifest,
    remove_stale,
    verify_files,
    write_version,
)
from bot.views import unit_views

# The modules whose code decides what gets indexed; editing one makes old indexes stale.
_PIPELINE_MODULES = (
    "formats",
    "boilerplate",
    "segment",
    "chunking",
    "views",
    "lexical",
    "indexer",
    "store",
    "safety/classifier",
    "data/safety_examples.jsonl",
)


def pipeline_fingerprint() -> str:
    """sha256 of the indexing code, so a change of rules can never go unnoticed."""
    here = Path(__file__).parent
    h = hashlib.sha256()
    for name in _PIPELINE_MODULES:
        h.update((here / (name if "." in name else f"{name}.py")).read_bytes())
    return h.hexdigest()[:16]


def index_settings(config: Config) -> dict[str, Any]:
    return {
        "model": config.model,
        "encoding": config.chunks.encoding,
        "max_tokens": config.chunks.max_tokens,
        "overlap_tokens": config.chunks.overlap_tokens,
        "pipeline": pipeline_fingerprint(),
    }


def settings_differences(manifest: dict[str, Any], config: Config) -> list[str]:
    built, wanted = manifest.get("settings", {}), index_settings(config)
    return [
        f"{k}: index has {built.get(k)!r}, settings ask for {v!r}"
        for k, v in wanted.items()
        if built.get(k) != v
    ]


def corpus_differences(manifest: dict[str, Any], corpus_dir: Path) -> list[str]:
    built, now = manifest.get("corpus", {}), fingerprint(corpus_dir)
    out = [f"added {n}" for n in sorted(now.keys() - built.keys())]
    out += [f"removed {n}" for n in sorted(built.keys() - now.keys())]
    out += [f"changed {n}" for n in sorted(now.keys() & built.keys()) if now[n] != built[n]]
    return out


@dataclass(frozen=True)
class BuildSummary:
    version: str
    documents: int
    chunks: int
    units: int
    tokens: int
    seconds: float
    embedded: int = 0  # texts sent to the model
    reused: int = 0  # texts whose vectors came from the previous version
    rebuilt: bool = True
    problems: tuple[str, ...] = ()
    changes: tuple[str, ...] = field(default=())

    def describe(self) -> str:
        head = "Index updated" if self.rebuilt else "Index already up to date"
        lines = [
            f"{head} ({self.version}): {self.documents} documents, {self.chunks} chunks, "
            f"{self.units} quotable passages, {self.tokens:,} tokens, {self.seconds:.1f} s"
        ]
        if self.rebuilt:
            lines.append(f"  embedded {self.embedded} texts, reused {self.reused} unchanged ones")
        lines += [f"  {c}" for c in self.changes]
        lines += [f"  warning: {p}" for p in self.problems]
        return "\n".join(lines)


@contextlib.contextmanager
def _build_lock(index_dir: Path, echo: Callable[[str], None]) -> Iterator[None]:
    index_dir.mkdir(parents=True, exist_ok=True)
    with (index_dir / ".lock").open("w") as f:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            echo("Another index build is running; waiting for it to finish…")
            fcntl.flock(f, fcntl.LOCK_EX)
        yield


def build_index(
    config: Config,
    *,
    embedder: Embedder | None = None,
    rebuild: bool = False,
    progress: bool = True,
    echo: Callable[[str], None] = print,
) -> BuildSummary:
    t0 = time.perf_counter()
    with _build_lock(config.index_dir, echo):
        remove_stale(config.index_dir)  # we hold the lock: any unfinished build is dead
        previous_manifest, damage = _previous_manifest(config.index_dir)
        if (
            previous_manifest
            and not rebuild
            and not settings_differences(previous_manifest, config)
            and not corpus_differences(previous_manifest, config.corpus_dir)
        ):
            totals = previous_manifest["totals"]
            return BuildSummary(
                previous_manifest["version"],
                totals["documents"],
                totals["chunks"],
                totals["units"],
                totals["tokens"],
                time.perf_counter() - t0,
                rebuilt=False,
                problems=tuple(previous_manifest.get("problems", ())),
            )
        changes = (
            tuple(
                corpus_differences(previous_manifest, config.corpus_dir)
                + settings_differences(previous_manifest, config)
            )
            if previous_manifest
            else ((f"previous index unusable ({damage}); rebuilt from scratch",) if damage else ())
        )
        corpus = load_corpus(config.corpus_dir)
        corpus_hashes = fingerprint(config.corpus_dir)
        if not corpus.documents:
            raise ConfigError(
                f"No readable documents in {config.corpus_dir}.",
                "Add .txt, .md, .html or .pdf files there.",
            )
        embedder = embedder or Embedder(config.model)
        cache = {} if rebuild else _vector_cache(config, previous_manifest)

        parts = _cut_corpus(corpus, config, embedder, progress)
        chunks, units = parts.chunks, parts.units
        examples = load_examples()
        suggestions = list(
            dict.fromkeys(q for d in corpus.documents for q in d.meta.suggested_questions)
        )
        groups = [parts.chunk_texts, parts.view_texts, [t for t, _ in examples], suggestions]
        texts = [t for g in groups for t in g]
        vectors, embedded = _embed_with_cache(embedder, texts, cache, progress)
        chunk_vectors, view_vectors, example_vectors, suggestion_vectors = np.split(
            vectors, np.cumsum([len(g) for g in groups[:-1]])
        )  # each (n, dim) float32
        safety = train_classifier(example_vectors, [label for _, label in examples])
        unit_texts = [corpus.get(u.doc_id).text[u.start : u.end] for u in units]
        lexical = Lexical.build(
            parts.chunk_texts,
            unit_texts,
            # a word the model's own vocabulary splits into 3+ pieces is not everyday English
            is_specialist=lambda word: len(embedder.pieces(word)) >= 3,
        )

        version = datetime.now(UTC).strftime("v-%Y%m%d-%H%M%S-") + secrets.token_hex(3)
        totals = {
            "documents": len(corpus.documents),
            "chunks": len(chunks),
            "units": len(units),
            "tokens": sum(c.n_tokens for c in chunks),
        }

        def write_files(folder: Path) -> dict[str, Any]:
            (folder / "documents.json").write_text(
                json.dumps(
                    {
                        d.id: {
                            "filename": d.filename,
                            "text": d.text,
                            "meta": d.meta.to_json(),
                            "sha256": d.sha256,
                            "page_starts": list(d.page_starts),
                        }
                        for d in corpus.documents
                    },
                    ensure_ascii=False,
                ),
                encoding="utf-8",
            )
            (folder / "chunks.json").write_text(
                json.dumps([[c.doc_id, c.start, c.end, c.heading, c.n_tokens] for c in chunks])
            )
            (folder / "units.json").write_text(
                json.dumps(
                    [
                        [u.doc_id, u.start, u.end, u.kind, u.line, u.heading, list(u.chunk_ids)]
                        for u in units
                    ]
                )
            )
            (folder / "unit_views.json").write_text(
                json.dumps(
                    list(zip(parts.view_owner, parts.view_texts, strict=True)), ensure_ascii=False
                ),
                encoding="utf-8",
            )
            np.save(folder / "chunk_vectors.npy", chunk_vectors)
            np.save(folder / "view_vectors.npy", view_vectors)
            (folder / "safety_examples.json").write_text(
                json.dumps(examples, ensure_ascii=False), encoding="utf-8"
            )
            np.save(folder / "safety_vectors.npy", example_vectors)
            (folder / "suggestions.json").write_text(
                json.dumps(suggestions, ensure_ascii=False), encoding="utf-8"
            )
            np.save(folder / "suggestion_vectors.npy", suggestion_vectors)
            import faiss

            faiss.write_index(make_faiss_index(chunk_vectors), str(folder / "chunks.faiss"))
            lexical.save(folder / "lexical")
            np.savez(folder / "safety.npz", **safety)
            return {
                "format_version": FORMAT_VERSION,
                "version": version,
                "created": datetime.now(UTC).isoformat(timespec="seconds"),
                "settings": index_settings(config),
                "model": {
                    "id": config.model,
                    "dimension": int(chunk_vectors.shape[1]),
                    "max_seq_length": embedder.max_seq_length,
                },
                "corpus": corpus_hashes,
                "documents": {
                    d.id: {
                        "filename": d.filename,
                        "title": d.meta.title,
                        "chunks": sum(c.doc_id == d.id for c in chunks),
                        "units": sum(u.doc_id == d.id for u in units),
                    }
                    for d in corpus.documents
                },
                "totals": totals,
                "safety": {
                    "examples": len(examples),
                    "cv_accuracy": round(float(safety["cv_accuracy"]), 4),
                },
                "problems": corpus.problems,
            }

        try:
            write_version(config.index_dir, version, write_files)
        except OSError as err:
            raise SmabotError(
                f"Writing the index failed ({err.strerror or err}); the previous index is still "
                "in use.",
                "Free disk space or fix permissions, then run `smabot index` again.",
            ) from err
        remove_stale(config.index_dir)
    return BuildSummary(
        version,
        totals["documents"],
        totals["chunks"],
        totals["units"],
        totals["tokens"],
        time.perf_counter() - t0,
        embedded,
        len(texts) - embedded,
        True,
        tuple(corpus.problems),
        changes,
    )


@dataclass
class _Cut:
    """The corpus cut into what gets embedded."""

    chunks: list[Chunk] = field(default_factory=list)
    units: list[IndexedUnit] = field(default_factory=list)
    chunk_texts: list[str] = field(default_factory=list)  # title + heading + chunk
    view_texts: list[str] = field(default_factory=list)  # see bot/views.py
    view_owner: list[int] = field(default_factory=list)  # view i belongs to units[owner[i]]


def _cut_corpus(corpus, config: Config, embedder: Embedder, progress: bool) -> _Cut:
    cut = _Cut()
    for doc in _progress(corpus.documents, progress, "segmenting"):
        seg = segment(doc.text)
        doc_chunks = chunk_document(
            doc.id, doc.text, seg, doc.meta.title, config.chunks, embedder.fits
        )
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
    return cut


def _previous_manifest(index_dir: Path) -> tuple[dict[str, Any] | None, str | None]:
    """(manifest, None) if the current index is intact; (None, why) if damaged; (None, None)."""
    try:
        folder, manifest = read_manifest(index_dir)
        verify_files(folder, manifest)
        return manifest, None
    except IndexMissing:
        return None, None
    except IndexCorrupt as err:
        return None, err.message


def _vector_cache(config: Config, manifest: dict[str, Any] | None) -> dict[str, np.ndarray]:
    """sha256(text) -> vector from the previous version, if it used the same model.

    Reads only texts and vectors, so a change to any other index file never forces the
    corpus to be embedded again.
    """
    if not manifest or manifest.get("settings", {}).get("model") != config.model:
        return {}
    try:
        return {_key(text): vector for text, vector in read_embedded_texts(config.index_dir)}
    except (SmabotError, OSError, ValueError, KeyError, IndexError):
        return {}  # damaged or unreadable: embed everything again


def _embed_with_cache(
    embedder: Embedder, texts: list[str], cache: dict[str, np.ndarray], progress: bool
) -> tuple[np.ndarray, int]:
    keys = [_key(t) for t in texts]
    missing = sorted({k: t for k, t in zip(keys, texts, strict=True) if k not in cache}.items())
    if missing:
        batch = 32
        pending = [t for _, t in missing]
        out = []
        for i in _progress(
            range(0, len(pending), batch),
            progress,
            "embedding",
            total=(len(pending) + batch - 1) // batch,
        ):
            out.append(embedder.encode(pending[i : i + batch]))
        cache = {**cache, **dict(zip((k for k, _ in missing), np.concatenate(out), strict=True))}
    vectors = np.stack([cache[k] for k in keys]) if keys else np.zeros((0, embedder.dimension))
    return np.ascontiguousarray(vectors, dtype=np.float32), len(missing)


def _key(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _progress(items, enabled: bool, desc: str, total: int | None = None):
    if not enabled:
        return items
    from tqdm import tqdm

    return tqdm(
        items, desc=desc, total=total, unit="batch" if desc == "embedding" else "doc", leave=False
    )
