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
- at most `SEATS` questions are with the model at once and `MAX_WAITING` wait for a
  place, in a fair line (bot/app/room.py: a client who asks now and then goes before
  those asking as fast as their rate allows); past that the reply is 503 "busy, try
  again" instead of a queue that grows without bound (a refused POST is answered after
  `REFUSAL_DELAY` s, bot/app/edge.py);
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

import asyncio
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractAsyncContextManager
from typing import TYPE_CHECKING, Any, TypeVar

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from bot.app.room import FairRoom
from bot.app.state import AppState
from bot.errors import SmabotError

if TYPE_CHECKING:
    from bot.bot import Bot
    from bot.reply import Reply

MAX_BODY_BYTES = 64 * 1024
MAX_UPLOAD_BYTES = 11 * 2**20  # staff document uploads (bot.ingest.corpus: 10 MB per file)
MAX_HISTORY_ITEMS = 50
SEATS = 8  # questions with the model at once (batched together)
MAX_WAITING = 32  # questions waiting for a seat
RATE_PER_MINUTE = 120  # SMABOT_RATE_PER_MINUTE; 0 turns the limit off (benchmarks)
_MAX_CLIENTS_TRACKED = 10_000
T = TypeVar("T")
BUSY = "The service is busy; please try again in a moment."
REFUSAL_DELAY = 1.0  # seconds before a refused POST is answered (bot/app/edge.py)


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


def client_of(request) -> str:
    """The client's address (uvicorn has applied SMABOT_TRUSTED_PROXIES already)."""
    client = getattr(request, "client", None)
    return getattr(client, "host", None) or "?"


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

        reply, refused = await gate.ask(request, bot, question, history)

    or, where the model work is not `bot.answer` alone (Gradio's API, bot/app/chat.py):
    `gate.over_rate(request)` at the door, then `async with gate.room(client) as seated`
    and `await gate.work(fn, ...)`. Only a seated question takes a thread, one of the
    gate's own `SEATS` (a fixed few threads: each thread that runs numpy, FAISS or torch
    keeps buffers of its own, and anyio's 40 grew the server by hundreds of MB).
    """

    def __init__(self):
        seats = min(SEATS, MAX_WAITING)
        self.waiting_room = FairRoom(seats=seats, waiting=MAX_WAITING)
        self.workers = ThreadPoolExecutor(max(seats, 1), thread_name_prefix="smabot-seat")
        self.rate = int(os.environ.get("SMABOT_RATE_PER_MINUTE") or RATE_PER_MINUTE)
        self.limiter = _RateLimiter(self.rate) if self.rate > 0 else None

    def heard(self, request: Request) -> None:
        """Note a request from this client for the waiting room's order (call on the
        event loop). Every question is noted, refused ones included, and so is a load
        of the families' page (bot/app/page.py): a family who opened the page and took
        a few seconds to type asks at a family's pace, not a stranger's."""
        self.waiting_room.heard(client_of(request))

    def over_rate(self, request: Request) -> JSONResponse | None:
        """429 if this client is over its rate (one token taken), else None."""
        client = client_of(request)
        self.waiting_room.heard(client)  # as `heard`, with the address already read
        if self.limiter is not None and not self.limiter.allow(client):
            return _error(429, f"Too many questions: at most {self.rate} a minute.")
        return None

    async def work(self, fn: Callable[..., T], *args: Any) -> T:
        """`fn(*args)` on one of the gate's threads (call it while seated)."""
        return await asyncio.get_running_loop().run_in_executor(self.workers, fn, *args)

    def room(self, client: str) -> AbstractAsyncContextManager[bool]:
        """A seat with the model (True), after a wait in line if need be; False when
        the line is full of clients slower than this one, or after too long a wait."""
        return self.waiting_room.seat(client)

    async def ask(
        self, request: Request, bot: Bot, question: str, history: list[str]
    ) -> tuple[Reply | None, JSONResponse | None]:
        """(the bot's reply, None), or (None, why not: 429, 503, or 400 for a message
        the bot can't take)."""
        refused = self.over_rate(request)
        if refused is not None:
            return None, refused
        async with self.room(client_of(request)) as seated:
            if not seated:
                return None, _error(503, BUSY)
            try:
                return await self.work(bot.answer, question, history), None
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
    async def ask(request: Request, payload: dict) -> JSONResponse:
        try:
            body = AskRequest.model_validate(payload)
        except ValidationError as err:
            hint = f" (question: text; history: a list of at most {MAX_HISTORY_ITEMS} texts)."
            return invalid(err, hint)
        reply, refused = await gate.ask(request, state.bot, body.question, body.history)
        if refused is not None:
            return refused
        return JSONResponse(reply.to_json())

    return gate
