"""A burst of huge questions must not starve normal ones. Prints figures; asserts nothing.

    python benchmarks/burst.py [--clients 50] [--seconds 30] [--size 100000]

Starts `python app.py` (benchmarks/load.py's `start_app`); `--clients` clients send
`--size`-character questions to `/api/ask` (and Gradio's `/ask`) as fast as they can for
`--seconds`, while one more client asks ordinary dev-set questions one after another.
Reports how the huge ones were answered (status codes) and the ordinary ones' latency.
Target: every ordinary question answered, p95 <= 1 s.
"""

from __future__ import annotations

import argparse
import json
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--size", type=int, default=100_000)
    args = parser.parse_args()
    import httpx
    from load import start_app

    from evals.sets import DEFAULT_SET, load_set

    questions = [it.question for it in load_set(DEFAULT_SET).items if not it.history]
    huge = json.dumps({"question": "Is SMA genetic? " + "x" * args.size})
    statuses: Counter[str] = Counter()
    with tempfile.TemporaryDirectory() as tmp:
        proc, url, _ = start_app(Path(tmp))
        stop = time.monotonic() + args.seconds

        def flood(i: int) -> None:
            path = "api/ask" if i % 2 else "gradio_api/call/ask"
            body = huge if i % 2 else json.dumps({"data": [json.loads(huge)["question"], "[]"]})
            with httpx.Client(base_url=url, timeout=30) as c:
                while time.monotonic() < stop:
                    try:
                        r = c.post(path, content=body, headers={"Content-Type": "application/json"})
                        statuses[str(r.status_code)] += 1
                    except httpx.HTTPError as err:
                        statuses[type(err).__name__] += 1

        threads = [threading.Thread(target=flood, args=(i,)) for i in range(args.clients)]
        for t in threads:
            t.start()
        latencies, failed = [], 0
        with httpx.Client(base_url=url, timeout=30) as c:
            i = 0
            while time.monotonic() < stop:
                t0 = time.perf_counter()
                r = c.post("api/ask", json={"question": questions[i % len(questions)]})
                latencies.append((time.perf_counter() - t0) * 1000)
                failed += r.status_code != 200 or "kind" not in r.json()
                i += 1
        for t in threads:
            t.join()
        proc.terminate()
        proc.wait(timeout=30)
    lat = np.array(latencies)
    print(
        f"smabot burst — {args.clients} clients x {args.size:,}-character questions for "
        f"{args.seconds:.0f} s, one ordinary client beside them"
    )
    print(
        f"  huge questions     {sum(statuses.values())} sent: "
        + ", ".join(f"{k} x {v}" for k, v in statuses.most_common())
    )
    print(
        f"  ordinary questions {len(lat)} answered, {failed} failed; latency p50 "
        f"{np.percentile(lat, 50):.0f} ms, p95 {np.percentile(lat, 95):.0f} ms, max "
        f"{lat.max():.0f} ms (target p95 <= 1000 ms)"
    )


if __name__ == "__main__":
    main()
