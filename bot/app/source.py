"""`/source/{doc_id}?start=&end=`: a document with one quoted passage highlighted.

The text shown is the indexed text the quote was cut from, HTML-escaped throughout, with
`text[start:end]` inside a <mark id="quote"> the page scrolls to. Metadata says what
kind of source it is, in the same plain labels as the chat.
"""

from __future__ import annotations

import html

from fastapi import FastAPI
from fastapi.responses import HTMLResponse

from bot.app.state import AppState

_PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} — smabot source</title><style>
body{{font:16px/1.6 system-ui,sans-serif;max-width:46rem;margin:1.5rem auto;padding:0 1rem;
      color:#1d2330}}
.meta{{color:#555;margin-bottom:1rem}} .kind{{font-weight:600}}
.promo{{background:#fff4e5;border-left:4px solid #f0a020;padding:.4rem .8rem}}
.doc{{white-space:pre-wrap;border-top:1px solid #ddd;padding-top:1rem}}
mark{{background:#ffe066;padding:.1rem 0;scroll-margin-top:30vh}}
</style></head><body>
<h1>{title}</h1>
<div class="meta">{publisher} · <span class="kind">{kind}</span>{reviewed}</div>
{promo}
<p><a href="/">← back to the chat</a></p>
<div class="doc">{before}<mark id="quote">{quote}</mark>{after}</div>
</body></html>"""


def add_source_route(app: FastAPI, state: AppState) -> None:
    @app.get("/source/{doc_id}", response_class=HTMLResponse)
    def source(doc_id: str, start: int = 0, end: int = 0) -> HTMLResponse:
        doc = state.bot.data.documents.get(doc_id)
        if doc is None or not 0 <= start <= end <= len(doc.text):
            return HTMLResponse(
                "<!doctype html><p>This source or passage is not in the current "
                "index. <a href='/'>Back to the chat</a></p>",
                status_code=404,
            )
        e = html.escape
        meta = doc.meta
        promo = (
            (
                "<p class='promo'>This is a clinic's own page: it promotes the treatment it "
                "sells.</p>"
            )
            if meta.promotional
            else ""
        )
        return HTMLResponse(
            _PAGE.format(
                title=e(meta.title),
                publisher=e(meta.publisher),
                kind=e(meta.kind_label),
                reviewed=f" · reviewed {e(meta.reviewed)}" if meta.reviewed else "",
                promo=promo,
                before=e(doc.text[:start]),
                quote=e(doc.text[start:end]),
                after=e(doc.text[end:]),
            )
        )
