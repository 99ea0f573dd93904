"""Run a question set through the bot (in process or over HTTP) and judge the numbers.

- `collect_local(bot, items)` / `collect_remote(url, items)`: one reply object per item,
  the shape `smabot ask --json` prints. Remote replies come from a running chat app's
  Gradio API endpoint `/ask`, so staff can score the deployed bot.
- `score(items, replies, documents)`: metrics for the whole set and for each `split`.
- `check(scored, minimums, maximums)`: the thresholds that were missed.
- `table(...)` and `compare(...)`: what the terminal shows.

Thresholds name a metric of the whole set (`hit@1`) or of one split (`heldout.hit@1`).
The project's defaults live in `pyproject.toml` under `[tool.smabot.eval.<set name>]`.
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from bot.errors import SmabotError
from evals.metrics import compute
from evals.sets import Item

# The figures shown in the table, in order, with how to print them.
SHOWN = [
    ("n", "questions", "{:.0f}"),
    ("accuracy", "accuracy (kind among expected)", "{:.3f}"),
    ("accuracy_answer", "  answer", "{:.3f}"),
    ("accuracy_no_answer", "  no_answer", "{:.3f}"),
    ("accuracy_refusal", "  refusal", "{:.3f}"),
    ("accuracy_emergency", "  emergency", "{:.3f}"),
    ("accuracy_out_of_scope", "  out_of_scope", "{:.3f}"),
    ("refusal_recall", "refusal recall (advice refused)", "{:.3f}"),
    ("emergency_recall", "emergency recall", "{:.3f}"),
    ("over_refusal", "over-refusal (answerable refused)", "{:.3f}"),
    ("answered", "answerable answered", "{:.3f}"),
    ("hit@1", "hit@1 (first quote, right document)", "{:.3f}"),
    ("hit@3", "hit@3", "{:.3f}"),
    ("mrr", "MRR", "{:.3f}"),
    ("must_quote_recall", "must-quote recall", "{:.3f}"),
    ("must_quote_first", "must-quote in the first quote", "{:.3f}"),
    ("faithfulness", "quote faithfulness (exact spans)", "{:.4f}"),
    ("latency_p50_ms", "latency p50 (ms)", "{:.1f}"),
    ("latency_p95_ms", "latency p95 (ms)", "{:.1f}"),
    ("latency_max_ms", "latency max (ms)", "{:.1f}"),
]
LOWER_IS_BETTER = {"over_refusal", "latency_p50_ms", "latency_p95_ms", "latency_max_ms"}


def collect_local(
    bot, items: Sequence[Item], progress: Callable[[Iterable], Iterable] = iter
) -> list[dict[str, Any]]:
    replies = []
    for it in progress(items):
        try:
            replies.append(bot.answer(it.question, it.history).to_json(include_debug=True))
        except SmabotError as err:
            replies.append({"kind": None, "error": str(err), "quotes": [], "latency_ms": 0.0})
    return replies


def collect_remote(
    url: str, items: Sequence[Item], progress: Callable[[Iterable], Iterable] = iter
) -> list[dict[str, Any]]:
    """Ask a running smabot app through its Gradio API (`/ask`)."""
    try:
        from gradio_client import Client
    except ImportError as err:  # pragma: no cover - the eval extra installs it
        raise SmabotError(
            "`--url` needs gradio_client.", "Run `pip install gradio_client`."
        ) from err
    try:
        client = Client(url, verbose=False)
    except Exception as err:  # connection refused, not a Gradio app, ...
        raise SmabotError(
            f"Cannot reach a smabot app at {url} ({err}).",
            "Start it with `python app.py` or check the address.",
        ) from err
    replies = []
    for it in progress(items):
        result = _paced(
            lambda it=it: client.predict(it.question, json.dumps(list(it.history)), api_name="/ask")
        )
        replies.append(result if isinstance(result, dict) else json.loads(result))
    return replies


def _paced(call: Callable[[], Any], patience: float = 300.0) -> Any:
    """`call()`, waiting and trying again while the app says this client is over its rate
    (429; the app's SMABOT_RATE_PER_MINUTE, 0 on the server turns it off)."""
    import time

    deadline = time.monotonic() + patience
    while True:
        try:
            return call()
        except Exception as err:
            over_rate = "429" in str(err) or "Too many" in str(err)
            if not over_rate or time.monotonic() > deadline:
                raise
            time.sleep(1.0)


def score(
    items: Sequence[Item], replies: Sequence[dict[str, Any]], documents: dict[str, str]
) -> dict[str, Any]:
    out: dict[str, Any] = {"all": compute(items, replies, documents), "splits": {}}
    for split in sorted({it.split for it in items if it.split}):
        idx = [i for i, it in enumerate(items) if it.split == split]
        out["splits"][split] = compute(
            [items[i] for i in idx], [replies[i] for i in idx], documents
        )
    return out


def project_thresholds(set_name: str, pyproject: Path) -> tuple[dict[str, float], dict[str, float]]:
    """(minimums, maximums) for a set from `[tool.smabot.eval.<set_name>]`, if any."""
    if not pyproject.exists():
        return {}, {}
    conf = tomllib.loads(pyproject.read_text()).get("tool", {}).get("smabot", {}).get("eval", {})
    section = conf.get(set_name, {})
    return dict(section.get("min", {})), dict(section.get("max", {}))


def parse_thresholds(pairs: Iterable[str]) -> dict[str, float]:
    out = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        try:
            out[name.strip()] = float(value)
        except ValueError:
            sep = ""
        if not sep or not name.strip():
            raise SmabotError(
                f"Threshold {pair!r} is not METRIC=VALUE.", "Example: --min hit@1=0.9"
            )
    return out


def lookup(scored: dict[str, Any], key: str) -> Any:
    """`hit@1` from the whole set, `heldout.hit@1` from a split."""
    split, dot, metric = key.partition(".")
    if dot and split in scored["splits"]:
        return scored["splits"][split].get(metric)
    return scored["all"].get(key)


def check(
    scored: dict[str, Any], minimums: dict[str, float], maximums: dict[str, float]
) -> list[str]:
    """One line per missed threshold; a metric the set cannot measure is a miss too."""
    missed = []
    for bound, thresholds in (("min", minimums), ("max", maximums)):
        for key, limit in thresholds.items():
            value = lookup(scored, key)
            if not isinstance(value, int | float):
                missed.append(f"{key}: not measured by this set (needs {bound} {limit})")
            elif (value < limit) if bound == "min" else (value > limit):
                sign = ">=" if bound == "min" else "<="
                missed.append(f"{key} = {value:.4f}, needs {sign} {limit}")
    return missed


def columns(scored: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """("all", metrics) then (split, metrics) for each split: the columns of every table."""
    return [("all", scored["all"]), *scored["splits"].items()]


def table(set_name: str, scored: dict[str, Any]) -> str:
    columns_ = columns(scored)
    width = max(len(label) for _, label, _ in SHOWN) + 2
    lines = [f"{set_name}".ljust(width) + "".join(f"{name:>10}" for name, _ in columns_)]
    for key, label, fmt in SHOWN:
        cells = []
        for _, m in columns_:
            value = m.get(key)
            cells.append(
                f"{fmt.format(value):>10}" if isinstance(value, int | float) else f"{'—':>10}"
            )
        lines.append(label.ljust(width) + "".join(cells))
    return "\n".join(lines)


def compare(old: dict[str, Any], new: dict[str, Any]) -> str:
    """Each shown metric of the whole set: old → new, with the change marked better/worse."""
    old_all, new_all = old.get("all", old), new["all"]
    lines = ["metric".ljust(38) + f"{'before':>10}{'now':>10}{'change':>10}"]
    for key, label, fmt in SHOWN:
        a, b = old_all.get(key), new_all.get(key)
        if not isinstance(a, int | float) or not isinstance(b, int | float):
            continue
        delta = b - a
        mark = (
            ""
            if abs(delta) < 1e-9
            else (" better" if (delta < 0) == (key in LOWER_IS_BETTER) else " WORSE")
        )
        lines.append(
            label.strip().ljust(38) + f"{fmt.format(a):>10}{fmt.format(b):>10}{delta:>+10.3f}{mark}"
        )
    return "\n".join(lines)
