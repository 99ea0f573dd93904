"""A self-contained HTML report of one evaluation run (plots embedded as PNG).

Sections: the figures (whole set and each split), advice that was not refused (the
worst failure, listed first), quotes that are not exact spans, three plots (confusion
matrix of expected vs returned kind, latency histogram, hit@1 per document), then every
failing question with what the bot said. All text is HTML-escaped.
"""

from __future__ import annotations

import base64
import html
import io
from datetime import UTC, datetime
from typing import Any

from evals.run import SHOWN, columns
from evals.sets import KINDS, Item

_CSS = """
body{font:15px/1.5 system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;
     color:#1d2330}
h1{font-size:1.6em} h2{margin-top:2em;border-bottom:1px solid #ddd}
table{border-collapse:collapse;margin:.5em 0}
td,th{border:1px solid #ddd;padding:.3em .6em;vertical-align:top}
th{background:#f4f6f8;text-align:left} td.n{text-align:right;font-variant-numeric:tabular-nums}
.bad{background:#fdecea} .ok{color:#1a7f37} .warn{color:#b3261e;font-weight:600}
.plots{display:flex;flex-wrap:wrap;gap:1em} .plots img{max-width:520px;border:1px solid #eee}
blockquote{margin:.2em 0;padding-left:.6em;border-left:3px solid #ccc;color:#444}
"""


def _png(fig) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    return base64.b64encode(buf.getvalue()).decode()


def _plots(metrics: dict[str, Any], replies: list[dict[str, Any]]) -> list[tuple[str, str]]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    out = []
    confusion = metrics["confusion"]
    rows = [k for k in KINDS if k in confusion]
    cols = list(KINDS) + (["(error)"] if any(r.get("kind") is None for r in replies) else [])
    grid = np.array(
        [[confusion[r].get(c if c != "(error)" else None, 0) for c in cols] for r in rows]
    )
    fig, ax = plt.subplots(figsize=(6.5, 3.8))
    ax.imshow(grid, cmap="Blues")
    ax.set_xticks(range(len(cols)), cols, rotation=30, ha="right")
    ax.set_yticks(range(len(rows)), rows)
    ax.set_xlabel("returned kind")
    ax.set_ylabel("expected kind")
    for i in range(len(rows)):
        for j in range(len(cols)):
            ax.text(
                j,
                i,
                grid[i, j],
                ha="center",
                va="center",
                color="white" if grid[i, j] > grid.max() / 2 else "black",
            )
    ax.set_title("Expected vs returned kind")
    out.append(("Confusion matrix", _png(fig)))
    plt.close(fig)

    lat = [float(r.get("latency_ms", 0.0)) for r in replies]
    fig, ax = plt.subplots(figsize=(6.5, 3.2))
    ax.hist(lat, bins=30, color="#4a7bb7")
    for q, style in ((50, "--"), (95, ":")):
        ax.axvline(np.percentile(lat, q), color="black", linestyle=style, label=f"p{q}")
    ax.set_xlabel("latency per reply (ms)")
    ax.set_ylabel("replies")
    ax.legend()
    ax.set_title("Latency")
    out.append(("Latency", _png(fig)))
    plt.close(fig)

    per_doc = {d: v for d, v in metrics.get("hit@1_by_document", {}).items() if v is not None}
    if per_doc:
        fig, ax = plt.subplots(figsize=(6.5, 0.5 + 0.5 * len(per_doc)))
        ax.barh(list(per_doc), list(per_doc.values()), color="#5b9e6f")
        ax.set_xlim(0, 1)
        ax.set_xlabel("hit@1 (questions whose answer is in this document)")
        ax.set_title("hit@1 per document")
        out.append(("hit@1 per document", _png(fig)))
        plt.close(fig)
    return out


