"""The plain JSON API, and the limits that protect the whole service.

    POST /api/ask  {"question": "...", "history": ["earlier message", ...]}
         -> the reply object exactly as `smabot ask --json` prints it

Everything is checked at the edge, before any model work, and answered with one clear
message naming the limit:

- a request body over `MAX_BODY_BYTES` (any route, the Gradio ones included; staff file
  uploads `MAX_UPLOAD_BYTES`) gets 413
  before it is read: a 100 KB or 10 MB question costs nothing (a body of unknown length,
  411);
- `question` must be text, `history` a list of at most `MAX_HISTORY_ITEMS` texts
  (422 otherwise); only the last few turns are read (bot.bot.MAX_HISTORY);
- at most `MAX_WAITING` questions wait for the model at once; past that the reply is
  503 "busy, try again" at once instead of a queue that grows without bound;
- each client (by address) may ask `RATE_PER_MINUTE` questions a minute (429 beyond;
  `SMABOT_RATE_PER_MINUTE` sets it, 0 turns it off).

The same gate stands before every way in that runs the model: `/api/ask`, the page's
`/chat/ask` and `/chat/feedback`, and Gradio's API (`/gradio_api/queue/join`,
`/gradio_api/call/...`; `/gradio_api/run/...`, which would skip Gradio's queue, is
closed). A client's address is the connection's peer; `X-Forwarded-For` is read only
from the proxies named in `SMABOT_TRUSTED_PROXIES` (bot/app/__init__.py hands them to
uvicorn), so a client cannot escape its rate by rotating the header.

Nothing a family sends is logged: rejections are counted, never printed with content.
Left out: authentication (the API answers what the chat page answers).
"""

from __future__ import annotations

import os
import threading
import time
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from bot.app.state import AppState
from bot.errors import SmabotError

if TYPE_CHECKING:
    from bot.bot import Bot
    from bot.reply import Reply

MAX_BODY_BYTES = 64 * 1024
MAX_UPLOAD_BYTES = 11 * 2**20  # staff document uploads (bot.ingest.corpus: 10 MB per file)
MAX_HISTORY_ITEMS = 50
MAX_WAITING = 32
RATE_PER_MINUTE = 120  # SMABOT_RATE_PER_MINUTE; 0 turns the limit off (benchmarks)
_MAX_CLIENTS_TRACKED = 10_000
BUSY = "The service is busy; please try again in a moment."


class AskRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    question: str
    history: list[str] = Field(default_factory=list, max_length=MAX_HISTORY_ITEMS)


class _RateLimiter:
    """A token bucket per client address, in a bounded LRU (memory stays flat)."""

    def __init__(self, per_minute: int):
        self.rate = per_minute / 60.0
        self.burst = float(per_minute) / 4
        self.buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()
        self.lock = threading.Lock()

    def allow(self, client: str) -> bool:
        now = time.monotonic()
        with self.lock:
            tokens, last = self.buckets.pop(client, (self.burst, now))
            tokens = min(self.burst, tokens + (now - last) * self.rate)
            ok = tokens >= 1
            self.buckets[client] = (tokens - 1 if ok else tokens, now)
            while len(self.buckets) > _MAX_CLIENTS_TRACKED:
                self.buckets.popitem(last=False)
            return ok


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


def invalid(err: ValidationError, hint: str = "") -> JSONResponse:
    """422 naming the first field that is wrong (then `hint`, what the body should be)."""
    first = err.errors()[0]
    where = ".".join(str(x) for x in first["loc"]) or "body"
    return _error(422, f"{where}: {first['msg']}{hint}")


# POSTs into Gradio that start an event (a question, a vote, a staff action)
GRADIO_RUN_PREFIXES = (
    "/gradio_api/queue/join",
    "/gradio_api/call/",
    "/gradio_api/run/",
    "/gradio_api/api/",
)


