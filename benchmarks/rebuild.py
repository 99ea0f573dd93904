"""Families' replies while staff rebuild the index with new documents. Prints figures;
asserts nothing.

    python benchmarks/rebuild.py --medquad DIR [--docs 100] [--families 10] [--pause 1]

Starts `python app.py` (benchmarks/load.py's `start_app`) on a copy of the default
corpus with its index built, then does what a staff member does: adds `--docs` MedQuAD
topic pages to the corpus folder (benchmarks/scale.py's `make_corpus`: the same pages in
the same fixed order, with their `sources.json` entries) and presses "Rebuild" (the
staff view's `staff_rebuild`, with the password). Meanwhile `--families` families, each
from its own address, ask dev-set questions through `/chat/ask`, each asking again
`--pause` s after its reply. Reports the rebuild's wall time and what it said, the
families' latency during it (target: p95 <= 1 s) and before it, and that the replies
come from the new index afterwards.

MedQuAD (public, CC BY 4.0: github abachaa/MedQuAD) stays out of the repo: unpack
../shared/data/medquad.tar.gz and pass the folder. Left out: a rebuild that re-embeds
everything (content hashes mean the default documents are not embedded again; see
benchmarks/scale.py for a build from nothing).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

PASSWORD = "benchmark staff password"


def staff_rebuild(url: str) -> str:
    """Press "Rebuild" in the staff view; the text of its reply once the build is done."""
    import httpx

    with httpx.Client(base_url=url, timeout=3600) as c:
        r = c.post("gradio_api/call/staff_rebuild", json={"data": [PASSWORD]})
        r.raise_for_status()
        stream = c.get(f"gradio_api/call/staff_rebuild/{r.json()['event_id']}").text
    data = [ln for ln in stream.splitlines() if ln.startswith("data:")]
    return data[-1][5:].strip() if data else stream


def ask_while(url: str, questions: list[str], n: int, pause: float, busy) -> tuple:
    """benchmarks/flood.py's families, asking while `busy()`; latencies as an array."""
    from flood import families_ask

    latencies, failed, versions = families_ask(url, questions, n, pause, busy)
    return np.array(latencies), failed, versions


def report(label: str, lat: np.ndarray, failed: Counter, versions: Counter) -> None:
    why = ", ".join(f"{k} x {v}" for k, v in failed.most_common()) or "none"
    print(
        f"  {label}: {len(lat)} asked, failed: {why}; p50 {np.percentile(lat, 50):.0f} ms, "
        f"p95 {np.percentile(lat, 95):.0f} ms, max {lat.max():.0f} ms; index versions "
        + ", ".join(f"{v} x {c}" for v, c in versions.most_common())
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--medquad", type=Path, required=True, help="unpacked MedQuAD folder")
    parser.add_argument("--docs", type=int, default=100)
    parser.add_argument("--families", type=int, default=10)
    parser.add_argument("--pause", type=float, default=1.0)
    args = parser.parse_args()
    from load import start_app
    from scale import make_corpus, medquad_pages

    from evals.sets import DEFAULT_SET, load_set

    questions = [it.question for it in load_set(DEFAULT_SET).items if not it.history]
    os.environ["SMABOT_STAFF_PASSWORD"] = PASSWORD
    os.environ.setdefault("SMABOT_TRUSTED_PROXIES", "127.0.0.1")
    os.environ.setdefault("SMABOT_RATE_PER_MINUTE", "120")
    pages = medquad_pages(args.medquad)[: args.docs]
    with tempfile.TemporaryDirectory() as tmp:
        proc, url, _ = start_app(Path(tmp))
        try:
            ready = time.monotonic() + 15
            before = ask_while(
                url, questions, args.families, args.pause, lambda: time.monotonic() < ready
            )
            corpus = Path(tmp) / "corpus"
            staging = Path(tmp) / "staging"
            make_corpus(pages, staging)  # the default documents plus the pages
            for path in staging.iterdir():
                if not (corpus / path.name).exists() or path.name == "sources.json":
                    path.replace(corpus / path.name)
            size = sum(p.stat().st_size for p in corpus.iterdir()) / 2**20
            print(
                f"smabot rebuild — default corpus + {len(pages)} MedQuAD pages "
                f"({len(list(corpus.iterdir()))} files, {size:.1f} MB), {args.families} "
                f"families asking every {args.pause:.0f} s"
            )
            said: list[str] = []
            t0 = time.perf_counter()
            builder = threading.Thread(target=lambda: said.append(staff_rebuild(url)))
            builder.start()
            during = ask_while(url, questions, args.families, args.pause, builder.is_alive)
            wall = time.perf_counter() - t0
            done = time.monotonic() + 10
            after = ask_while(
                url, questions, args.families, args.pause, lambda: time.monotonic() < done
            )
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    print(f"  rebuild: {wall:.1f} s; it said: {json.loads(said[0])[0][:160]!r}" if said else "")
    report("before", *before)
    report("during the rebuild", *during)
    report("after", *after)
    p95 = np.percentile(during[0], 95)
    print(f"  target: p95 during the rebuild <= 1000 ms (measured {p95:.0f} ms)")


if __name__ == "__main__":
    main()
