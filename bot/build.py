"""Build or update the index: corpus → chunks and unit views → embeddings → a new version.

`build_index(config)` does nothing but report when the index already matches the
settings, the indexing code and the corpus (about a third of a second: no model is
loaded). Otherwise it builds a new version (bot/index/versions.py publishes it atomically),
embedding only texts whose sha256 is not already in the previous version with the same
model: editing one document re-embeds that document's changed passages only. It also
trains the safety classifier (bot/safety/classifier.py) and embeds the curated
suggested questions. One build runs at a time (a lock file in the index folder).

It sits at the top of bot/, beside bot.py, because it joins three packages: bot/ingest/
(documents), bot/index/ (vectors and files) and bot/safety/ (the classifiers kept in the index).
"""

from __future__ import annotations

import contextlib
import fcntl
import secrets
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from bot.config import Config
from bot.errors import ConfigError, IndexCorrupt, IndexMissing, SmabotError
from bot.index.embedding import Embedder, encode_with_cache, text_key
from bot.index.freshness import corpus_differences, index_settings, settings_differences
from bot.index.lexical import Lexical
from bot.index.store import IndexParts, read_embedded_texts, write_files
from bot.index.versions import (
    FORMAT_VERSION,
    current_version,
    read_manifest,
    remove_stale,
    verify_files,
    write_version,
)
from bot.index.views import plan_embeddings
from bot.ingest.corpus import fingerprint, load_corpus
from bot.ingest.sources import check_metadata
from bot.safety.classifier import shipped_arrays, train_all


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
    changes: tuple[str, ...] = ()

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
        previous, damage = _previous_manifest(config.index_dir)
        if previous:
            changes = corpus_differences(previous, config.corpus_dir) + settings_differences(
                previous, config
            )
        else:
            changes = (
                [f"previous index unusable ({damage}); rebuilt from scratch"] if damage else []
            )
        if previous and not rebuild and not changes:
            t = previous["totals"]
            return BuildSummary(
                previous["version"],
                t["documents"],
                t["chunks"],
                t["units"],
                t["tokens"],
                time.perf_counter() - t0,
                rebuilt=False,
                problems=tuple(previous.get("problems", ())),
            )
        check_metadata(config.corpus_dir)  # fail closed: the previous index keeps serving
        corpus = load_corpus(config.corpus_dir)
        changes += kind_changes(previous, corpus)
        if not corpus.documents:
            raise ConfigError(
                f"No readable documents in {config.corpus_dir}.",
                "Add .txt, .md, .html or .pdf files there.",
            )
        embedder = embedder or Embedder(config.model)
        parts, embedded = _make_parts(corpus, config, embedder, rebuild, previous, progress)
        totals = {
            "documents": len(corpus.documents),
            "chunks": len(parts.chunks),
            "units": len(parts.units),
            "tokens": sum(c.n_tokens for c in parts.chunks),
        }
        version = datetime.now(UTC).strftime("v-%Y%m%d-%H%M%S-") + secrets.token_hex(3)
        manifest = {
            "format_version": FORMAT_VERSION,
            "version": version,
            "created": datetime.now(UTC).isoformat(timespec="seconds"),
            "settings": index_settings(config),
            "model": {
                "id": config.model,
                "dimension": int(parts.chunk_vectors.shape[1]),
                "max_seq_length": embedder.max_seq_length,
            },
            "corpus": fingerprint(config.corpus_dir),
            "documents": {
                d.id: {
                    "filename": d.filename,
                    "title": d.meta.title,
                    "kind": d.meta.kind,
                    "chunks": sum(c.doc_id == d.id for c in parts.chunks),
                    "units": sum(u.doc_id == d.id for u in parts.units),
                }
                for d in corpus.documents
            },
            "totals": totals,
            "safety": {"cv_accuracy": round(float(parts.safety["cv_accuracy"]), 4)},
            "problems": corpus.problems,
        }

        def write(folder: Path) -> dict[str, Any]:
            write_files(folder, parts)
            return manifest

        try:
            write_version(config.index_dir, version, write)
        except OSError as err:
            raise SmabotError(
                f"Writing the index failed ({err.strerror or err}); the previous index is still "
                "in use.",
                "Free disk space or fix permissions, then run `smabot index` again.",
            ) from err
        remove_stale(config.index_dir)
    n_texts = len(parts.chunks) + len(parts.view_texts) + len(parts.suggestions)
    return BuildSummary(
        version,
        totals["documents"],
        totals["chunks"],
        totals["units"],
        totals["tokens"],
        time.perf_counter() - t0,
        embedded,
        n_texts - embedded,
        True,
        tuple(corpus.problems),
        tuple(changes),
    )


def kind_changes(previous: dict[str, Any] | None, corpus) -> list[str]:
    """Each document whose kind of source is not what the previous index said, in words
    (a clinic's page must never become "other source" unnoticed)."""
    from bot.ingest.sources import KIND_LABELS

    before = (previous or {}).get("documents", {})
    return [
        f"{d.id}: kind of source changed from {KIND_LABELS[was]!r} to {d.meta.kind_label!r}"
        for d in corpus.documents
        if (was := before.get(d.id, {}).get("kind")) in KIND_LABELS and was != d.meta.kind
    ]


def _make_parts(
    corpus,
    config: Config,
    embedder: Embedder,
    rebuild: bool,
    previous: dict[str, Any] | None,
    progress: bool,
) -> tuple[IndexParts, int]:
    """Everything the new version holds, and how many texts had to be embedded."""
    plan = plan_embeddings(corpus, config.chunks, embedder, progress)
    suggestions = list(
        dict.fromkeys(q for d in corpus.documents for q in d.meta.suggested_questions)
    )
    groups = [plan.chunk_texts, plan.view_texts, suggestions]
    cache = {} if rebuild else _vector_cache(config, previous)
    vectors, embedded = encode_with_cache(embedder, [t for g in groups for t in g], cache, progress)
    chunk_vectors, view_vectors, suggestion_vectors = np.split(
        vectors, np.cumsum([len(g) for g in groups[:-1]])
    )  # each (n, dim) float32
    lexical = Lexical.build(
        plan.chunk_texts,
        [corpus.get(u.doc_id).text[u.start : u.end] for u in plan.units],
        # a word the model's own vocabulary splits into 3+ pieces is not everyday English
        is_specialist=lambda word: len(embedder.pieces(word)) >= 3,
    )
    safety = shipped_arrays(config.model, embedder.dimension) or train_all(embedder.encode)
    return IndexParts(
        corpus.documents,
        plan.chunks,
        plan.units,
        plan.view_owner,
        plan.view_texts,
        chunk_vectors,
        view_vectors,
        suggestions,
        suggestion_vectors,
        lexical,
        safety,
    ), embedded


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
    """text_key(text) -> vector from the previous version, if it used the same model.

    Reads only texts and vectors, so a change to any other index file never forces the
    corpus to be embedded again.
    """
    if not manifest or manifest.get("settings", {}).get("model") != config.model:
        return {}
    try:
        folder = current_version(config.index_dir)  # verified by _previous_manifest
        return {text_key(text): vector for text, vector in read_embedded_texts(folder)}
    except (SmabotError, OSError, ValueError, KeyError, IndexError):
        return {}  # damaged or unreadable: embed everything again
