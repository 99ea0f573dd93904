"""Three classifiers over the sentence embedding the bot already computes for a message.

All are logistic regressions with balanced classes:

- safety: four labels, from the team's labelled file `bot/data/safety_examples.jsonl`:

    info          a question about SMA or the care of someone with it (answerable or not)
    advice        medical advice for a particular person (dose, decision, diagnosis, ...)
    emergency     acute danger now, or thoughts of self-harm
    out_of_scope  anything else: other conditions, general knowledge, chit-chat

- harm: P(a request to harm or deceive someone), from public harmful requests
  (`bot/data/harmful_requests.jsonl`, MedSafetyBench's training split) against the
  public health and general questions of the scope examples and the team's info,
  advice and emergency examples;
- scope: P(a general request, not about health), from `bot/data/scope_examples.jsonl`
  (public questions: MedQuAD, MEDIQA 2019, CLINC150).

None of these shares a question with the evaluation sets (a test checks this).

Both are trained for the default model by `python -m training models` and ship in
`bot/data/classifiers.json` with a fingerprint of their examples; an index built with
another model, or after the examples changed, trains its own at index time
(`classifier_arrays`). Only weights are stored: prediction is a (4, 384) x (384,)
product and a softmax, so answering imports no scikit-learn. Left out: calibration
beyond logistic regression's own probabilities.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from bot.config import DATA_DIR

LABELS = ("info", "advice", "emergency", "out_of_scope")
DATA = DATA_DIR
EXAMPLES = DATA / "safety_examples.jsonl"
HARMFUL = DATA / "harmful_requests.jsonl"
SCOPE_EXAMPLES = DATA / "scope_examples.jsonl"
SHIPPED = DATA / "classifiers.json"
SCOPE_LABELS = ("health", "general")


def _read(path: Path, labels: Sequence[str]) -> list[tuple[str, str]]:
    rows = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        row = json.loads(line)
        if row.get("label") not in labels or not row.get("text"):
            raise ValueError(f"{path}, line {n}: needs a text and a label in {tuple(labels)}")
        rows.append((row["text"], row["label"]))
    return rows


def load_examples() -> list[tuple[str, str]]:
    """(text, label) of the safety classifier (the team's examples)."""
    return _read(EXAMPLES, LABELS)


def load_harmful() -> list[str]:
    """Public harmful requests (training/scope_examples.py, `harmful_requests`)."""
    return [t for t, _ in _read(HARMFUL, ("harmful",))] if HARMFUL.exists() else []


def load_scope_examples() -> list[tuple[str, str]]:
    """(text, label) of the scope classifier, labels `health` or `general`."""
    return _read(SCOPE_EXAMPLES, SCOPE_LABELS) if SCOPE_EXAMPLES.exists() else []


def examples_fingerprint() -> str:
    """sha256 of every example file: shipped weights are used only while it matches."""
    h = hashlib.sha256()
    for path in (EXAMPLES, HARMFUL, SCOPE_EXAMPLES):
        h.update(path.read_bytes() if path.exists() else b"")
    return h.hexdigest()[:16]


EMERGENCY_COST = 20  # a missed emergency costs as much as this many needless emergency replies


def train(vectors: np.ndarray, labels: list[str]) -> dict[str, np.ndarray]:
    """vectors: (n, dim) float32, L2-normalised. Returns the arrays `predict` needs, the
    5-fold cross-validated accuracy (for the build summary) and `emergency_cv`: rows of
    [threshold, emergencies missed, other messages sent the emergency reply, cost with a
    miss weighing EMERGENCY_COST], from the same folds' out-of-fold probabilities."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    y = np.array([LABELS.index(label) for label in labels])
    model = LogisticRegression(C=4.0, class_weight="balanced", max_iter=5000)
    folds = StratifiedKFold(n_splits=5, shuffle=True, random_state=0)
    p = cross_val_predict(model, vectors, y, cv=folds, method="predict_proba")
    cv = float(np.mean(p.argmax(1) == y))
    em, is_em = p[:, LABELS.index("emergency")], y == LABELS.index("emergency")
    rows = []
    for t in np.round(np.arange(0.3, 0.95, 0.05), 2):
        missed, alarms = int(np.sum(is_em & (em < t))), int(np.sum(~is_em & (em >= t)))
        rows.append([t, missed, alarms, EMERGENCY_COST * missed + alarms])
    model.fit(vectors, y)
    coef = np.zeros((len(LABELS), vectors.shape[1]), dtype=np.float32)
    intercept = np.zeros(len(LABELS), dtype=np.float32)
    coef[model.classes_] = model.coef_
    intercept[model.classes_] = model.intercept_
    return {
        "coef": coef,
        "intercept": intercept,
        "cv_accuracy": np.array(cv, dtype=np.float32),
        "emergency_cv": np.array(rows, dtype=np.float32),
    }


def train_scope(vectors: np.ndarray, labels: list[str]) -> dict[str, np.ndarray]:
    """P(general) from (n, dim) float32 vectors, with its 5-fold cross-validated
    share of health examples called general and of general ones caught, per threshold
    (`scope_cv`: rows of [threshold, health called general, general caught])."""
    y = np.array([label == "general" for label in labels])
    return _binary(vectors, y, "scope", (0.5, 0.8, 0.9, 0.95))


def train_harm(harmful: np.ndarray, harmless: np.ndarray) -> dict[str, np.ndarray]:
    """P(harmful request) from (n, dim) vectors of each side, with its 5-fold
    cross-validated share of harmless questions flagged and of harmful ones caught
    (`harm_cv`: rows of [threshold, harmless flagged, harmful caught])."""
    x = np.concatenate([harmful, harmless])
    y = np.array([True] * len(harmful) + [False] * len(harmless))
    return _binary(x, y, "harm", (0.5, 0.6, 0.7, 0.8))


def _binary(
    x: np.ndarray, y: np.ndarray, name: str, thresholds: tuple[float, ...]
) -> dict[str, np.ndarray]:
    """A balanced logistic regression for P(y) over (n, dim) `x`: `{name}_coef`,
    `{name}_intercept`, and `{name}_cv`, rows of [threshold, share of negatives at or
    above it, share of positives at or above it] from 5-fold cross-validation."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    model = LogisticRegression(C=4.0, class_weight="balanced", max_iter=5000)
    folds = StratifiedKFold(n_splits=5, shuffle=True, random_state=0)
    p = cross_val_predict(model, x, y, cv=folds, method="predict_proba")[:, 1]
    cv = [[t, float(np.mean(p[~y] >= t)), float(np.mean(p[y] >= t))] for t in thresholds]
    model.fit(x, y)
    return {
        f"{name}_coef": model.coef_[0].astype(np.float32),
        f"{name}_intercept": np.array(model.intercept_[0], dtype=np.float32),
        f"{name}_cv": np.array(cv, dtype=np.float32),
    }


def train_all(encode: Callable[[list[str]], np.ndarray]) -> dict[str, np.ndarray]:
    """All three, embedding their examples with `encode` ((n,) texts -> (n, dim))."""
    safety, scope, harmful = load_examples(), load_scope_examples(), load_harmful()
    vectors = encode([t for t, _ in safety] + [t for t, _ in scope] + harmful)
    v_safety, v_scope, v_harmful = np.split(vectors, [len(safety), len(safety) + len(scope)])
    arrays = train(v_safety, [label for _, label in safety])
    if scope:
        arrays |= train_scope(v_scope, [label for _, label in scope])
    if harmful:
        harmless = [i for i, (_, label) in enumerate(safety) if label != "out_of_scope"]
        arrays |= train_harm(v_harmful, np.concatenate([v_safety[harmless], v_scope]))
    return arrays


def shipped_arrays(model_id: str, dimension: int) -> dict[str, np.ndarray] | None:
    """The shipped classifiers if trained for `model_id` on the current examples."""
    if not SHIPPED.exists():
        return None
    data = json.loads(SHIPPED.read_text())
    if (
        data.get("model") != model_id
        or data.get("dimension") != dimension
        or data.get("examples") != examples_fingerprint()
    ):
        return None
    return {k: np.array(v, dtype=np.float32) for k, v in data["arrays"].items()}


def write_shipped(path: Path, model_id: str, arrays: dict[str, np.ndarray]) -> None:
    data = {
        "model": model_id,
        "dimension": int(arrays["coef"].shape[1]),
        "examples": examples_fingerprint(),
        "arrays": {k: np.round(v.astype(float), 6).tolist() for k, v in arrays.items()},
    }
    path.write_text(json.dumps(data) + "\n")


def probability(arrays: dict[str, np.ndarray], name: str, vectors: Sequence[np.ndarray]) -> float:
    """A binary classifier's (`harm`, `scope`) lowest probability over `vectors`, the
    message's readings; 0.0 when the index has no such classifier."""
    if f"{name}_coef" not in arrays or not len(vectors):
        return 0.0
    logit = min(float(arrays[f"{name}_coef"] @ v + arrays[f"{name}_intercept"]) for v in vectors)
    return float(1 / (1 + np.exp(-logit)))


def predict(arrays: dict[str, np.ndarray], vector: np.ndarray) -> dict[str, float]:
    """{label: probability} for one (dim,) vector."""
    logits = arrays["coef"] @ vector + arrays["intercept"]  # (4,)
    p = np.exp(logits - logits.max())
    p /= p.sum()
    return {label: float(p[i]) for i, label in enumerate(LABELS)}
