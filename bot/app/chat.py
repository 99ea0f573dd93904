"""The Gradio API the families' page shares its bot with: `ask` and `feedback`.

The families' page itself is plain HTML (bot/app/page.py says why); these endpoints are
for `gradio_client` users and the benchmarks, next to the JSON `/api/ask`.

API: `/ask(question, history="[]")` returns the reply object exactly as
`smabot ask --json` prints it; `history` is a JSON list of earlier messages.
`/feedback(vote, question, history="[]", comment="")` stores 👍 ("up") or 👎 ("down") for
the reply the bot gives to that question now (recomputed here, never taken from the
caller) and returns `{"id": row}`.
"""

from __future__ import annotations

import json
from typing import Any

import anyio.to_thread
import gradio as gr

from bot.app.api import BUSY, Gate, client_of
from bot.app.state import AppState
from bot.errors import SmabotError

# questions of the Gradio API answered at once; the rest wait in Gradio's bounded queue
CONCURRENCY = 4


def add_chat_api(state: AppState, gate: Gate) -> None:
    """`ask` and `feedback` as Gradio API endpoints; call inside a `gr.Blocks` context.
    `gate` (bot/app/api.py) rates them per client at the door and shares its waiting
    room with the JSON API."""
    gr.Markdown("# smabot\n\nThe chat is at [the home page](/); this page holds its API.")

    async def reply_json(question: str, history: str, request: gr.Request) -> dict[str, Any]:
        earlier = _history(history)
        async with gate.room(client_of(request)) as seated:
            if not seated:
                raise gr.Error(BUSY, print_exception=False)
            try:
                reply = await gate.work(state.bot.answer, question, earlier)
            except SmabotError as err:
                raise gr.Error(str(err), print_exception=False) from err
        return reply.to_json()

    async def ask(question: str, request: gr.Request, history: str = "[]") -> dict[str, Any]:
        """Answer `question` (history: a JSON list of earlier messages, oldest first).
        Returns the reply object exactly as `smabot ask --json` prints it."""
        return await reply_json(question, history, request)

    async def feedback(
        vote: str, question: str, request: gr.Request, history: str = "[]", comment: str = ""
    ) -> dict:
        """Store 👍 ("up") or 👎 ("down") for the bot's reply to `question`."""
        if vote not in ("up", "down"):
            raise gr.Error('vote must be "up" or "down".', print_exception=False)
        reply = await reply_json(question, history, request)
        row = await anyio.to_thread.run_sync(
            state.feedback.add, vote, question, reply, comment or None, _history(history)
        )
        return {"id": row}

    gr.api(ask, api_name="ask", concurrency_limit=CONCURRENCY, concurrency_id="families")
    gr.api(feedback, api_name="feedback", concurrency_limit=CONCURRENCY, concurrency_id="families")


def _history(raw: str) -> list[str]:
    try:
        earlier = json.loads(raw or "[]")
    except json.JSONDecodeError as err:
        raise gr.Error(
            f"history must be a JSON list of strings ({err.msg}).", print_exception=False
        ) from err
    if not isinstance(earlier, list) or not all(isinstance(h, str) for h in earlier):
        raise gr.Error("history must be a JSON list of strings.", print_exception=False)
    return earlier