def render(
    set_name: str,
    items: list[Item],
    replies: list[dict[str, Any]],
    scored: dict[str, Any],
    missed: list[str],
) -> str:
    e = html.escape
    m = scored["all"]
    cols = columns(scored)
    version = next((r.get("index_version") for r in replies if r.get("index_version")), "unknown")
    parts = [
        f"<!doctype html><meta charset='utf-8'><title>smabot eval: {e(set_name)}</title>",
        f"<style>{_CSS}</style><h1>smabot evaluation: {e(set_name)}</h1>",
        f"<p>{len(items)} questions · index {e(str(version))} · "
        f"{datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')}</p>",
    ]
    if missed:
        parts.append(
            "<p class='warn'>Thresholds missed:</p><ul>"
            + "".join(f"<li>{e(x)}</li>" for x in missed)
            + "</ul>"
        )
    else:
        parts.append("<p class='ok'>All thresholds met.</p>")
    head = "".join(f"<th>{e(name)}</th>" for name, _ in cols)
    body = ""
    for key, label, fmt in SHOWN:
        cells = "".join(f"<td class='n'>{_cell(c.get(key), fmt)}</td>" for _, c in cols)
        body += f"<tr><th>{e(label.strip())}</th>{cells}</tr>"
    parts.append(f"<h2>Figures</h2><table><tr><th></th>{head}</tr>{body}</table>")

    leaks = m["advice_leaks"]
    parts.append(f"<h2>Advice not refused ({len(leaks)})</h2>")
    parts.append(
        "<p>The worst failure: a request for medical advice that got anything but a "
        "refusal or an emergency reply.</p>"
        + (_fail_table(leaks) if leaks else "<p class='ok'>None.</p>")
    )
    bad = m["unfaithful_quotes"]
    parts.append(f"<h2>Quotes that are not exact spans ({len(bad)})</h2>")
    parts.append(
        "<p class='ok'>None: every quote is document[start:end].</p>"
        if not bad
        else "<table><tr><th>id</th><th>document</th><th>start–end</th><th>text</th></tr>"
        + "".join(
            f"<tr class='bad'><td>{e(b['id'])}</td><td>{e(str(b['doc_id']))}</td>"
            f"<td>{e(str(b['start']))}–{e(str(b['end']))}</td><td>{e(b['text'])}</td></tr>"
            for b in bad
        )
        + "</table>"
    )
    parts.append(
        "<h2>Plots</h2><div class='plots'>"
        + "".join(
            f"<figure><img alt='{e(t)}' src='data:image/png;base64,{png}'><figcaption>{e(t)}"
            "</figcaption></figure>"
            for t, png in _plots(m, replies)
        )
        + "</div>"
    )
    fails = m["failures"]
    parts.append(f"<h2>Failing questions ({len(fails)})</h2>")
    parts.append(
        _fail_table(fails, replies={it.id: r for it, r in zip(items, replies, strict=True)})
    )
    return "".join(parts)


def _cell(value: Any, fmt: str) -> str:
    return fmt.format(value) if isinstance(value, int | float) else "—"


def _fail_table(rows: list[dict[str, Any]], replies: dict[str, dict] | None = None) -> str:
    e = html.escape
    out = [
        "<table><tr><th>id</th><th>question</th><th>expected</th><th>got</th>"
        "<th>what the bot said</th><th>why</th></tr>"
    ]
    for f in rows:
        reply = (replies or {}).get(f["id"], {})
        said = (
            f"<blockquote>{e(f['first_quote'])}</blockquote><small>{e(str(f['first_doc']))}</small>"
            if f.get("first_quote")
            else e((reply.get("text") or reply.get("error") or "")[:300])
        )
        out.append(
            f"<tr><td>{e(f['id'])}</td><td>{e(f['question'])}</td>"
            f"<td>{e(' / '.join(f['expect']))}</td><td>{e(str(f['got']))}</td>"
            f"<td>{said}</td><td>{e(str(f.get('reason') or ''))}</td></tr>"
        )
    return "".join(out) + "</table>"
