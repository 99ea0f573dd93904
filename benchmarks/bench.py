"""Speed of the answering pipeline on the default corpus. Prints figures; asserts nothing.

    python benchmarks/bench.py [--reps 3]

- warm `ask`: Bot.answer over every dev-set question, after a warm-up, in process;
- raw encode: `model.encode` of one query, the floor a reply cannot go under;
- cold start: `smabot ask QUESTION` as a new process with a built index, from process
  start to the printed reply (interpreter, imports, model and index load included);
- full build: `smabot index` as a new process on an empty index folder;
- unchanged re-index: `smabot index` again, nothing changed.

Timings are wall-clock on whatever machine runs them; run on a quiet machine.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

QUESTION = "Is Zolgensma a cure for SMA?"


def wall(cmd: list[str], env: dict[str, str]) -> float:
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, env=env, capture_output=True)
    return time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=3, help="repetitions of each process timing")
    args = parser.parse_args()

    from bot.bot import Bot
    from bot.build import build_index
    from bot.config import Config
    from evals.sets import DEFAULT_SET, load_set

    smabot = [sys.executable, "-m", "bot.cli"]
    with tempfile.TemporaryDirectory() as tmp:
        corpus, index = Path(tmp) / "corpus", Path(tmp) / "index"
        shutil.copytree(ROOT / "corpus", corpus)
        env = {**os.environ, "SMABOT_CORPUS": str(corpus), "SMABOT_INDEX": str(index)}

        builds = []
        for _ in range(args.reps):
            shutil.rmtree(index, ignore_errors=True)
            builds.append(wall([*smabot, "index", "--quiet"], env))
        reindex = [wall([*smabot, "index", "--quiet"], env) for _ in range(args.reps)]
        cold = [wall([*smabot, "ask", QUESTION], env) for _ in range(args.reps)]

        config = Config(corpus_dir=corpus, index_dir=index)
        build_index(config, progress=False, echo=lambda m: None)
        bot = Bot.load(config)
        questions = [it.question for it in load_set(DEFAULT_SET).items]
        for q in questions[:10]:
            bot.answer(q)  # warm-up
        warm = []
        for _ in range(args.reps):
            for q in questions:
                t0 = time.perf_counter()
                bot.answer(q)
                warm.append((time.perf_counter() - t0) * 1000)
        encode = []
        for _ in range(200):
            t0 = time.perf_counter()
            bot.embedder.model.encode([QUESTION], normalize_embeddings=True)
            encode.append((time.perf_counter() - t0) * 1000)

    n_docs = len(list((ROOT / "corpus").glob("*.txt")))
    print(f"smabot benchmarks — default corpus ({n_docs} documents), {os.cpu_count()} CPUs")
    print(
        f"  warm ask latency      p50 {np.percentile(warm, 50):7.1f} ms   "
        f"p95 {np.percentile(warm, 95):7.1f} ms   ({len(warm)} replies)   target p50 <= 30 ms"
    )
    print(
        f"  raw model.encode      p50 {np.percentile(encode, 50):7.1f} ms   "
        f"p95 {np.percentile(encode, 95):7.1f} ms   (same query, the floor)"
    )
    print(
        f"  cold start to reply   median {statistics.median(cold):5.2f} s   "
        f"(min {min(cold):.2f}, max {max(cold):.2f})   target <= 6 s"
    )
    print(
        f"  full index build      median {statistics.median(builds):5.2f} s   "
        f"(process incl. model load)"
    )
    print(
        f"  unchanged re-index    median {statistics.median(reindex):5.2f} s   "
        f"(process, no model load)"
    )


if __name__ == "__main__":
    main()
