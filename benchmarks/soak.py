"""Memory over a long run: N questions through the API, resident memory every 500.

    python benchmarks/soak.py [--questions 5000] [--via api|gradio]

Starts `python app.py` (benchmarks/load.py's `start_app`) and asks the dev set's
questions one after another, in turn, through `/api/ask` (or Gradio's `/ask` with
`--via gradio`), printing the server's RSS (from /proc) every 500 questions and the
growth from question 1,000 to the end. Target: <= 20 MB from 1,000 to 5,000.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))


def rss_mb(pid: int) -> float:
    """Resident memory of the process, in MB (Linux: /proc/PID/status)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise SystemExit("no /proc: this benchmark needs Linux")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=int, default=5000)
    parser.add_argument("--via", choices=["api", "gradio"], default="api")
    args = parser.parse_args()
    import httpx
    from load import callers, start_app

    from evals.sets import DEFAULT_SET, load_set

    questions = [it.question for it in load_set(DEFAULT_SET).items if not it.history]
    with tempfile.TemporaryDirectory() as tmp:
        proc, url, _ = start_app(Path(tmp))
        try:
            if args.via == "api":
                client = httpx.Client(base_url=url, timeout=60)

                def ask(q: str) -> dict:
                    return client.post("api/ask", json={"question": q}).json()
            else:
                ask = callers(url, 1, "http")[0]
            marks = {}
            t0 = time.perf_counter()
            for i in range(1, args.questions + 1):
                reply = ask(questions[i % len(questions)])
                if "kind" not in reply:
                    raise SystemExit(f"question {i}: no reply ({reply})")
                if i % 500 == 0 or i == 1:
                    marks[i] = rss_mb(proc.pid)
                    print(
                        f"  {i:6d} questions  RSS {marks[i]:7.1f} MB  "
                        f"({i / (time.perf_counter() - t0):.0f} q/s)",
                        flush=True,
                    )
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    start = marks.get(1000, marks[min(marks)])
    print(
        f"smabot soak via {args.via}: growth from question 1,000 to {args.questions:,}: "
        f"{marks[max(marks)] - start:+.1f} MB (target <= 20 MB)"
    )


if __name__ == "__main__":
    main()
