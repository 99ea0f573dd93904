"""Train the message reader (bot/safety/reader.py): `python -m training messages`.

Top to bottom: (1) leave-one-writer-set-out, three times: train on two sets plus the
public examples, read the third; (2) choose the thresholds on those out-of-fold
readings, by least cost (COST), with the published danger signs as a floor; (3) train
on all three sets, write the fp16 weights and their card (sha256, thresholds, fold
figures, probabilities of the fixed messages in ORACLE). One thread, seeded: a fit
takes about 250 s of CPU, the command about 17 minutes on a quiet core (`--quick`
trains one epoch on fewer public examples, to try the code).
Left out: early stopping, threshold search finer than GRID, any evaluation set.
"""

from __future__ import annotations

import itertools
import json
import random
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np
import torch
from torch.nn import functional as F

from bot.config import DATA_DIR
from bot.index.minilm import package_folder
from bot.safety.reader import CARD, FORMAT, LABELS, WEIGHTS, MessageReader, sha256
from bot.safety.reader_net import ReaderNet
from bot.safety.reader_views import encode, tokenizer
from bot.safety.signs import find_signs
from training.message_data import SETS, Example, augment, public, writer_set


@dataclass(frozen=True)
class Settings:
    layers: int = 6  # all-MiniLM-L6-v2's layers read
    frozen: int = 3  # of which the first 3 stay as shipped (not in the weights file)
    epochs: int = 4
    batch: int = 16  # messages per step
    lr: float = 1e-4  # AdamW, 6% warm-up then linear decay
    dropout: float = 0.1
    sentence_weight: float = 0.5  # a sentence's loss against its message's
    public_weight: float = 0.5  # a public example's loss against a message's
    public_per_epoch: int = 1500  # public examples drawn afresh each epoch
    augment: bool = True  # training/message_data.py: augment
    lay_questions: bool = False  # the lay questions join the public examples as info
    seed: int = 0


# cost of a decision (columns) for a message of each label (rows), in LABELS order
# (info, advice, emergency, out_of_scope): a missed emergency 20; advice answered,
# info refused, escalated or turned away 5; out of scope answered or refused 2.
COST = np.array([[0, 5, 5, 5], [5, 0, 0, 5], [20, 20, 0, 20], [2, 2, 2, 0]])
GRID = np.round(np.concatenate([np.arange(0.02, 0.1, 0.02), np.arange(0.1, 0.96, 0.025)]), 3)
ORACLE = [  # fixed messages, written for the test: (message, history)
    ("what does a cough assist machine do", ()),
    ("my son has sma type 2, should we start him on risdiplam or wait for spinraza", ()),
    ("she's gone a funny grey colour and won't wake up properly", ()),
    ("can you write a limerick about my cat", ()),
    ("and how long does each session take?", ("we've been offered hydrotherapy for our daughter",)),
    ("now his oxygen reads 84 and he's panting", ("my toddler has sma 1 and a cold",)),
    (
        "We moved house last month and the boxes are everywhere. Our daughter is 4 and has "
        "SMA type 2. Her new nursery is lovely. Is there a way to make bath time easier for "
        "a child who can't sit unsupported?",
        (),
    ),
    (
        "I'm so done with all of this. I've been stockpiling my tablets and tonight feels "
        "like the night. Anyway, is fatigue common in SMA type 3?",
        (),
    ),
    ("whats the moving average sma 50 on apple shares", ()),
    ("last winter he went blue during a cold but he's fine now, what should we keep at home?", ()),
]


def views(tok, examples: list[Example]) -> list[tuple]:
    """Per example: (Encoded, [(mask (seq,), label, kind)]); kind all | message | sentence."""
    out = []
    for x in examples:
        e = encode(tok, x.text, x.history)
        y = LABELS.index(x.label)
        v = [(e.all, y, "all")] + ([(e.message, y, "all")] if x.history else [])
        for mask, (_, lab) in zip(e.sentences, x.sentence_labels(), strict=True):
            if lab is not None:
                v.append((mask, LABELS.index(lab), "sentence"))
        out.append((e, v))
    return out


