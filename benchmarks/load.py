"""Load on the chat app's API: many clients at once. Prints figures; asserts nothing.

    python benchmarks/load.py [--clients 20] [--questions 10] [--via api|http|gradio_client]

Starts `python app.py` on a free port with a copy of the built default index, reports
the time from process start to the first page served, then has `--clients` clients each
ask `--questions` dev-set questions through the `/ask` API, all at once, and reports
errors and latency per request (sent to reply received, queueing included).

`--via api` (default) posts to the JSON API `/api/ask`; `--via http` speaks Gradio's
REST protocol directly (POST /gradio_api/call/ask, then read the event stream); both
are the server's figures. The floor printed beside them is the batched encode of 20
questions' texts at once, the least the model can spend on 20 simultaneous questions.
`--via gradio_client` uses the Python client; on a shared 2-CPU machine its own per-call
cost (about 50 ms sequentially, measured) becomes part of what it reports.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")


def start_app(
    tmp: Path, corpus: Path | None = None, index: Path | None = None
) -> tuple[subprocess.Popen, str, float]:
    """`python app.py` on `corpus` and its built `index`, by default a copy of the default
    corpus (index built first); (process, url, seconds from process start to the first
    page served)."""
    if corpus is None or index is None:
        from bot.build import build_index
        from bot.config import Config

        corpus, index = tmp / "corpus", tmp / "index"
        shutil.copytree(ROOT / "corpus", corpus)
        config = Config(corpus_dir=corpus, index_dir=index)
        build_index(config, progress=False, echo=lambda m: None)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {
        **os.environ,
        "SMABOT_CORPUS": str(corpus),
        "SMABOT_INDEX": str(index),
        "SMABOT_FEEDBACK_DB": str(tmp / "feedback.sqlite3"),
        "GRADIO_SERVER_PORT": str(port),
        "SMABOT_RATE_PER_MINUTE": os.environ.get("SMABOT_RATE_PER_MINUTE", "0"),  # one address
    }
    url = f"http://127.0.0.1:{port}/"
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "app.py"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    while True:
        try:
            urllib.request.urlopen(url, timeout=1)
            return proc, url, time.perf_counter() - t0
        except OSError:
            if proc.poll() is not None or time.perf_counter() - t0 > 120:
                proc.kill()
                raise SystemExit("app.py did not start") from None
            time.sleep(0.1)


def callers(url: str, n: int, via: str) -> list[Callable[[str], dict]]:
    """One `ask(question) -> reply` function per client."""
    if via == "gradio_client":
        from gradio_client import Client

        clients = [Client(url, verbose=False) for _ in range(n)]
        return [lambda q, c=c: c.predict(q, "[]", api_name="/ask") for c in clients]
    import httpx

    if via == "api":

        def post(client: httpx.Client) -> Callable[[str], dict]:
            return lambda q: client.post("api/ask", json={"question": q}).raise_for_status().json()

        return [post(httpx.Client(base_url=url, timeout=60)) for _ in range(n)]

    def make(client: httpx.Client) -> Callable[[str], dict]:
        def ask(q: str) -> dict:
            event = client.post("gradio_api/call/ask", json={"data": [q, "[]"]})
            event_id = event.raise_for_status().json()["event_id"]
            stream = client.get(f"gradio_api/call/ask/{event_id}").raise_for_status().text
            data = [line for line in stream.splitlines() if line.startswith("data:")]
            return json.loads(data[-1][len("data:") :])[0]

        return ask

    return [make(httpx.Client(base_url=url, timeout=60)) for _ in range(n)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--questions", type=int, default=10)
    parser.add_argument("--via", choices=["api", "http", "gradio_client"], default="api")
    args = parser.parse_args()

    from evals.sets import DEFAULT_SET, load_set

    questions = [it.question for it in load_set(DEFAULT_SET).items if not it.history]
    with tempfile.TemporaryDirectory() as tmp:
        proc, url, ready = start_app(Path(tmp))
        try:
            asks = callers(url, args.clients, args.via)
            asks[0]("warm-up question about SMA")

            def session(i: int) -> tuple[list[float], int]:
                latencies, errors = [], 0
                for j in range(args.questions):
                    q = questions[(i * args.questions + j) % len(questions)]
                    start = time.perf_counter()
                    try:
                        reply = asks[i](q)
                        errors += not (isinstance(reply, dict) and reply.get("kind"))
                    except Exception:
                        errors += 1
                    latencies.append((time.perf_counter() - start) * 1000)
                return latencies, errors

            wall = time.perf_counter()
            with ThreadPoolExecutor(args.clients) as pool:
                results = list(pool.map(session, range(args.clients)))
            wall = time.perf_counter() - wall
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    lat = np.array([x for latencies, _ in results for x in latencies])
    floor_ms, single_ms = encode_floor(questions[: args.clients])
    errors = sum(e for _, e in results)
    print(
        f"smabot load — {args.clients} clients x {args.questions} questions via /ask "
        f"({args.via}), {os.cpu_count()} CPUs"
    )
    print(
        f"  app ready after        {ready:6.2f} s   (process start to first page; target <= 10 s)"
    )
    print(
        f"  requests               {len(lat)} in {wall:.1f} s ({len(lat) / wall:.1f}/s), "
        f"errors {errors} (target 0)"
    )
    print(
        f"  latency per request    p50 {np.percentile(lat, 50):6.0f} ms   "
        f"p95 {np.percentile(lat, 95):6.0f} ms   max {lat.max():6.0f} ms   (target p95 <= 250 ms)"
    )
    print(
        f"  throughput             {len(lat) / wall:.1f} questions/s; floor: one batched encode of "
        f"{args.clients} questions {floor_ms:.0f} ms = {args.clients / floor_ms * 1000:.0f}/s "
        f"(one at a time {single_ms:.1f} ms each = {1000 / single_ms:.0f}/s)"
    )


def encode_floor(questions: list[str]) -> tuple[float, float]:
    """(ms for one batched encode of `questions`, ms for one question alone), medians."""
    from bot.index.embedding import Embedder

    embedder = Embedder()
    embedder.encode(questions)  # warm
    batched, single = [], []
    for _ in range(5):
        t0 = time.perf_counter()
        embedder.encode(questions)
        batched.append((time.perf_counter() - t0) * 1000)
        t0 = time.perf_counter()
        embedder.encode(questions[:1])
        single.append((time.perf_counter() - t0) * 1000)
    return float(np.median(batched)), float(np.median(single))


if __name__ == "__main__":
    main()