async def unreadable(request: Request, exc: RequestValidationError) -> JSONResponse:
    """A body FastAPI could not read (not JSON, not UTF-8, the wrong shape): 422 naming
    where, never echoing or logging what was sent (FastAPI's own handler returns the
    input, and crashes with a traceback of it when it is not UTF-8)."""
    errors = exc.errors()
    first = errors[0] if errors else {}
    where = ".".join(str(x) for x in first.get("loc", ())) or "body"
    return _error(422, f"{where}: {first.get('msg', 'unreadable')} (send UTF-8 JSON).")


def quiet_errors(app) -> None:
    """Answer unreadable bodies on `app` with `unreadable` (call before it serves)."""
    app.add_exception_handler(RequestValidationError, unreadable)


class Gate:
    """The rate limit and the waiting room, shared by every route that asks the bot.

    with gate.admit(request) as refused:
        if refused is not None:
            return refused  # 429 or 503, said in one line
        ...  # the model work
    """

    def __init__(self):
        self.waiting = threading.BoundedSemaphore(MAX_WAITING)
        self.rate = int(os.environ.get("SMABOT_RATE_PER_MINUTE") or RATE_PER_MINUTE)
        self.limiter = _RateLimiter(self.rate) if self.rate > 0 else None

    def over_rate(self, request: Request) -> JSONResponse | None:
        """429 if this client is over its rate (one token taken), else None."""
        client = request.client.host if request.client else "?"
        if self.limiter is not None and not self.limiter.allow(client):
            return _error(429, f"Too many questions: at most {self.rate} a minute.")
        return None

    @contextmanager
    def room(self) -> Iterator[bool]:
        """A place in the waiting room (True), or False at once when it is full."""
        if not self.waiting.acquire(blocking=False):
            yield False
            return
        try:
            yield True
        finally:
            self.waiting.release()

    @contextmanager
    def admit(self, request: Request) -> Iterator[JSONResponse | None]:
        refused = self.over_rate(request)
        if refused is not None:
            yield refused
            return
        with self.room() as inside:
            yield None if inside else _error(503, BUSY)

    def ask(
        self, request: Request, bot: Bot, question: str, history: list[str]
    ) -> tuple[Reply | None, JSONResponse | None]:
        """(the bot's reply, None), or (None, why not: 429, 503, or 400 for a message
        the bot can't take)."""
        with self.admit(request) as refused:
            if refused is not None:
                return None, refused
            try:
                return bot.answer(question, history), None
            except SmabotError as err:
                return None, _error(400, str(err))


def add_api_routes(app: FastAPI, state: AppState, gate: Gate | None = None) -> Gate:
    """`/api/ask` and the body-size limit for every route. Returns the gate, for the
    other routes that ask the bot (and bot/app/edge.py, Gradio's door)."""
    gate = gate or Gate()
    quiet_errors(app)  # Gradio's API meets `gate.over_rate` in bot/app/edge.py

    @app.middleware("http")
    async def limit_body(request: Request, call_next):
        length = request.headers.get("content-length")
        limit = MAX_UPLOAD_BYTES if request.url.path.endswith("/upload") else MAX_BODY_BYTES
        if length is not None and (not length.isdigit() or int(length) > limit):
            return _error(413, f"The request is over the {limit // 1024} KB limit.")
        if request.method in ("POST", "PUT", "PATCH") and length is None:
            return _error(411, "Send the request with a Content-Length.")  # no chunked bodies
        return await call_next(request)

    @app.post("/api/ask")
    def ask(request: Request, payload: dict) -> JSONResponse:
        try:
            body = AskRequest.model_validate(payload)
        except ValidationError as err:
            hint = f" (question: text; history: a list of at most {MAX_HISTORY_ITEMS} texts)."
            return invalid(err, hint)
        reply, refused = gate.ask(request, state.bot, body.question, body.history)
        if refused is not None:
            return refused
        return JSONResponse(reply.to_json())

    return gate