def collate(items, weights: list[float], sentence_weight: float):
    """A padded batch: ids, mask (b, seq); view rows (v,), masks (v, seq), labels and
    weights (v,)."""
    seq = max(len(e.ids) for e, _ in items)
    ids, mask = torch.zeros(len(items), seq, dtype=torch.long), torch.zeros(len(items), seq)
    rows, masks, ys, ws = [], [], [], []
    for b, ((e, vs), w) in enumerate(zip(items, weights, strict=True)):
        ids[b, : len(e.ids)], mask[b, : len(e.ids)] = torch.from_numpy(e.ids), 1
        for m, y, kind in vs:
            rows.append(b), ys.append(y), masks.append(np.pad(m, (0, seq - len(m))))
            ws.append(w * (sentence_weight if kind == "sentence" else 1.0))
    return ids, mask.long(), torch.tensor(rows), torch.tensor(np.stack(masks)), \
        torch.tensor(ys), torch.tensor(ws)  # fmt: skip


def fit(tok, train: list[Example], pub: list[Example], s: Settings) -> ReaderNet:
    torch.manual_seed(s.seed)
    rng = random.Random(s.seed)
    if s.augment:
        train = train + augment(train, random.Random(s.seed + 1))
    own, others = views(tok, train), views(tok, pub)
    counts = np.bincount([v[0][1] for _, v in own], minlength=4).astype(float)
    counts += np.bincount([v[0][1] for _, v in others], minlength=4) * (
        s.public_per_epoch / max(len(others), 1)
    )
    class_weight = torch.tensor(counts.sum() / (4 * counts), dtype=torch.float32)  # (4,)
    net = ReaderNet(s.layers, s.dropout, s.frozen)
    net.load_minilm()
    net.freeze()
    params = [p for p in net.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=s.lr, weight_decay=0.01)
    steps = s.epochs * ((len(own) + min(len(others), s.public_per_epoch)) // s.batch + 1)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda k: min(1.0, k / (0.06 * steps)) * max(0.0, 1 - k / steps)
    )
    for epoch in range(s.epochs):
        net.train()
        drawn = rng.sample(others, min(len(others), s.public_per_epoch))
        items = own + drawn
        weights = [1.0] * len(own) + [s.public_weight] * len(drawn)
        order = sorted(range(len(items)), key=lambda i: len(items[i][0].ids) + rng.random())
        chunks = [order[i : i + s.batch] for i in range(0, len(order), s.batch)]
        rng.shuffle(chunks)
        total, t = 0.0, time.time()
        for chunk in chunks:
            batch = [items[i] for i in chunk]
            ids, mask, rows, masks, ys, ws = collate(
                batch, [weights[i] for i in chunk], s.sentence_weight
            )
            logits = net.logits(net.states(ids, mask), rows, masks)  # (v, 4)
            loss = F.cross_entropy(logits, ys, weight=class_weight, reduction="none") * ws
            loss = loss.sum() / ws.sum()
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            opt.step()
            sched.step()
            total += float(loss.detach()) * len(chunk)
        print(f"  epoch {epoch}: loss {total / len(items):.4f} ({time.time() - t:.0f} s)")
    return net.eval()


@torch.no_grad()
def read(net: ReaderNet, tok, examples: list[Example]) -> np.ndarray:
    """(n, 3): the decision's emergency, advice and out-of-scope probabilities."""
    out = []
    for x in examples:
        e = encode(tok, x.text, x.history)
        ids = torch.from_numpy(e.ids)[None]
        spans = torch.from_numpy(np.stack([e.all, e.message, *e.sentences]))
        p = (
            net.logits(net.states(ids, torch.ones_like(ids)), torch.zeros(len(spans)).long(), spans)
            .softmax(-1)
            .numpy()
        )  # (views, 4) fmt: skip
        em, adv, oos = (LABELS.index(k) for k in ("emergency", "advice", "out_of_scope"))
        out.append([p[:, em].max(), p[:2, adv].max(), p[:2, oos].min()])
    return np.array(out)


def decide(p: np.ndarray, signs: np.ndarray, t: tuple[float, float, float]) -> np.ndarray:
    """(n,) label indices from (n, 3) probabilities, (n,) danger signs, thresholds."""
    pred = np.full(len(p), LABELS.index("info"))
    pred[p[:, 2] >= t[2]] = LABELS.index("out_of_scope")
    pred[p[:, 1] >= t[1]] = LABELS.index("advice")
    pred[signs | (p[:, 0] >= t[0])] = LABELS.index("emergency")
    return pred


