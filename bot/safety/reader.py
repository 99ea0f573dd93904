"""The message reader: P(info / advice / emergency / out_of_scope) for a message read with
its conversation, as a whole and sentence by sentence.

Weights: `bot/data/message_reader.safetensors` (fp16: the layers of all-MiniLM-L6-v2
that `python -m training messages` fine-tuned, and the head; the frozen parts are read
from the installed model package, bot/safety/reader_net.py), described by
`bot/data/message_reader.json`: the file's sha256, the format, the thresholds chosen by
cross-validation, and probabilities recorded for fixed messages (tests/test_reader.py).
A file whose hash, format or layer count differs is refused, never half-loaded.

How a reading becomes a decision as training chose its thresholds and measured its folds
(`Reading.decide`): a published danger sign (bot/safety/signs.py) always escalates; else
emergency when the highest emergency probability of any view (the message in its
conversation, the message alone, any one sentence) reaches its threshold; else advice
when the conversation's or the message's advice probability does; else out of scope when
both views' out-of-scope probability do; else info. The bot uses only the emergency part
(`Reading.emergency`, `Reading.driver`, bot/safety/decision.py): in charge of advice and
scope the reader refused more families' questions than the rules (issue 21's note).

Messages that arrive together share one forward pass (bot/index/batching.py, as the
encoder's questions do): `read` pads them to the longest and pools each view from its row.

A message longer than any of the training data (`WINDOW_WORDS`) is read in windows of
its distinct sentences, each alone: read whole, past the lengths it learned on, the reader's
emergency probability rises with length alone (a benign document pasted after a question
read 0.25; its windows 0.00-0.02), and past 256 tokens the end would be cut off.

Left out: other languages (bot/safety/language.py answers those first), int8 weights,
reading each sentence in a pass of its own (a sentence is read in the context of its
message: one pass for all).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from bot.config import DATA_DIR
from bot.index.batching import MicroBatcher

LABELS = ("info", "advice", "emergency", "out_of_scope")
FORMAT = "smabot-message-reader/1"
WEIGHTS = DATA_DIR / "message_reader.safetensors"
CARD = DATA_DIR / "message_reader.json"


class ReaderMismatch(RuntimeError):
    """The weights on disk are not the ones the card describes."""


@dataclass(frozen=True)
class Sentence:
    start: int  # character span of the message
    end: int
    probabilities: dict[str, float]


@dataclass(frozen=True)
class Reading:
    conversation: dict[str, float]  # every token: the message in its conversation
    message: dict[str, float]  # the message's own tokens
    sentences: tuple[Sentence, ...]  # one per sentence of the message

    @property
    def emergency(self) -> float:
        views = [self.conversation, self.message, *(s.probabilities for s in self.sentences)]
        return max(v["emergency"] for v in views)

    @property
    def driver(self) -> Sentence | None:
        """The sentence whose emergency probability is the highest of all views, if any."""
        if len(self.sentences) < 2:
            return None
        best = max(self.sentences, key=lambda s: s.probabilities["emergency"])
        return best if best.probabilities["emergency"] >= self.emergency else None

    @property
    def advice(self) -> float:
        return max(self.conversation["advice"], self.message["advice"])

    @property
    def out_of_scope(self) -> float:
        return min(self.conversation["out_of_scope"], self.message["out_of_scope"])

    def decide(self, thresholds: dict[str, float], danger_sign: bool = False) -> str:
        """info | advice | emergency | out_of_scope (the module docstring says how)."""
        if danger_sign or self.emergency >= thresholds["emergency"]:
            return "emergency"
        if self.advice >= thresholds["advice"]:
            return "advice"
        if self.out_of_scope >= thresholds["out_of_scope"]:
            return "out_of_scope"
        return "info"


# the longest message of the training data is 118 words: a longer one is read in windows
WINDOW_WORDS = 120


def windows(message: str, limit: int = WINDOW_WORDS) -> list[str]:
    """A long message's distinct sentences (a sentence repeated word for word adds
    nothing), joined into windows of at most `limit` words each (a longer sentence is a
    window of its own); `[message]` for a message of `limit` words or fewer."""
    if len(message.split()) <= limit:
        return [message]
    from bot.ingest.segment import message_sentences

    out: list[list[str]] = []
    seen: set[str] = set()
    count = 0
    for start, end in message_sentences(message):
        sentence = message[start:end].strip()
        if (key := " ".join(sentence.lower().split())) in seen:
            continue
        seen.add(key)
        words = len(sentence.split())
        if out and count + words <= limit:
            out[-1].append(sentence)
            count += words
        else:
            out.append([sentence])
            count = words
    return [" ".join(w) for w in out]


@lru_cache(maxsize=1)
def shared_reader() -> MessageReader:
    """The shipped reader, loaded once per process (every `Bot` shares it)."""
    return MessageReader()


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


class MessageReader:
    def __init__(self, weights: Path = WEIGHTS, card: Path = CARD, threads: int | None = None):
        import torch
        from safetensors import safe_open

        from bot.index.minilm import package_folder
        from bot.safety.reader_net import ReaderNet
        from bot.safety.reader_views import tokenizer

        self.card = json.loads(card.read_text(encoding="utf-8"))
        if self.card.get("format") != FORMAT:
            raise ReaderMismatch(f"{card}: format {self.card.get('format')!r}, not {FORMAT!r}")
        if (found := sha256(weights)) != self.card["sha256"]:
            raise ReaderMismatch(f"{weights}: sha256 {found[:12]}… is not the card's")
        with safe_open(str(weights), framework="pt") as f:
            meta = f.metadata() or {}
            state = {k: f.get_tensor(k).float() for k in f.keys()}  # noqa: SIM118
        if meta.get("format") != FORMAT or int(meta.get("layers", -1)) != self.card["layers"]:
            raise ReaderMismatch(f"{weights}: its header does not match {card}")
        self.torch = torch
        if threads:
            torch.set_num_threads(threads)
        self.net = ReaderNet(self.card["layers"], dropout=0.0, frozen=self.card["frozen"])
        self.net.load_minilm(package_folder())  # the frozen parts, from the model package
        if set(state) != set(self.net.shipped_state()):
            layers = self.card["layers"]
            raise ReaderMismatch(f"{weights}: its tensors do not fit a {layers}-layer reader")
        self.net.load_state_dict(state, strict=False)
        self.net.eval()
        self.tok = tokenizer(package_folder())
        self.thresholds: dict[str, float] = self.card["thresholds"]
        self.batcher = MicroBatcher(self.read_many, max_texts=32)

    def read(self, message: str, history: tuple[str, ...] | list[str] = ()) -> Reading:
        """The message read in its conversation (`history`: earlier messages, oldest
        first), together with whatever other messages are waiting. A message longer than
        any the reader trained on is read in windows of its distinct sentences
        (`windows`), each alone; the reading is the window's with the highest emergency
        probability, its sentences placed where they first occur in the message."""
        parts = windows(message)
        if len(parts) == 1 and parts[0] == message:
            return self.batcher.encode([json.dumps([message, list(history)])])[0]
        readings = self.batcher.encode([json.dumps([part, []]) for part in parts])
        k = int(np.argmax([r.emergency for r in readings]))
        part, best = parts[k], readings[k]
        placed = []
        for x in best.sentences:
            at = max(0, message.find(part[x.start : x.end]))
            placed.append(Sentence(at, at + x.end - x.start, x.probabilities))
        return Reading(best.conversation, best.message, tuple(placed))

    def read_many(self, keys: list[str]) -> np.ndarray:
        """(len(keys),) object array of `Reading`s, in one padded forward pass; each key is
        `json.dumps([message, history])`."""
        from bot.safety.reader_views import encode

        torch = self.torch
        requests = [json.loads(k) for k in keys]
        encoded = [encode(self.tok, m, tuple(h)) for m, h in requests]
        seq = max(len(e.ids) for e in encoded)
        ids = torch.zeros((len(encoded), seq), dtype=torch.long)  # (b, seq), 0 = [PAD]
        mask = torch.zeros_like(ids)
        views, rows = [], []
        for i, e in enumerate(encoded):
            ids[i, : len(e.ids)], mask[i, : len(e.ids)] = torch.from_numpy(e.ids), 1
            for v in (e.all, e.message, *e.sentences):
                views.append(np.pad(v, (0, seq - len(v))))
                rows.append(i)
        with torch.inference_mode():
            states = self.net.states(ids, mask)  # (b, seq, 384)
            spans = torch.from_numpy(np.stack(views))  # (v, seq)
            p = self.net.logits(states, torch.tensor(rows), spans).softmax(-1).numpy()  # (v, 4)
        out, at = np.empty(len(encoded), dtype=object), 0
        for i, e in enumerate(encoded):
            probs = [
                dict(zip(LABELS, map(float, row), strict=True))
                for row in p[at : at + 2 + len(e.spans)]
            ]
            sentences = tuple(
                Sentence(a, b, q) for (a, b), q in zip(e.spans, probs[2:], strict=True)
            )
            out[i] = Reading(probs[0], probs[1], sentences)
            at += 2 + len(e.spans)
        return out
