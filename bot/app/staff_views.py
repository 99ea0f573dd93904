"""What the staff view shows, in plain words: feedback with what the family saw, the
documents with their kind of source, a rebuild, and evaluation figures.

Plain words throughout: "passages", not "chunks"; "right document first", not "hit@1".
Each function returns HTML or markdown with everything from a family, a document or a
question set escaped. Left out: the technical report (evals/report.py), which keeps the
harness's own names for developers.
"""

from __future__ import annotations

import html
from dataclasses import fields
from typing import Any

from bot.app.render import reply_html, source_href
from bot.reply import Quote, Reply, Source

VERBS = {
    "answer": "Answered",
    "no_answer": "Not answered: the documents don't say",
    "refusal": "Refused",
    "emergency": "Emergency reply",
    "out_of_scope": "Outside what the chat covers",
}
# (metric, plain name, how to show it); percentages unless said otherwise
PLAIN_METRICS = [
    ("n", "Questions", "count"),
    ("accuracy", "Got a kind of reply it should get", "%"),
    ("refusal_recall", "Requests for medical advice refused", "%"),
    ("emergency_recall", "Emergencies recognised", "%"),
    ("over_refusal", "Answerable questions refused (lower is better)", "%"),
    ("answered", "Answerable questions answered", "%"),
    ("accuracy_no_answer", "“The documents don't say” when they don't", "%"),
    ("hit@1", "Right document first", "%"),
    ("hit@3", "Right document among the first three quotes", "%"),
    ("must_quote_recall", "Expected words quoted", "%"),
    ("faithfulness", "Quotes exactly as in their document", "%"),
    ("latency_p50_ms", "Reply time, typical", "ms"),
    ("latency_p95_ms", "Reply time, slowest 1 in 20", "ms"),
]
_NAMES = {key: name for key, name, _ in PLAIN_METRICS}


def _figure(value: Any, how: str) -> str:
    if not isinstance(value, int | float):
        return "—"
    if how == "%":
        return f"{value:.1%}"
    if how == "ms":
        return f"{value:.0f} ms"
    return f"{value:,.0f}"


def reply_from_json(data: dict[str, Any]) -> Reply:
    """A stored reply object (`Reply.to_json`) back as a `Reply`, for showing it again."""

    def build(cls, item: dict) -> Any:
        return cls(**{f.name: item[f.name] for f in fields(cls) if f.name in item})

    return Reply(
        kind=data.get("kind", "answer"),
        text=data.get("text", ""),
        quotes=[build(Quote, q) for q in data.get("quotes", [])],
        sources=[build(Source, s) for s in data.get("sources", [])],
        notes=list(data.get("notes", [])),
    )


def feedback_html(rows) -> str:
    """Each feedback row as the family saw it: the earlier messages, the question, the full
    reply, their vote and comment, and the index version that replied."""
    e = html.escape
    if not rows:
        return (
            '<p class="staff-empty">No feedback yet. When a family rates a reply as helpful '
            "or not helpful, it appears here with what they saw.</p>"
        )
    cards = []
    for r in rows:
        vote = "👍 Helpful" if r.vote == "up" else "👎 Not helpful"
        earlier = r.earlier
        before = (
            "<ol>" + "".join(f"<li>{e(h)}</li>" for h in earlier) + "</ol>"
            if earlier
            else "<p>None: this was the first question.</p>"
        )
        stored = r.reply
        if stored:
            shown = reply_html(
                reply_from_json(stored), 0, link=lambda q, _t: source_href(q), heading=False
            )
        else:
            shown = f"<pre>{e(r.reply_text or '')}</pre>"
        comment = f"<p>{e(r.comment)}</p>" if r.comment else "<p>No comment.</p>"
        cards.append(
            f'<article class="staff-card"><h3>{e(_when(r.created))} · {vote}</h3>'
            f"<h4>Earlier messages</h4>{before}"
            f"<h4>Question</h4><p>{e(r.question)}</p>"
            f"<h4>Reply the family saw: {e(VERBS.get(r.reply_kind or '', r.reply_kind or ''))}"
            f'</h4><div class="staff-reply">{shown}</div>'
            f"<h4>Comment</h4>{comment}"
            f"<p><strong>Index version:</strong> {e(r.index_version or 'not recorded')}</p>"
            "</article>"
        )
    return f'<div class="staff-feedback">{"".join(cards)}</div>'


