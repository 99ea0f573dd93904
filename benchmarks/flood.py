"""A flood on every way in must not starve a family, lose feedback or keep memory.
Prints figures; asserts nothing.

    python benchmarks/flood.py [--clients 100] [--seconds 30] [--ways api,chat,vote,...]

Starts `python app.py` (benchmarks/load.py's `start_app`) with its real limits (120
questions a minute per client) behind a trusted proxy at 127.0.0.1, so each flooding
client has its own address (`X-Forwarded-For: 10.w.x.y`): the flood is what a hundred
people, or a botnet, could send. For each way in, in turn, `--clients` clients send as
fast as they can for `--seconds`:

    api     POST /api/ask
    chat    POST /chat/ask (the families' page)
    vote    POST /chat/feedback (a vote stores a row)
    gradio  POST /gradio_api/call/ask, never reading the answer (abandoned calls)
    gvote   POST /gradio_api/call/feedback, reading each answer
    upload  POST /gradio_api/upload without the staff password (1 MB each)

while families ask dev-set questions through /chat/ask at a person's pace: `--families`
(10), each from its own address, each asking, reading the reply and asking again after
`--pause` seconds (3; staggered, so about three questions a second between them). Each
family opens the page (`GET /`) `--pause` s before the flood starts, as if typing its
first question meanwhile; `--bare` leaves that out (families as API clients, strangers to
the server when the flood starts). Reports
each way's status codes, the families' latency (target: every question answered, max
<= 2 s), votes acknowledged against rows stored (target: 0 lost), and the server's RSS
before, after each way and 10 s after the flood (target: within 100 MB of the start).

Before bot/app/room.py the probe was one family asking every 0.2 s, about three
questions a second from one address: over the 120-a-minute limit every client has, and
as busy as a flooder, so a fair line owes it no place ahead of them.
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

WAYS = ("api", "chat", "vote", "gradio", "gvote", "upload")
VOTE = "flood vote"  # every flood vote's question starts so


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def one_call(c, way: str, i: int, n: int, acked: list[int]) -> str:
    """Send one request of `way`; the outcome as a short label."""
    if way == "api":
        r = c.post("api/ask", json={"question": f"What is SMA type {n % 4}?"})
    elif way == "chat":
        r = c.post("chat/ask", json={"question": f"Is SMA type {n % 4} inherited?"})
    elif way == "vote":
        r = c.post("chat/feedback", json={"vote": "up", "question": f"{VOTE} {i}-{n}"})
        if r.status_code == 200:
            acked.append(r.json()["id"])
    elif way == "gradio":  # joins the queue and walks away
        r = c.post("gradio_api/call/ask", json={"data": [f"What is SMA type {n % 4}?", "[]"]})
    elif way == "gvote":
        r = c.post("gradio_api/call/feedback", json={"data": ["up", f"{VOTE} g{i}-{n}", "[]", ""]})
        if r.status_code == 200:
            stream = c.get(f"gradio_api/call/feedback/{r.json()['event_id']}").text
            if "event: complete" in stream:
                data = [ln for ln in stream.splitlines() if ln.startswith("data:")][-1]
                acked.append(json.loads(data[5:])[0]["id"])
                return "200 stored"
            return "200 not stored"
    else:  # upload, without the password
        files = {"files": ("flood.txt", b"x" * 2**20, "text/plain")}
        r = c.post("gradio_api/upload", files=files)
    return str(r.status_code)


def flood_way(url: str, way: str, w: int, clients: int, seconds: float, acked: list[int]):
    import httpx

    statuses: Counter[str] = Counter()
    stop = time.monotonic() + seconds

    def client(i: int) -> None:
        headers = {"X-Forwarded-For": f"10.{w}.{i // 250}.{i % 250 + 1}"}
        with httpx.Client(base_url=url, timeout=30, headers=headers) as c:
            n = 0
            while time.monotonic() < stop:
                try:
                    statuses[one_call(c, way, i, n, acked)] += 1
                except httpx.HTTPError as err:
                    statuses[type(err).__name__] += 1
                n += 1

    threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(clients)]
    for t in threads:
        t.start()
    return threads, statuses


def family_address(k: int) -> str:
    return f"10.99.0.{k + 1}"


def families_open_the_page(url: str, n: int) -> None:
    import httpx

    for k in range(n):
        r = httpx.get(url, headers={"X-Forwarded-For": family_address(k)}, timeout=30)
        r.raise_for_status()


def families_ask(url: str, questions: list[str], n: int, pause: float, busy: Callable[[], bool]):
    """`n` families, each from its own address, asking one question, then another
    `pause` s after the reply, while `busy()`. (latencies in ms, failures: {status or
    error: count}, index versions of the replies: {version: count}); benchmarks/rebuild.py
    uses it too."""
    import httpx

    latencies: list[float] = []
    failed: Counter[str] = Counter()
    versions: Counter[str] = Counter()

    def family(k: int) -> None:
        time.sleep(pause * k / n)  # staggered
        headers = {"X-Forwarded-For": family_address(k)}
        with httpx.Client(base_url=url, timeout=60, headers=headers) as c:
            i = k
            while busy():
                t0 = time.perf_counter()
                try:
                    r = c.post("chat/ask", json={"question": questions[i % len(questions)]})
                    if r.status_code == 200:
                        versions[r.json()["reply"]["index_version"]] += 1
                    else:
                        failed[str(r.status_code)] += 1
                except httpx.HTTPError as err:
                    failed[type(err).__name__] += 1
                latencies.append((time.perf_counter() - t0) * 1000)
                i += n
                time.sleep(pause)

    threads = [threading.Thread(target=family, args=(k,)) for k in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return latencies, failed, versions


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--ways", default=",".join(WAYS))
    parser.add_argument("--families", type=int, default=10)
    parser.add_argument("--pause", type=float, default=3.0)
    parser.add_argument("--bare", action="store_true", help="families never open the page")
    args = parser.parse_args()
    import httpx
    from load import start_app

    from evals.sets import DEFAULT_SET, load_set

    ways = [w for w in args.ways.split(",") if w]
    questions = [it.question for it in load_set(DEFAULT_SET).items if not it.history]
    os.environ.setdefault("SMABOT_RATE_PER_MINUTE", "120")  # the real limit
    os.environ.setdefault("SMABOT_TRUSTED_PROXIES", "127.0.0.1")
    with tempfile.TemporaryDirectory() as tmp:
        proc, url, _ = start_app(Path(tmp))
        with httpx.Client(base_url=url, timeout=30) as warm:
            for q in questions[:5]:
                warm.post("chat/ask", json={"question": q})
        start_rss = rss_mb(proc.pid)
        print(
            f"smabot flood — {args.clients} clients on each way in for {args.seconds:.0f} s, "
            f"{args.families} families asking beside them every {args.pause:.0f} s"
            f"{' (never opening the page)' if args.bare else ''}; server "
            f"RSS at start {start_rss:.1f} MB"
        )
        if not args.bare:
            families_open_the_page(url, args.families)
            time.sleep(args.pause)  # typing
        acked: list[int] = []
        all_lat: list[float] = []
        all_failed = 0
        for w, way in enumerate(ways, start=1):
            threads, statuses = flood_way(url, way, w, args.clients, args.seconds, acked)
            until = time.monotonic() + args.seconds
            latencies, failures, _ = families_ask(
                url, questions, args.families, args.pause, lambda u=until: time.monotonic() < u
            )
            failed = sum(failures.values())
            for t in threads:
                t.join(timeout=35)
            lat = np.array(latencies)
            all_lat += latencies
            all_failed += failed
            print(
                f"  {way:7s} {sum(statuses.values()):6d} sent: "
                + ", ".join(f"{k} x {v}" for k, v in statuses.most_common())
            )
            why = ", ".join(f"{k} x {v}" for k, v in failures.most_common())
            why = f" ({why})" if why else ""
            print(
                f"          families: {len(lat)} asked, {failed} failed{why}, p50 "
                f"{np.percentile(lat, 50):.0f} ms, p95 {np.percentile(lat, 95):.0f} ms, max "
                f"{lat.max():.0f} ms; server RSS {rss_mb(proc.pid):.1f} MB"
            )
        time.sleep(10)
        end_rss = rss_mb(proc.pid)
        with sqlite3.connect(Path(tmp) / "feedback.sqlite3") as db:
            stored = {
                row
                for (row,) in db.execute(
                    "SELECT id FROM feedback WHERE question LIKE ?", (f"{VOTE}%",)
                )
            }
        proc.terminate()
        proc.wait(timeout=30)
    lat = np.array(all_lat)
    lost = len(set(acked) - stored)
    print(
        f"  overall: families {len(lat)} asked, {all_failed} failed, max {lat.max():.0f} ms "
        f"(target: 0 failed, max <= 2000 ms); votes acknowledged {len(acked)}, stored "
        f"{len(stored)}, lost {lost} (target 0); RSS {start_rss:.1f} -> {end_rss:.1f} MB 10 s "
        f"after ({end_rss - start_rss:+.1f} MB, target within 100 MB)"
    )


if __name__ == "__main__":
    main()
