"""The families' chat page (`/`): plain HTML, CSS and a little JavaScript over a JSON API.

Why not Gradio's Chatbot here: the page must work one-handed on a phone and with a
keyboard, switch, voice control or screen reader (WCAG 2.2 AA): the start of each reply
scrolled into view, 44 px targets, named citation links, feedback confirmed next to its
reply and announced, focus back in the question box, the conversation kept when a
source is opened and closed. Those need control of the markup that the Chatbot
component does not give. Gradio still serves the staff view (`/staff`) and its API
(`/gradio_api/...`, `ask` and `feedback`, see bot/app/chat.py).

Routes:

    GET  /                 the page (static/chat.html with the intro and examples filled in)
    GET  /api              how to use the JSON API (the footer links here)
    GET  /static/chat.*    its script and style
    POST /chat/ask         {"question", "history", "turn"} -> {"reply", "html", "copy"}
    POST /chat/feedback    {"vote": "up"|"down", "question", "history"} -> {"id", "token"}
    POST /chat/comment     {"id", "token", "comment"} -> {"saved": true}

A vote stores the reply the bot gives now (recomputed, never taken from the browser),
with the earlier messages it was given, so staff see what the family saw. "Copy" and
"Print or save" work in the browser alone (the "copy" text comes with the reply).
A comment needs the row's token (an HMAC of its id), so nobody can write on another
person's feedback. The conversation lives in the browser tab (sessionStorage) only.
"""

from __future__ import annotations

import hashlib
import hmac
import html
import os
import secrets
from pathlib import Path
from typing import Literal

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.concurrency import run_in_threadpool

from bot.app.api import AskRequest, Gate, invalid
from bot.app.render import markdown_html, reply_html, reply_text
from bot.app.starters import starter_questions
from bot.app.state import AppState
from bot.safety.messages import EMERGENCY_NUMBERS

STATIC = Path(__file__).parent / "static"
MAX_COMMENT = 2000
SECRET_VARIABLE = "SMABOT_SECRET"  # replicas share it so any of them accepts a comment


class _Ask(AskRequest):
    turn: int = Field(0, ge=0)  # the reply's place in the conversation, for its links


class _Vote(AskRequest):
    vote: Literal["up", "down"]


class _Comment(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: int
    token: str
    comment: str = Field(max_length=MAX_COMMENT)


_SHELL = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<link rel="stylesheet" href="/static/chat.css"></head><body>
{body}
</body></html>"""


def html_page(title: str, body: str) -> str:
    """A page in the chat's style: `lang`, `<title>`, viewport, stylesheet; `title` and
    `body` are HTML already (escape what they quote)."""
    return _SHELL.format(title=title, body=body)


def page_html(state: AppState, template: str) -> str:
    """The chat page `template` (static/chat.html) with the emergency numbers and the
    index's example questions (bot/app/starters.py; they change with the index)."""
    e = html.escape
    examples = "".join(
        f'<li><button type="button" class="example">{e(q)}</button></li>'
        for q in starter_questions(state.bot)
    )
    numbers = markdown_html(EMERGENCY_NUMBERS).strip().removeprefix("<p>").removesuffix("</p>")
    return template.replace("{{examples}}", examples).replace("{{numbers}}", numbers)


def add_page_routes(app: FastAPI, state: AppState, gate: Gate) -> None:
    """`gate`: the API's rate limit and waiting room (bot/app/api.py), shared."""
    secret = (os.environ.get(SECRET_VARIABLE) or secrets.token_hex(32)).encode()
    template = (STATIC / "chat.html").read_text(encoding="utf-8")  # read once

    def token(row: int) -> str:
        return hmac.new(secret, str(row).encode(), hashlib.sha256).hexdigest()[:32]

    @app.middleware("http")
    async def html_not_found(request: Request, call_next):
        """A browser asking for a page that isn't there gets a page saying so, not JSON."""
        response = await call_next(request)
        if (
            response.status_code == 404
            and request.method == "GET"
            and "text/html" in request.headers.get("accept", "")
            and response.headers.get("content-type", "").startswith("application/json")
        ):
            return not_found_page()
        return response

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    async def page(request: Request) -> HTMLResponse:
        gate.heard(request)  # a family's first question then comes from a known pace
        return HTMLResponse(await run_in_threadpool(page_html, state, template))

    @app.get("/static/{name}", include_in_schema=False)
    def static(name: str):
        if name not in ("chat.js", "chat.css"):
            return not_found_page()
        return FileResponse(STATIC / name, headers={"Cache-Control": "no-cache"})

    @app.get("/api", response_class=HTMLResponse, include_in_schema=False)
    def api_page() -> HTMLResponse:
        return HTMLResponse(API_PAGE)

    async def answer(request: Request, payload: dict, model: type[AskRequest]):
        """(validated body, reply), or (None, an error response)."""
        try:
            body = model.model_validate(payload)
        except ValidationError as err:
            return None, invalid(err)
        reply, refused = await gate.ask(request, state.bot, body.question, body.history)
        return (body, reply) if refused is None else (None, refused)

    @app.post("/chat/ask")
    async def ask(request: Request, payload: dict):
        body, reply = await answer(request, payload, _Ask)
        if body is None:
            return reply
        return {
            "reply": reply.to_json(),
            "html": reply_html(reply, body.turn),
            "copy": reply_text(reply),
        }

    @app.post("/chat/feedback")
    async def feedback(request: Request, payload: dict):
        body, reply = await answer(request, payload, _Vote)
        if body is None:
            return reply
        row = await run_in_threadpool(
            state.feedback.add, body.vote, body.question, reply.to_json(), history=body.history
        )
        return {"id": row, "token": token(row)}

    @app.post("/chat/comment")
    def comment(payload: dict):
        try:
            body = _Comment.model_validate(payload)
        except ValidationError as err:
            return invalid(err)
        if not hmac.compare_digest(body.token, token(body.id)):
            return JSONResponse({"error": "This feedback can't be changed."}, status_code=403)
        if not body.comment.strip():
            return JSONResponse({"error": "Write a comment first."}, status_code=422)
        state.feedback.set_comment(body.id, body.comment)
        return {"saved": True}


API_PAGE = html_page(
    "Use smabot via its API",
    """<main id="main" class="plain"><h1>Use smabot via its API</h1>
<p>Send a question as JSON; the reply is the same object <code>smabot ask --json</code>
prints (its kind, text, quotes with their offsets, sources, safety decision).</p>
<pre>curl -s http://HOST/api/ask -H 'Content-Type: application/json' \\
  -d '{"question": "What is SMA type 2?", "history": []}'</pre>
<p>At most 120 questions a minute from one address; messages are not stored.
Python users can also call <code>ask</code> and <code>feedback</code> with
<code>gradio_client</code>.</p>
<p><a href="/">Back to the chat</a></p></main>""",
)


def not_found_page(
    what: str = "There is no page at this address.",
) -> HTMLResponse:
    body = (
        '<main id="main" class="plain"><h1>Page not found</h1>'
        f'<p>{html.escape(what)}</p><p><a href="/">Back to the chat</a></p></main>'
    )
    return HTMLResponse(html_page("Page not found — SMA questions", body), status_code=404)