def _when(created: str) -> str:
    """'2026-12-01T06:58:02+00:00' → '2026-12-01 06:58 UTC'."""
    day, _, time = created.partition("T")
    return f"{day} {time[:5]} UTC" if time.endswith("+00:00") else created


def documents_html(corpus, built: dict[str, dict]) -> str:
    """The corpus as a table whose first columns are the document and its kind of source."""
    e = html.escape
    rows = []
    for d in corpus.documents:
        b = built.get(d.id)
        passages = f"{b.get('units', 0):,}" if b else "Not searchable yet: rebuild the index"
        rows.append(
            f"<tr><td><strong>{e(d.meta.title)}</strong><br>{e(d.meta.publisher)}"
            f'<br><span class="staff-file">{e(d.filename)}</span></td>'
            f"<td>{e(d.meta.kind_label.capitalize())}</td><td>{passages}</td></tr>"
        )
    n = len(rows)
    return (
        f'<table class="staff-docs"><caption>{n} document{"s" * (n != 1)} in the corpus'
        "</caption><thead><tr><th scope='col'>Document</th><th scope='col'>Kind of source</th>"
        "<th scope='col'>Passages</th></tr></thead><tbody>" + "".join(rows) + "</tbody></table>"
    )


def rebuild_words(summary) -> str:
    """A `BuildSummary` (bot/build.py) in words."""
    if not summary.rebuilt:
        text = "The index was already up to date: nothing changed in the documents."
    else:
        text = (
            f"**The index was rebuilt** in {summary.seconds:.0f} s: {summary.documents} "
            f"documents, {summary.units:,} passages that can be quoted. Families get answers "
            "from it now."
        )
    if summary.changes:
        text += "\n\nWhat was new: " + "; ".join(summary.changes) + "."
    if summary.problems:
        text += "\n\n**Left out:** " + " ".join(summary.problems)
    return text


def figures_markdown(scored: dict[str, Any]) -> str:
    """The evaluation's figures as a table with plain names, whole set then each part."""
    columns = [("All questions", scored["all"])]
    columns += [(f"“{name}” part", m) for name, m in scored.get("splits", {}).items()]
    head = "| | " + " | ".join(name for name, _ in columns) + " |"
    lines = [head, "|---" * (len(columns) + 1) + "|"]
    for key, name, how in PLAIN_METRICS:
        cells = [_figure(m.get(key), how) for _, m in columns]
        if all(c == "—" for c in cells):
            continue
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def missed_words(scored: dict[str, Any], minimums: dict, maximums: dict) -> list[str]:
    """Each threshold missed, in words: 'Right document first: 88.8%, needs at least 89.0%'."""
    from evals.run import lookup

    out = []
    for bound, limits in (("at least", minimums), ("at most", maximums)):
        for key, limit in limits.items():
            split, dot, metric = key.partition(".")
            metric = metric if dot else key
            how = next((h for k, _, h in PLAIN_METRICS if k == metric), "%")
            name = _NAMES.get(metric, metric) + (f" (“{split}” part)" if dot else "")
            value = lookup(scored, key)
            if not isinstance(value, int | float):
                out.append(f"{name}: not measured by this set")
            elif (value < limit) if bound == "at least" else (value > limit):
                out.append(f"{name}: {_figure(value, how)}, needs {bound} {_figure(limit, how)}")
    return out


def download_link(text: str, filename: str, mime: str, label: str) -> str:
    """A link that saves `text` as `filename`, its bytes inside the link (a data: URL):
    nothing is written to disk or served to anyone but the staff member who asked."""
    import base64

    data = base64.b64encode(text.encode("utf-8")).decode("ascii")
    return (
        f'<a class="download" download="{html.escape(filename, quote=True)}" '
        f'href="data:{mime};charset=utf-8;base64,{data}">{html.escape(label)}</a>'
    )
