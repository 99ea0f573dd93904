"""The message reader's network: all-MiniLM-L6-v2 (bot/index/minilm.py; the first
`frozen` layers as shipped in its package, the rest fine-tuned) and a four-way head over
mean-pooled token spans.

One forward pass reads the message with its conversation (`[earlier] message`); the
head reads three kinds of span of that one pass (`views`):

    all        every token: the message in its conversation
    message    the message's own tokens
    sentence   each sentence of the message (the staff view shows the one that drove it)

Shipped (`shipped_state`): the fine-tuned layers and the head; the frozen parts are read
from the package. Left out: dropout at inference.
"""

from __future__ import annotations

import torch
from torch import nn

from bot.index.minilm import HIDDEN, MiniLM

N_LABELS = 4


class ReaderNet(MiniLM):
    def __init__(self, n_layers: int, dropout: float = 0.1, frozen: int = 0):
        super().__init__(n_layers, dropout, frozen)
        self.head = nn.Linear(HIDDEN, N_LABELS)

    def load_minilm(self, folder=None) -> None:
        """Start from all-MiniLM-L6-v2's weights, with a fresh head (training)."""
        self.load_package(folder)
        with torch.no_grad():
            nn.init.normal_(self.head.weight, std=0.02)
            nn.init.zeros_(self.head.bias)

    def states(self, ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """ids, mask (batch, seq) int64 -> token states (batch, seq, 384)."""
        return self(ids, mask)

    def logits(self, states: torch.Tensor, rows: torch.Tensor, spans: torch.Tensor):
        """Mean-pool token spans and classify: `rows` (v,) batch row of each view,
        `spans` (v, seq) 0/1 token masks -> (v, 4) logits."""
        m = spans.to(states.dtype)[..., None]  # (v, seq, 1)
        pooled = (states[rows] * m).sum(1) / m.sum(1).clamp(min=1.0)  # (v, 384)
        return self.head(self.drop(pooled))

    def shipped_state(self) -> dict[str, torch.Tensor]:
        """What training changed: the unfrozen layers and the head (and, with nothing
        frozen, the position and type embeddings and their norm)."""
        keep = [f"layers.{i}." for i in self.trained_layers()] + ["head."]
        if not self.frozen:
            keep += ["pos.", "type0", "ln."]
        return {k: v for k, v in self.state_dict().items() if k.startswith(tuple(keep))}
