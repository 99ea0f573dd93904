"""Answering: quotes are exact spans, cited; honest no-answers; bad input; follow-ups."""

from __future__ import annotations

import pytest

from bot.errors import QuestionError
from bot.reply import escape_markdown
from evals.sets import DEFAULT_SET, load_set
from tests.conftest import corpus_text


def test_zolgensma_is_not_a_cure(bot):
    reply = bot.answer("Is Zolgensma a cure for SMA?")
    assert reply.kind == "answer"
    first = reply.quotes[0]
    assert first.doc_id == "zolgensma-is-it-a-cure" and "not a cure" in first.text
    assert 1 <= len(reply.quotes) <= 3
    source = reply.sources[0]
    assert source.kind_label == "medically reviewed drug information" and not source.promotional
    assert "not medical advice" in reply.text and "[1]" in reply.text


def test_a_parent_asking_what_type_2_is_gets_an_answer(bot):
    reply = bot.answer("what is sma type 2")
    assert reply.kind == "answer"
    assert any("sit but do not walk" in q.text for q in reply.quotes)
    assert reply.sources[0].promotional  # a clinic's page, and the reply says so
    assert "clinic's own page" in reply.text.lower()


def test_rare_drug_names_are_found_by_exact_terms(bot):
    reply = bot.answer("What is Evrysdi?")
    assert reply.kind == "answer"
    assert "risdiplam Evrysdi" in reply.quotes[0].text


@pytest.mark.parametrize(
    "question",
    [
        "What is the price of Zolgensma in Europe?",
        "Is there an SMA summer camp near Boston?",
    ],
)
def test_uncovered_questions_get_an_honest_no_answer(bot, question):
    reply = bot.answer(question)
    assert reply.kind == "no_answer"
    assert reply.quotes == [] and "documents don't say" in reply.text


def test_every_quote_over_the_dev_set_is_an_exact_span_of_its_file(bot):
    checked = 0
    for item in load_set(DEFAULT_SET).items:
        reply = bot.answer(item.question, item.history)
        for q in reply.quotes:
            assert corpus_text(q.doc_id)[q.start : q.end] == q.text, (item.id, q)
            assert escape_markdown(q.text.strip().split("\n")[0]) in reply.text
            checked += 1
    assert checked > 150


def test_empty_and_non_text_questions_are_refused_clearly(bot):
    for bad in ("", "   \n\t", "\x00\x01"):
        with pytest.raises(QuestionError, match="empty"):
            bot.answer(bad)
    with pytest.raises(QuestionError, match="text"):
        bot.answer(None)  # type: ignore[arg-type]


def test_a_huge_question_is_answered_from_its_start_with_a_note(bot):
    question = "Is Zolgensma a cure for SMA? " + "Please explain. " * 400
    reply = bot.answer(question)
    assert reply.kind == "answer"
    assert any("first 2,000" in n for n in reply.notes) and "first 2,000" in reply.text


def test_odd_characters_do_not_break_anything(bot):
    reply = bot.answer("What is SMA\ud800 type 2?\u200b")  # lone surrogate, zero-width space
    assert reply.kind == "answer"
    assert reply.to_json()["kind"] == "answer"


def test_a_follow_up_is_read_with_the_previous_message(bot):
    reply = bot.answer("how is it given?", history=["Is Zolgensma a cure for SMA?"])
    assert reply.kind == "answer"
    assert "intravenous" in reply.quotes[0].text


def test_json_has_the_documented_shape(bot):
    data = bot.answer("What causes SMA?").to_json()
    assert {"kind", "text", "quotes", "latency_ms"} <= set(data)
    assert {"text", "doc_id", "title", "start", "end", "score"} <= set(data["quotes"][0])
    assert data["latency_ms"] > 0 and data["index_version"] == bot.version
