"""The message reader's input: a message and its conversation, as token ids and the
spans the head reads (bot/safety/reader.py).

The text read is `earlier message(s) + " " + message` (at most `HISTORY` earlier
messages, the oldest dropped first when the whole passes `MAX_TOKENS`). Views, as
0/1 masks over its tokens: `all`, `message`, and one per sentence of the message.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bot.ingest.segment import message_sentences as sentences

MAX_TOKENS = 256
HISTORY = 2


@dataclass(frozen=True)
class Encoded:
    ids: np.ndarray  # (seq,) int64, with [CLS] and [SEP]
    all: np.ndarray  # (seq,) 0/1: every word token
    message: np.ndarray  # (seq,) 0/1: the message's own tokens
    sentences: np.ndarray  # (n_sentences, seq) 0/1
    spans: list[tuple[int, int]]  # the sentences, as character spans of the message


def tokenizer(folder: Path):
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(folder / "tokenizer.json"))
    tok.no_truncation()
    tok.no_padding()
    return tok


def _inside(offsets: np.ndarray, start: int, end: int) -> np.ndarray:
    """(seq,) 0/1: tokens whose characters fall in [start, end); special tokens never."""
    real = offsets[:, 1] > offsets[:, 0]
    return (real & (offsets[:, 1] > start) & (offsets[:, 0] < end)).astype(np.int64)


def encode(tok, message: str, history: tuple[str, ...] | list[str] = ()) -> Encoded:
    earlier = list(history)[-HISTORY:]
    while True:
        prefix = " ".join(earlier) + " " if earlier else ""
        e = tok.encode(prefix + message)
        if len(e.ids) <= MAX_TOKENS or not earlier:
            break
        earlier = earlier[1:]
    ids, offsets = np.array(e.ids[:MAX_TOKENS]), np.array(e.offsets[:MAX_TOKENS])
    if len(e.ids) > MAX_TOKENS:  # a very long message: keep its start, end with [SEP]
        ids[-1], offsets[-1] = e.ids[-1], (0, 0)
    spans = sentences(message)
    shift = len(prefix)
    return Encoded(
        ids=ids.astype(np.int64),
        all=_inside(offsets, 0, shift + len(message)),
        message=_inside(offsets, shift, shift + len(message)),
        sentences=np.stack([_inside(offsets, shift + s, shift + e) for s, e in spans]),
        spans=spans,
    )
