"""The limits that protect the service, on the JSON API with the real bot: a client over
its rate gets 429, a full waiting room 503, a body of unknown length 411, and Gradio's
per-session memory is capped (the soak benchmark measures what that buys)."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from bot.app import api as api_module
from bot.app.feedback import FeedbackStore
from bot.app.state import AppState


@pytest.fixture
def make_client(bot, tmp_path, monkeypatch):
    def make(rate: int = 0, waiting: int | None = None) -> TestClient:
        monkeypatch.setenv("SMABOT_RATE_PER_MINUTE", str(rate))
        if waiting is not None:
            monkeypatch.setattr(api_module, "MAX_WAITING", waiting)
        app = FastAPI()
        state = AppState(bot.config, bot, FeedbackStore(tmp_path / "feedback.sqlite3"))
        api_module.add_api_routes(app, state)
        return TestClient(app)

    return make


def test_a_client_over_its_rate_is_told_the_limit(make_client):
    client = make_client(rate=8)  # a burst of 8 / 4 = 2, then 8 a minute
    codes = [
        client.post("/api/ask", json={"question": "What is SMA?"}).status_code for _ in range(3)
    ]
    assert codes == [200, 200, 429]
    reply = client.post("/api/ask", json={"question": "What is SMA?"})
    assert reply.json() == {"error": "Too many questions: at most 8 a minute."}


def test_a_full_waiting_room_answers_busy_at_once(make_client):
    client = make_client(waiting=0)
    reply = client.post("/api/ask", json={"question": "What is SMA?"})
    assert reply.status_code == 503 and "busy" in reply.json()["error"]


def test_a_body_of_unknown_length_is_refused(make_client):
    client = make_client()
    reply = client.post("/api/ask", content=iter([b'{"question": "What is SMA?"}']))
    assert reply.status_code == 411


def test_with_no_limits_hit_the_reply_is_the_bots(make_client, bot):
    client = make_client()
    reply = client.post("/api/ask", json={"question": "What is SMA type 2?", "history": []})
    assert reply.status_code == 200
    assert reply.json()["kind"] == bot.answer("What is SMA type 2?").kind == "answer"


def test_gradio_keeps_state_for_a_bounded_number_of_sessions(bot, tmp_path):
    from bot.app import SESSIONS_KEPT, create_app

    state = AppState(bot.config, bot, FeedbackStore(tmp_path / "feedback.sqlite3"))
    _, demo = create_app(state)
    assert demo.state_session_capacity == SESSIONS_KEPT
    assert demo._queue.ANALYTICS_MAX_EVENTS == SESSIONS_KEPT
    pending = demo._queue.pending_messages_per_session
    for i in range(SESSIONS_KEPT + 50):
        pending[f"session-{i}"] = object()
    assert len(pending) == SESSIONS_KEPT


def test_the_allocator_is_asked_to_give_memory_back():
    import platform

    from bot.app import tame_malloc

    if platform.libc_ver()[0] != "glibc":
        pytest.skip("glibc's mallopt only")
    assert tame_malloc() is True  # each of the three settings taken (mallopt returned 1)
