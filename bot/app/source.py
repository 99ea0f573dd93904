"""`/source/{doc_id}?start=&end=`: a document with one quoted passage highlighted.

The text shown is the indexed text the quote was cut from, HTML-escaped throughout, with
`text[start:end]` inside a <mark id="quote"> the page scrolls to. It opens in the
chat's own tab; "Back to the chat" returns to the reply it came from (`turn`), whose
conversation the chat page keeps in the tab's sessionStorage. Metadata says what
kind of source it is, in the same plain labels as the chat.
"""

from __future__ import annotations

import html

from fastapi import FastAPI
from fastapi.responses import HTMLResponse

from bot.app.page import html_page, not_found_page
from bot.app.state import AppState

_BODY = """<header><p><a class="back" href="{back}">← Back to the chat</a></p></header>
<main id="main" class="plain">
<h1>{title}</h1>
<p class="meta">{publisher} · <strong>{kind}</strong>{reviewed}</p>
{promo}
<p>The quoted passage is highlighted below.</p>
<div class="doc">{before}<mark id="quote">{quote}</mark>{after}</div>
</main>
<footer class="footer"><a class="back" href="{back}">← Back to the chat</a></footer>"""


def add_source_route(app: FastAPI, state: AppState) -> None:
    @app.get("/source/{doc_id}", response_class=HTMLResponse)
    def source(doc_id: str, start: int = 0, end: int = 0, turn: int = -1) -> HTMLResponse:
        doc = state.bot.data.documents.get(doc_id)
        if doc is None or not 0 <= start <= end <= len(doc.text):
            return not_found_page("This source or passage is not in the current index.")
        e = html.escape
        meta = doc.meta
        promo = (
            (
                "<p class='promo'><strong>This is a clinic's own page: it promotes the "
                "treatment it sells.</strong></p>"
            )
            if meta.promotional
            else ""
        )
        body = _BODY.format(
            title=e(meta.title),
            back=f"/#turn-{turn}" if turn >= 0 else "/",
            publisher=e(meta.publisher),
            kind=e(meta.kind_label),
            reviewed=f" · reviewed {e(meta.reviewed)}" if meta.reviewed else "",
            promo=promo,
            before=e(doc.text[:start]),
            quote=e(doc.text[start:end]),
            after=e(doc.text[end:]),
        )
        return HTMLResponse(html_page(f"{e(meta.title)} — smabot source", body))
