"""The families' page server side: replies as HTML, feedback with its token, related
questions that fit, and not-found pages. (tests/test_browser.py drives it in Chromium.)"""

from __future__ import annotations

import html
import re

import numpy as np
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from bot.answer.related import pick_related, restates, who
from bot.app.api import Gate, add_api_routes
from bot.app.feedback import FeedbackStore
from bot.app.page import add_page_routes
from bot.app.render import QUOTE_FROM, reply_html
from bot.app.state import AppState


@pytest.fixture
def page_app(bot, tmp_path, monkeypatch) -> tuple[TestClient, Gate]:
    """The page's routes in-process, and the gate they share with the API."""
    monkeypatch.setenv("SMABOT_RATE_PER_MINUTE", "0")
    app = FastAPI()
    state = AppState(bot.config, bot, FeedbackStore(tmp_path / "feedback.sqlite3"))
    gate = add_api_routes(app, state)
    add_page_routes(app, state, gate)
    return TestClient(app), gate


@pytest.fixture
def client(page_app) -> TestClient:
    return page_app[0]


def test_an_answer_quotes_exact_spans_with_citations_named_by_their_source(bot):
    reply = bot.answer("Is Zolgensma a cure for SMA?")
    page = reply_html(reply, turn=3)
    assert reply.quotes
    for q in reply.quotes:
        doc = bot.data.documents[q.doc_id].text
        assert q.text == doc[q.start : q.end]
        assert f"<p>{html.escape(q.text.strip())}</p>" in page  # the span, only escaped
        href = f"/source/{q.doc_id}?start={q.start}&amp;end={q.end}&amp;turn=3#quote"
        assert href in page
    names = re.findall(r'class="cite" href="[^"]+" aria-label="([^"]+)"', page)
    title = reply.sources[0].title
    assert names[0] == f"[1] {html.escape(title)}, opens the passage"
    assert "not medical advice" in page


def test_the_emergency_reply_has_numbers_to_tap_in_its_first_line(bot):
    page = reply_html(bot.answer("my son is gurgling and his lips are going blue"), 0)
    first = re.search(r'<div class="said smabot-emergency"><p>(.*?)</p>', page, re.S).group(1)
    assert 'href="tel:112"' in first and 'href="tel:911"' in first


def test_markup_in_a_reply_is_never_rendered_as_html(bot):
    reply = bot.answer("<b>what</b> is <img src=x onerror=alert(1)> the weather?")
    page = reply_html(reply, 0)
    assert "<img" not in page and "<b>" not in page


def test_related_questions_do_not_restate_the_question():
    assert restates("Is Zolgensma a cure for SMA?", "Is Zolgensma a cure?")
    assert restates("What are the types of SMA?", "what types of sma are there")
    assert not restates("How is Zolgensma given?", "Is Zolgensma a cure?")
    candidates = ["Is Zolgensma a cure for SMA?", "How is Zolgensma given?"]
    cos = np.array([0.85, 0.6], dtype=np.float32)
    assert pick_related(candidates, cos, ["Is Zolgensma a cure?"], 2) == ["How is Zolgensma given?"]


def test_related_questions_are_about_the_same_person():
    assert who(["how much should my toddler take?"]) == {"child"}
    assert who(["What matters most for adults with SMA?"]) == {"adult"}
    candidates = ["What matters most for adults with SMA?", "How is SMA diagnosed?"]
    cos = np.array([0.7, 0.5], dtype=np.float32)
    child = pick_related(candidates, cos, ["what dose for my 2 year old daughter?"], 2)
    assert child == ["How is SMA diagnosed?"]
    adult = pick_related(candidates, cos, ["my husband has SMA type 3"], 2)
    assert adult == candidates


def test_the_bot_offers_no_adult_question_after_refusing_about_a_toddler(bot):
    reply = bot.answer("how much risdiplam should I give my toddler?")
    assert reply.kind == "refusal"
    assert reply.suggestions and not any("adult" in s.lower() for s in reply.suggestions)


