"""The staff view's words: "What changed" after a rebuild, evaluation figures with plain
names, thresholds missed said as such, the documents table (bot/app/changes.py,
bot/app/staff_views.py)."""

from __future__ import annotations

from bot.app.changes import Said, ask_all, changes_html, compare
from bot.app.staff_views import documents_html, figures_markdown, missed_words
from bot.errors import QuestionError
from bot.ingest.corpus import load_corpus


def test_what_changed_lists_kind_and_first_quote_changes_kind_first(bot):
    questions = [
        ("Is Zolgensma a cure for SMA?", ()),
        ("how is it given?", ("Is Zolgensma a cure for SMA?",)),
        ("What is SMA type 2?", ()),
    ]
    before = ask_all(bot.answer, questions)
    assert [s.kind for s in before] == ["answer"] * 3
    after = [before[0], Said("no_answer"), before[0]]  # kind changed; first quote changed
    changes = compare(questions, before, after)
    assert [c.question for c in changes] == ["how is it given?", "What is SMA type 2?"]
    page = changes_html(changes, len(questions))
    assert "2 of 3 checked questions now get a different reply" in page
    assert "Now:</strong> The documents don&#x27;t say" in page
    assert "After: “Is Zolgensma a cure for SMA?”" in page
    assert "first quote from “" in page and "(medically reviewed drug information)" in page
    assert "No reply changed" in changes_html([], 3)


def test_a_question_the_bot_cannot_take_is_no_reply_not_a_crash():
    def refuse(question, history):
        raise QuestionError("too long")

    assert ask_all(refuse, [("x", ())]) == [Said(None)]


def test_evaluation_figures_and_misses_are_in_plain_words():
    scored = {"all": {"n": 10, "hit@1": 0.8879, "refusal_recall": 1.0}, "splits": {}}
    table = figures_markdown(scored)
    assert "| Right document first | 88.8% |" in table and "hit@1" not in table
    missed = missed_words(scored, {"hit@1": 0.89, "refusal_recall": 0.98}, {})
    assert missed == ["Right document first: 88.8%, needs at least 89.0%"]


def test_the_documents_table_shows_the_kind_of_source_second(built):
    corpus = load_corpus(built.corpus_dir)
    page = documents_html(corpus, {})
    assert "<th scope='col'>Document</th><th scope='col'>Kind of source</th>" in page
    assert "Clinic&#x27;s own page" in page and "Not searchable yet" in page
