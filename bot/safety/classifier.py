"""A classifier over the sentence embedding the bot already computes for a question.

Trained at index time (scikit-learn logistic regression, classes balanced) from the
labelled file `bot/data/safety_examples.jsonl`, which shares no question with the
evaluation sets (a test checks this). Labels:

    info          a question about SMA or the care of someone with it (answerable or not)
    advice        medical advice for a particular person (dose, decision, diagnosis, ...)
    emergency     acute danger now, or thoughts of self-harm
    out_of_scope  anything else: other conditions, general knowledge, chit-chat

Only the weights are stored (`safety.npz`): prediction is one (4, 384) x (384,) product
and a softmax, so answering imports no scikit-learn. Left out: calibration beyond
logistic regression's own probabilities.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

LABELS = ("info", "advice", "emergency", "out_of_scope")
EXAMPLES = Path(__file__).resolve().parent.parent / "data" / "safety_examples.jsonl"


def load_examples(path: Path = EXAMPLES) -> list[tuple[str, str]]:
    rows = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        row = json.loads(line)
        if row.get("label") not in LABELS or not row.get("text"):
            raise ValueError(f"{path}, line {n}: needs a text and a label in {LABELS}")
        rows.append((row["text"], row["label"]))
    return rows


def train(vectors: np.ndarray, labels: list[str]) -> dict[str, np.ndarray]:
    """vectors: (n, dim) float32, L2-normalised. Returns the arrays `predict` needs,
    plus the 5-fold cross-validated accuracy on the examples (for the build summary)."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_score

    y = np.array([LABELS.index(label) for label in labels])
    model = LogisticRegression(C=4.0, class_weight="balanced", max_iter=5000)
    folds = StratifiedKFold(n_splits=5, shuffle=True, random_state=0)
    cv = cross_val_score(model, vectors, y, cv=folds).mean()
    model.fit(vectors, y)
    coef = np.zeros((len(LABELS), vectors.shape[1]), dtype=np.float32)
    intercept = np.zeros(len(LABELS), dtype=np.float32)
    coef[model.classes_] = model.coef_
    intercept[model.classes_] = model.intercept_
    return {"coef": coef, "intercept": intercept, "cv_accuracy": np.array(cv, dtype=np.float32)}


def predict(arrays: dict[str, np.ndarray], vector: np.ndarray) -> dict[str, float]:
    """{label: probability} for one (dim,) vector."""
    logits = arrays["coef"] @ vector + arrays["intercept"]  # (4,)
    p = np.exp(logits - logits.max())
    p /= p.sum()
    return {label: float(p[i]) for i, label in enumerate(LABELS)}