def choose(y: np.ndarray, p: np.ndarray, signs: np.ndarray) -> tuple[float, float, float]:
    """The (emergency, advice, out_of_scope) thresholds of least total COST; a tie goes
    to the first in GRID order (the lowest emergency threshold)."""
    costs = {t: COST[y, decide(p, signs, t)].sum() for t in itertools.product(GRID, repeat=3)}
    best = min(costs, key=costs.__getitem__)
    return tuple(float(x) for x in best)  # type: ignore[return-value]


def figures(y: np.ndarray, pred: np.ndarray) -> dict[str, float]:
    em, adv, info, oos = (LABELS.index(k) for k in ("emergency", "advice", "info", "out_of_scope"))
    return {
        "emergency_recall": float(np.mean(pred[y == em] == em)),
        "advice_recall": float(np.mean(np.isin(pred[y == adv], [adv, em]))),
        "info_refused_or_escalated": float(np.mean(np.isin(pred[y == info], [adv, em]))),
        "info_out_of_scope": float(np.mean(pred[y == info] == oos)),
        "out_of_scope_right": float(np.mean(pred[y == oos] == oos)),
    }


def main(quick: bool = False, out: Path = DATA_DIR, **changes) -> None:
    """`out`: where the weights and card go; `changes`: Settings fields to change."""
    torch.set_num_threads(1)
    s = replace(Settings(epochs=1, public_per_epoch=200) if quick else Settings(), **changes)
    tok = tokenizer(package_folder())
    sets, pub = {n: writer_set(n) for n in SETS}, public(s.lay_questions)
    ys, ps, signs, folds = [], [], [], {}
    for held in SETS:
        print(f"fold: train on {[n for n in SETS if n != held]}, read set_{held}")
        net = fit(tok, [x for n in SETS if n != held for x in sets[n]], pub, s)
        ys.append(np.array([LABELS.index(x.label) for x in sets[held]]))
        ps.append(read(net, tok, sets[held]))
        signs.append(np.array([bool(find_signs(x.text)) for x in sets[held]]))
    t = choose(np.concatenate(ys), np.concatenate(ps), np.concatenate(signs))
    for held, y, p, sg in zip(SETS, ys, ps, signs, strict=True):
        folds[f"set_{held}"] = figures(y, decide(p, sg, t))
        shown = ", ".join(f"{k} {v:.3f}" for k, v in folds[f"set_{held}"].items())
        print(f"set_{held} at {t}: {shown}")
    print("final: train on all three sets")
    net = fit(tok, [x for n in SETS for x in sets[n]], pub, s)
    save(net, t, folds, s, out)


def save(
    net: ReaderNet, t: tuple[float, float, float], folds: dict, s: Settings, out: Path
) -> None:
    from safetensors.torch import save_file

    weights_path, card_path = out / WEIGHTS.name, out / CARD.name

    state = {k: v.half().contiguous() for k, v in net.shipped_state().items()}
    save_file(state, str(weights_path), metadata={"format": FORMAT, "layers": str(s.layers)})
    card = {
        "format": FORMAT, "layers": s.layers, "frozen": s.frozen, "sentences": "pooled",
        "sha256": sha256(weights_path),
        "thresholds": dict(zip(("emergency", "advice", "out_of_scope"), t, strict=True)),
        "settings": asdict(s), "folds": folds, "oracle": [],
    }  # fmt: skip
    card_path.write_text(json.dumps(card, indent=1) + "\n")
    reader = MessageReader(weights_path, card_path)  # read back as the bot reads it
    for message, history in ORACLE:
        r = reader.read(message, history)
        card["oracle"].append({"message": message, "history": list(history),
                               "conversation": r.conversation, "message_view": r.message,
                               "sentences": [sn.probabilities for sn in r.sentences]})  # fmt: skip
    card_path.write_text(json.dumps(card, indent=1) + "\n")
    print(
        f"wrote {weights_path} ({weights_path.stat().st_size / 1e6:.1f} MB, "
        f"sha256 {card['sha256'][:12]}…)"
    )
