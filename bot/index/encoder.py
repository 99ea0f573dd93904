"""A BERT sentence encoder in plain torch, so a reply process starts in ~2 s, not ~6 s.

Importing sentence-transformers pulls in transformers, scipy.stats, pandas and torch's
distributed and compiler packages: about 4 s on this 2-core machine before the first
question can be answered (measured with `python -X importtime`). The model itself is
small (all-MiniLM-L6-v2: 6 layers, 384 wide, 22M weights) and its forward pass is a few
lines, so `Embedder` runs it here when a model folder is exactly the common recipe:

    modules.json   Transformer -> Pooling (mean of tokens) -> Normalize
    config.json    model_type "bert", absolute positions, GELU

Anything else (another architecture, CLS pooling, a prompt) goes through
sentence-transformers unchanged. The vectors are the same as sentence-transformers'
to float rounding: tests/test_encoder.py checks every text of the default corpus
against `SentenceTransformer.encode` (max abs difference < 1e-5). Left out: dropout
(inference only), token type ids other than 0, position types other than absolute.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

_RECIPE = [
    "sentence_transformers.models.Transformer",
    "sentence_transformers.models.Pooling",
    "sentence_transformers.models.Normalize",
]


def supports(folder: Path) -> bool:
    """True when `folder` holds a BERT, mean-pooled, normalised sentence model."""
    try:
        modules = json.loads((folder / "modules.json").read_text())
        config = json.loads((folder / "config.json").read_text())
        pooling = json.loads((folder / "1_Pooling" / "config.json").read_text())
    except (OSError, ValueError):
        return False
    mean_only = pooling.get("pooling_mode_mean_tokens") and not any(
        v
        for k, v in pooling.items()
        if k.startswith("pooling_mode_")
        and k.endswith(("cls_token", "max_tokens", "mean_sqrt_len_tokens", "weightedmean_tokens"))
    )
    return (
        [m.get("type") for m in modules] == _RECIPE
        and config.get("model_type") == "bert"
        and config.get("position_embedding_type", "absolute") == "absolute"
        and config.get("hidden_act") == "gelu"
        and (folder / "model.safetensors").exists()
        and (folder / "tokenizer.json").exists()
        and bool(mean_only)
    )


class BertSentenceEncoder:
    """`encode(texts) -> (n, hidden) float32`, L2-normalised, mean-pooled BERT."""

    def __init__(self, folder: Path, device: str = "cpu"):
        import torch
        from safetensors.torch import load_file
        from tokenizers import Tokenizer

        self.torch = torch
        config = json.loads((folder / "config.json").read_text())
        self.max_seq_length = int(
            json.loads((folder / "sentence_bert_config.json").read_text())["max_seq_length"]
        )
        self.heads = int(config["num_attention_heads"])
        self.layers = int(config["num_hidden_layers"])
        self.eps = float(config["layer_norm_eps"])
        self.dimension = int(config["hidden_size"])
        # one tokenizer truncates and pads batches as sentence-transformers does; the other
        # counts and splits text whole (tokenizer.json may carry its own fixed padding)
        self.tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self.tokenizer.enable_truncation(self.max_seq_length)
        self.tokenizer.enable_padding(pad_id=int(config.get("pad_token_id", 0)))
        self.plain = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self.plain.no_truncation()
        self.plain.no_padding()
        weights = load_file(str(folder / "model.safetensors"), device=device)
        # checkpoints name their tensors with or without the "bert." prefix
        self.w = {k.removeprefix("bert."): v.float() for k, v in weights.items()}
        for i in range(self.layers):  # short names for the attention projections
            for long in ("query", "key", "value"):
                for part in ("weight", "bias"):
                    name = f"encoder.layer.{i}.attention.self."
                    self.w[f"{name}{long[0]}.{part}"] = self.w[f"{name}{long}.{part}"]

    def _norm(self, x, name: str):
        w, b = self.w[f"{name}.weight"], self.w[f"{name}.bias"]
        return self.torch.nn.functional.layer_norm(x, (x.shape[-1],), w, b, self.eps)

    def _linear(self, x, name: str):
        return self.torch.nn.functional.linear(x, self.w[f"{name}.weight"], self.w[f"{name}.bias"])

    def _forward(self, ids, mask):
        """ids, mask: (batch, seq) int64 -> (batch, seq, hidden) float32."""
        torch, w = self.torch, self.w
        f = torch.nn.functional
        seq = ids.shape[1]
        x = (
            w["embeddings.word_embeddings.weight"][ids]
            + w["embeddings.position_embeddings.weight"][:seq][None]
            + w["embeddings.token_type_embeddings.weight"][0]
        )
        x = self._norm(x, "embeddings.LayerNorm")
        batch, hidden = x.shape[0], x.shape[2]
        # (batch, 1, 1, seq): padded keys get -inf before the softmax
        bias = torch.zeros(mask.shape, dtype=x.dtype).masked_fill(mask == 0, float("-inf"))
        bias = bias[:, None, None, :]

        def split(t):  # (batch, seq, hidden) -> (batch, heads, seq, hidden / heads)
            return t.view(batch, seq, self.heads, hidden // self.heads).transpose(1, 2)

        for i in range(self.layers):
            p = f"encoder.layer.{i}"
            q, k, v = (split(self._linear(x, f"{p}.attention.self.{n}")) for n in "qkv")
            a = f.scaled_dot_product_attention(q, k, v, attn_mask=bias)
            a = a.transpose(1, 2).reshape(batch, seq, hidden)
            a = self._linear(a, f"{p}.attention.output.dense")
            x = self._norm(x + a, f"{p}.attention.output.LayerNorm")
            h = f.gelu(self._linear(x, f"{p}.intermediate.dense"))
            x = self._norm(x + self._linear(h, f"{p}.output.dense"), f"{p}.output.LayerNorm")
        return x

    def encode(self, texts: list[str], batch_size: int = 32) -> np.ndarray:
        """(len(texts), hidden) float32, L2-normalised; batches sorted by length."""
        torch = self.torch
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        with torch.inference_mode():
            for s in range(0, len(order), batch_size):
                rows = order[s : s + batch_size]
                enc = self.tokenizer.encode_batch([texts[i] for i in rows])
                ids = torch.tensor([e.ids for e in enc], dtype=torch.long)
                mask = torch.tensor([e.attention_mask for e in enc], dtype=torch.long)
                x = self._forward(ids, mask)  # (batch, seq, hidden)
                m = mask[..., None].to(x.dtype)
                pooled = (x * m).sum(1) / m.sum(1).clamp(min=1e-9)  # (batch, hidden)
                pooled = torch.nn.functional.normalize(pooled, p=2, dim=1)
                out[rows] = pooled.numpy()
        return out

    def tokens(self, text: str) -> list[str]:
        """Word pieces without [CLS]/[SEP], untruncated."""
        return self.plain.encode(text, add_special_tokens=False).tokens

    def n_tokens(self, text: str) -> int:
        """Length with special tokens, untruncated (as the HF tokenizer call reports)."""
        return len(self.plain.encode(text).ids)