def test_ask_returns_the_reply_and_its_html(client):
    data = client.post("/chat/ask", json={"question": "What is SMA type 2?", "turn": 7}).json()
    assert data["reply"]["kind"] == "answer"
    assert 'class="cite"' in data["html"] and "turn=7" in data["html"]
    bad = client.post("/chat/ask", json={"question": "x", "history": "not a list"})
    assert bad.status_code == 422 and "history" in bad.json()["error"]


def test_a_comment_needs_the_token_its_vote_was_given(client, tmp_path):
    vote = client.post(
        "/chat/feedback", json={"vote": "down", "question": "What is SMA type 2?"}
    ).json()
    forged = {"id": vote["id"], "token": "0" * 32, "comment": "spam"}
    assert client.post("/chat/comment", json=forged).status_code == 403
    ok = {"id": vote["id"], "token": vote["token"], "comment": "Too long"}
    assert client.post("/chat/comment", json=ok).json() == {"saved": True}
    rows = FeedbackStore(tmp_path / "feedback.sqlite3").recent()
    assert [(r.vote, r.comment, r.question) for r in rows] == [
        ("down", "Too long", "What is SMA type 2?")
    ]


def test_browsers_get_a_not_found_page_and_programs_json(client):
    page = client.get("/no-such-page", headers={"Accept": "text/html"})
    assert page.status_code == 404 and '<html lang="en">' in page.text and "<h1>" in page.text
    assert "<title>" in page.text
    api = client.get("/no-such-page", headers={"Accept": "application/json"})
    assert api.status_code == 404 and api.json() == {"detail": "Not Found"}


def test_the_starter_questions_lead_to_quotes_from_sources_that_are_not_clinics(client, bot):
    page = client.get("/").text
    starters = re.findall(r'<button type="button" class="example">([^<]+)</button>', page)
    assert 2 <= len(starters) <= 4
    kinds = {s.doc_id: s for q in bot.data.suggestions for s in bot.answer(q).sources}
    promotional = {d for d, s in kinds.items() if s.promotional}
    assert promotional  # the default corpus has clinics' pages to avoid
    for question in starters:
        reply = bot.answer(html.unescape(question))
        assert reply.kind == "answer"
        assert reply.quotes[0].doc_id not in promotional
    assert "trusted" not in page.lower()
    assert 'href="/api"' in page and client.get("/api").status_code == 200


def test_copy_text_says_each_quotes_kind_of_source(client):
    data = client.post("/chat/ask", json={"question": "Is Zolgensma a cure for SMA?"}).json()
    copy, reply = data["copy"], data["reply"]
    kinds = {s["marker"]: s["kind"] for s in reply["sources"]}
    for q in reply["quotes"]:
        assert f"“{q['text'].strip()}” [{q['marker']}] ({QUOTE_FROM[kinds[q['marker']]]})" in copy
    assert "Sources:" in copy and "not medical advice" in copy
    assert copy.count('<span class="quote-kind') == 0
    assert data["html"].count('<span class="quote-kind') == len(reply["quotes"])


def test_a_vote_keeps_the_earlier_messages_its_reply_was_computed_with(client, tmp_path):
    earlier = ["Is Zolgensma a cure for SMA?"]
    client.post(
        "/chat/feedback", json={"vote": "up", "question": "how is it given?", "history": earlier}
    )
    (row,) = FeedbackStore(tmp_path / "feedback.sqlite3").recent()
    assert row.earlier == earlier and row.reply["kind"] == "answer"


def test_loading_the_page_counts_for_the_waiting_rooms_order(page_app):
    """A family's first question is ranked from the gap since it loaded the page, not as
    a stranger's (bot/app/room.py; tests/test_room.py checks the order that follows)."""
    from bot.app.room import STRANGER_PACE

    client, gate = page_app
    now = [1000.0]
    gate.waiting_room.clock = lambda: now[0]
    assert "testclient" not in gate.waiting_room.recent
    assert client.get("/static/chat.js").status_code == 200  # not the page: not noted
    assert "testclient" not in gate.waiting_room.recent
    assert client.get("/").status_code == 200
    assert gate.waiting_room.recent["testclient"] == (STRANGER_PACE, 1000.0)
    now[0] += 5  # typing
    assert client.post("/chat/ask", json={"question": "What is SMA?"}).status_code == 200
    assert gate.waiting_room.pace("testclient") == pytest.approx(0.5 / 5 + 0.25)
