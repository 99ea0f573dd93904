"""A reply as HTML for the families' page (`bot/app/page.py`), and as plain text for "Copy".

Answers are built from their parts, not from markdown: each quote is a <blockquote>
holding `html.escape(quote.text)` (the exact span, whitespace kept by CSS), followed by
a citation link named for screen readers and voice control by its source ("[1] Is
Zolgensma a cure for SMA?, opens the passage") and, in its own element, the kind of
source in words ("from a clinic that sells treatment"), so nobody has to find the
Sources list to know who says it. Refusals, emergency and other replies are the bot's
own markdown (bot/safety/messages.py), rendered by markdown-it with raw HTML off, so
`tel:` links work and nothing a family typed can become markup.

The reply's first element is its heading for assistive technology ("The bot's reply:
emergency"), visually hidden; the staff view leaves it out (`heading=False`).
"""

from __future__ import annotations

import html
from collections.abc import Callable
from functools import cache

from bot.reply import DISCLAIMER, Quote, Reply, source_line

_KIND_HEADING = {
    "answer": "Answer from the documents",
    "no_answer": "The documents don't say",
    "refusal": "Not something this chat can answer",
    "emergency": "Emergency",
    "out_of_scope": "Outside what this chat covers",
}
# Next to each quote: who says it, in words a parent reads at a glance.
QUOTE_FROM = {
    "reviewed_drug_info": "from medically reviewed drug information",
    "reviewed_reference": "from a medically reviewed reference",
    "public_health_agency": "from a public health agency",
    "patient_organisation": "from a patient organisation",
    "research": "from a research publication",
    "clinic_page": "from a clinic that sells treatment",
    "clinic_marketing": "from an article promoting a clinic's treatment",
    "news": "from a news article",
    "other": "from a source of unknown kind",
}


@cache
def _markdown():
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark", {"html": False, "linkify": False})


def markdown_html(text: str) -> str:
    """The bot's own markdown as HTML; raw HTML in it is shown as text."""
    return _markdown().render(text)


def source_href(q: Quote, turn: int | None = None) -> str:
    """The passage in its document; `turn` lets the source page link back to that reply."""
    back = f"&turn={turn}" if turn is not None else ""
    return f"/source/{q.doc_id}?start={q.start}&end={q.end}{back}#quote"


def quote_from(kind: str) -> str:
    return QUOTE_FROM.get(kind, QUOTE_FROM["other"])


def reply_html(
    reply: Reply,
    turn: int,
    link: Callable[[Quote, int], str] = source_href,
    heading: bool = True,
) -> str:
    """The body of one bot message. `turn`: its place in the conversation (0-based)."""
    e = html.escape
    head = f'<h2 class="sr-only">{e(_KIND_HEADING[reply.kind])}</h2>' if heading else ""
    notes = "".join(f'<p class="note">{e(n)}</p>' for n in reply.notes)
    if reply.kind != "answer":
        body = markdown_html(_without_notes(reply))
        return f'{head}{notes}<div class="said smabot-{reply.kind}">{body}</div>'
    by_marker = {s.marker: s for s in reply.sources}
    parts = [head, notes, '<p class="lead">Here is what the documents say:</p>']
    for q in reply.quotes:
        source = by_marker.get(q.marker)
        kind = source.kind if source else "other"
        page = f", page {q.page}" if q.page else ""
        name = f"[{q.marker}{page}] {source.title if source else q.title}, opens the passage"
        promo = " promotional" if source and source.promotional else ""
        parts.append(
            f'<figure class="quote"><blockquote><p>{e(q.text.strip())}</p></blockquote>'
            f'<figcaption><a class="cite" href="{e(link(q, turn))}" aria-label="{e(name)}">'
            f"[{q.marker}{page}]</a> "
            f'<span class="quote-kind{promo}">{e(quote_from(kind))}</span>'
            "</figcaption></figure>"
        )
    items = []
    for s in reply.sources:
        reviewed = f", reviewed {e(s.reviewed)}" if s.reviewed else ""
        promo = (
            '<br><span class="promo">A clinic\'s own page: it promotes the treatment it '
            "sells.</span>"
            if s.promotional
            else ""
        )
        items.append(
            f'<li value="{s.marker}"><cite>{e(s.title)}</cite> — {e(s.publisher)}. '
            f"<strong>{e(s.kind_label.capitalize())}</strong>{reviewed}{promo}</li>"
        )
    parts.append(
        f'<h3 class="sources-heading">Sources</h3><ol class="sources">{"".join(items)}</ol>'
    )
    parts.append(f'<p class="disclaimer">{e(DISCLAIMER)}</p>')
    return "".join(parts)


def reply_text(reply: Reply) -> str:
    """The reply as plain text, for "Copy": each quote with its marker and the kind of its
    source, then the sources and the disclaimer. Other replies as the bot wrote them."""
    if reply.kind != "answer":
        return reply.plain()
    by_marker = {s.marker: s for s in reply.sources}
    lines = [f"({n})" for n in reply.notes]
    lines.append("Here is what the documents say:")
    for q in reply.quotes:
        source = by_marker.get(q.marker)
        page = f", page {q.page}" if q.page else ""
        kind = quote_from(source.kind if source else "other")
        lines.append(f"“{q.text.strip()}” [{q.marker}{page}] ({kind})")
    sources = [f"[{s.marker}] {source_line(s)}" for s in reply.sources]
    lines.append("\n".join(["Sources:", *sources]))
    lines.append(DISCLAIMER)
    return "\n\n".join(lines)


def _without_notes(reply: Reply) -> str:
    """`reply.text` minus the italic notes the bot put first (shown separately)."""
    text = reply.text
    for n in reply.notes:
        text = text.replace(f"*{n}*\n\n", "", 1)
    return text
