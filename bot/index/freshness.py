"""Is an index current? Its manifest against the settings, the code and the corpus.

An index is stale when it was built with another model, encoding or chunk sizes, by
other indexing code (`pipeline_fingerprint`: editing a rule that decides what is indexed
makes old indexes stale, so a change can never go unnoticed), or for other documents
(`corpus_differences`: added, removed or changed files or metadata).
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from bot.config import Config
from bot.ingest.corpus import fingerprint

# The modules whose code decides what gets indexed; editing one makes old indexes stale.
_PIPELINE_MODULES = (
    "ingest/formats",
    "ingest/boilerplate",
    "ingest/segment",
    "ingest/chunking",
    "index/views",
    "index/lexical",
    "index/embedding",
    "build",
    "index/store",
    "safety/classifier",
    "data/safety_examples.jsonl",
    "data/harmful_requests.jsonl",
    "data/scope_examples.jsonl",
    "data/classifiers.json",
)


def pipeline_fingerprint() -> str:
    """sha256 of the indexing code, so a change of rules can never go unnoticed."""
    here = Path(__file__).resolve().parent.parent  # bot/
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
