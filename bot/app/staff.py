"""The staff page (`/staff`): test answers, review feedback, curate documents, evaluate.

Off unless the app was started with `SMABOT_STAFF_PASSWORD`; then every action asks for
that password and checks it on the server (constant-time), so the staff API endpoints
(`/staff_*`) refuse without it too.

- Test a question: the safety decision and its reason, the passages retrieved with
  their scores, the quotes chosen, the latency; keep the question to be checked after
  each rebuild.
- Feedback: stored 👍/👎 with comments, newest first, each with what the family saw (the
  earlier messages, the question, the full reply, the index version); CSV export.
- Documents: the corpus with its kinds of source and passage counts; add a document
  (type, size and readability checked); rebuild the index with progress while families
  keep getting answers from the previous index, then "What changed" (bot/app/changes.py).
- Evaluation: run a question set and read the outcome in words, the figures with plain
  names, and the harness's technical report.

A form that is empty or wrong says so beside it (never a red "Error" over a table);
what is shown is written in bot/app/staff_views.py.
"""

from __future__ import annotations

import html
import logging
from datetime import date
from pathlib import Path
from typing import get_args

import gradio as gr

from bot.app.api import client_of
from bot.app.changes import ask_all, changes_html, compare
from bot.app.render import reply_html, source_href
from bot.app.staff_views import (
    VERBS,
    documents_html,
    download_link,
    feedback_html,
    figures_markdown,
    missed_words,
    rebuild_words,
)
from bot.app.state import PASSWORD_VARIABLE, AppState
from bot.errors import SmabotError
from bot.ingest.corpus import add_document, load_corpus
from bot.ingest.formats import SUPPORTED_SUFFIXES
from bot.ingest.sources import KIND_LABELS, SourceKind, SourceMeta

OFF = (
    f"### The staff view is off\n\nStart the app with the environment variable "
    f"`{PASSWORD_VARIABLE}` set to turn it on, for example:\n\n"
    f"    {PASSWORD_VARIABLE}='a long passphrase' python app.py"
)
CANDIDATE_COLUMNS = [
    "Score",
    "Passage match",
    "Section match",
    "Word match",
    "Words covered",
    "Document",
    "Passage",
]
LEGEND = (
    "**How to read the passages table.** *Score*: the overall rank (higher is better). "
    "*Passage match* and *Section match*: how close in meaning the passage and the section "
    "around it are to the question (cosine, 0 to 1). *Word match*: how many of the "
    "question's rarer words the passage shares (BM25, scaled 0 to 1). *Words covered*: "
    "the share of the question's words the passage contains."
)


log = logging.getLogger("smabot.staff")


def decision_sentence(reply) -> str:
    """What the bot did and why, in one sentence ("Refused: the rule “dose” matched …")."""
    safety = reply.safety or {}
    verb = VERBS[reply.kind]
    if reply.kind == "answer":
        n = len(reply.quotes)
        return f"{verb} with {n} quote{'s' * (n != 1)} from {len(reply.sources)} source(s)."
    why = safety.get("reason") if safety.get("decision") != "pass" else None
    if why is None:
        why = reply.debug.get("decision", {}).get("reason")
    matched = safety.get("matched")
    if why and matched and matched not in why:  # the sentence of a long message that drove it
        why = f"{why}, in “{matched}”"
    return f"{verb}: {why}." if why else f"{verb}."


def build_staff(state: AppState) -> None:
    gr.Markdown(
        "# Staff view\n\nTest answers, read families' feedback, add documents and run "
        "evaluations. The chat for families is [the home page](/)."
    )
    if not state.staff_enabled:
        gr.Markdown(OFF, elem_id="staff-off")
    password = gr.Textbox(
        label="Staff password",
        type="password",
        elem_id="staff-password",
        visible=state.staff_enabled,
    )
    unlock = gr.Button("Open", visible=state.staff_enabled)
    notice = gr.Markdown()  # e.g. the index is being rebuilt in the background
    with gr.Column(visible=False) as panel, gr.Tabs(overflow_behavior="wrap"):
        _test_tab(state, password)
        _feedback_tab(state, password)
        _documents_tab(state, password)
        _evaluation_tab(state, password)

    def open_panel(pw: str, request: gr.Request):
        check(state, pw, request)
        said = f"**Note:** {state.notice}" if state.notice else ""
        return gr.update(visible=True), said

    unlock.click(open_panel, password, [panel, notice], api_name="staff_open")


def check(state: AppState, password: str | None, request: gr.Request | None = None) -> None:
    """Raise a one-line error unless the staff password is right. A refusal is logged as
    one line, without the password or anything typed, and with no traceback. After a few
    wrong tries from one client, it must wait longer before each next (bot/app/state.py)."""
    if not state.staff_enabled:
        raise gr.Error(
            f"The staff view is off: start the app with {PASSWORD_VARIABLE} set.",
            print_exception=False,
        )
    why = state.staff_refusal(password, client_of(request))
    if why is not None:
        log.warning("staff: access refused (%s password)", "wrong" if password else "no")
        raise gr.Error(why, print_exception=False)


def _test_tab(state: AppState, password: gr.Textbox) -> None:
    with gr.Tab("Test a question"):
        question = gr.Textbox(label="Question")
        history = gr.Textbox(label="Earlier messages, one per line (optional)", lines=2)
        with gr.Row():
            run = gr.Button("Ask", variant="primary")
            keep = gr.Button("Check this question after every rebuild")
        summary = gr.Markdown()
        gr.Markdown("### The reply as families see it")
        shown = gr.HTML()
        gr.Markdown("### Why")
        safety = gr.Markdown()
        gr.Markdown(f"### Passages the search found\n\n{LEGEND}")
        candidates = gr.Dataframe(
            headers=CANDIDATE_COLUMNS, wrap=True, column_widths=["8%"] * 5 + ["15%", "45%"]
        )
        gr.Markdown("### Quotes chosen")
        quotes = gr.Dataframe(
            headers=["Marker", "Document", "From character", "To character", "Score", "Quote"],
            wrap=True,
        )

        def test(pw: str, q: str, hist: str, request: gr.Request):
            check(state, pw, request)
            if not (q or "").strip():
                return ("**Type a question to test.**", *[gr.skip()] * 4)
            earlier = [h for h in (hist or "").splitlines() if h.strip()]
            try:
                reply = state.bot.answer(q, earlier)
            except SmabotError as err:
                return (f"**Not asked:** {err}", *[gr.skip()] * 4)
            text = (
                f"**{decision_sentence(reply)}** ({reply.kind}, {reply.latency_ms:.0f} ms, "
                f"index {reply.index_version})"
            )
            rows = [
                [
                    c["score"],
                    c["unit_cosine"],
                    c["chunk_cosine"],
                    c["lexical"],
                    c["coverage"],
                    c["doc_id"],
                    c["text"],
                ]
                for c in reply.debug.get("candidates", [])
            ]
            chosen = [
                [q_.marker, q_.doc_id, q_.start, q_.end, q_.score, q_.text] for q_ in reply.quotes
            ]
            seen = reply_html(reply, 0, link=lambda q_, _t: source_href(q_), heading=False)
            return text, f'<div class="staff-reply">{seen}</div>', why_markdown(reply), rows, chosen

        def keep_question(pw: str, q: str, hist: str, request: gr.Request) -> str:
            check(state, pw, request)
            if not (q or "").strip():
                return "**Type the question to check first.**"
            earlier = [h for h in (hist or "").splitlines() if h.strip()]
            n = state.feedback.add_check(q.strip(), earlier)
            return (
                f"**Kept.** After every rebuild, “What changed” says whether its reply changed "
                f"({n} question{'s' * (n != 1)} of yours are checked, besides the dev set)."
            )

        run.click(
            test,
            [password, question, history],
            [summary, shown, safety, candidates, quotes],
            api_name="staff_test",
        )
        keep.click(keep_question, [password, question, history], summary, api_name="staff_keep")


def _feedback_tab(state: AppState, password: gr.Textbox) -> None:
    with gr.Tab("Feedback"):
        refresh = gr.Button("Show feedback (newest first)")
        rows = gr.HTML()
        export = gr.Button("Export CSV")
        csv_link = gr.HTML()

        def show(pw: str, request: gr.Request):
            check(state, pw, request)
            return feedback_html(state.feedback.recent())

        def to_csv(pw: str, request: gr.Request):
            check(state, pw, request)
            # inside this password-checked reply: no file on disk for anyone to fetch
            text = state.feedback.to_csv()
            return download_link(text, "feedback.csv", "text/csv", "Download the feedback (CSV)")

        refresh.click(show, password, rows, api_name="staff_feedback")
        export.click(to_csv, password, csv_link, api_name="staff_feedback_csv")


def discard_upload(path: str) -> None:
    """Delete an upload Gradio kept (and its folder, once empty); what staff leave behind
    goes with Gradio's cache clean-up (bot/app/__init__.py)."""
    import contextlib

    with contextlib.suppress(OSError):
        Path(path).unlink()
        Path(path).parent.rmdir()


def check_questions(state: AppState) -> list[tuple[str, tuple[str, ...]]]:
    """What "What changed" asks before and after a rebuild: the dev set, then staff's own."""
    from evals.sets import DEFAULT_SET, load_set

    dev = [(it.question, tuple(it.history)) for it in load_set(DEFAULT_SET).items]
    return dev + [c for c in state.feedback.checks() if c not in dev]


def form_problem(path: str | None, title: str, reviewed: str) -> str | None:
    """What is missing or wrong in the "Add a document" form, in one sentence."""
    if not path:
        return "Choose a file first (" + ", ".join(SUPPORTED_SUFFIXES) + ")."
    if Path(path).suffix.lower() not in SUPPORTED_SUFFIXES:
        return (
            f"{Path(path).name} can't be added: use a file ending in "
            + ", ".join(SUPPORTED_SUFFIXES)
            + "."
        )
    if not (title or "").strip():
        return "Give the document a title: families see it under each quote."
    try:
        if (reviewed or "").strip():
            date.fromisoformat(reviewed.strip())
    except ValueError:
        return f"“{reviewed.strip()}” is not a date: write it as YYYY-MM-DD, or leave it empty."
    return None


def _documents_tab(state: AppState, password: gr.Textbox) -> None:
    with gr.Tab("Documents"):
        refresh = gr.Button("Show documents")
        table = gr.HTML()
        gr.Markdown("#### Add a document (.txt, .md, .html, .pdf; up to 10 MB)")
        upload = gr.File(
            label="Document", file_types=[".txt", ".md", ".html", ".htm", ".pdf"], type="filepath"
        )
        with gr.Row():
            title = gr.Textbox(label="Title")
            publisher = gr.Textbox(label="Publisher")
            kind = gr.Dropdown(
                [(KIND_LABELS[k].capitalize(), k) for k in get_args(SourceKind)],
                value="other",
                label="Kind of source",
            )
            reviewed = gr.Textbox(label="Last reviewed (YYYY-MM-DD, optional)")
        add = gr.Button("Add document")
        added = gr.Markdown()
        rebuild = gr.Button("Rebuild the index", variant="primary")
        rebuilt = gr.Markdown()
        changed = gr.HTML()

        def documents(pw: str, request: gr.Request):
            check(state, pw, request)
            built = state.bot.data.manifest.get("documents", {})
            return documents_html(load_corpus(state.config.corpus_dir), built)

        def add_doc(pw: str, path: str | None, t: str, p: str, k: str, r: str, request: gr.Request):
            check(state, pw, request)
            problem = form_problem(path, t, r)
            if problem:
                return f"**Not added.** {problem}", gr.skip()
            meta = SourceMeta(
                title=t.strip(),
                publisher=(p or "").strip() or "unknown publisher",
                kind=k if k in get_args(SourceKind) else "other",
                reviewed=(r or "").strip() or None,
            )
            try:
                doc = add_document(
                    state.config.corpus_dir, Path(path).name, Path(path).read_bytes(), meta
                )
            except SmabotError as err:
                return f"**Not added.** {err}", gr.skip()
            discard_upload(path)  # it is in the corpus now
            return (
                f"Added **{html.escape(doc.id)}** ({len(doc.text):,} characters of text). "
                "Rebuild the index to make it searchable."
            ), documents(pw, request)

        def do_rebuild(pw: str, request: gr.Request, progress=gr.Progress(track_tqdm=True)):
            check(state, pw, request)
            questions = check_questions(state)
            progress(0, desc="Asking the checked questions of the current index")
            before = ask_all(state.bot.answer, questions)
            progress(0, desc="Rebuilding; families get answers from the current index meanwhile")
            try:
                summary = state.rebuild(progress=True)
            except (SmabotError, RuntimeError) as err:
                return f"**Not rebuilt.** {err}", gr.skip(), gr.skip()
            after = ask_all(state.bot.answer, questions)
            what = changes_html(compare(questions, before, after), len(questions))
            return rebuild_words(summary), documents(pw, request), what

        refresh.click(documents, password, table, api_name="staff_documents")
        add.click(
            add_doc,
            [password, upload, title, publisher, kind, reviewed],
            [added, table],
            api_name="staff_add_document",
        )
        rebuild.click(
            do_rebuild,
            password,
            [rebuilt, table, changed],
            api_name="staff_rebuild",
            concurrency_limit=1,
        )


def _evaluation_tab(state: AppState, password: gr.Textbox) -> None:
    from evals.sets import DEFAULT_SET

    with gr.Tab("Evaluation"):
        upload = gr.File(
            label="Question set (JSONL); leave empty for the dev set",
            file_types=[".jsonl"],
            type="filepath",
        )
        run = gr.Button("Run evaluation", variant="primary")
        said = gr.Markdown()
        figures = gr.Markdown()
        with gr.Accordion("Technical report (for developers)", open=False):
            report_file = gr.HTML()
            report = gr.HTML()

        def evaluate(
            pw: str, path: str | None, request: gr.Request, progress=gr.Progress(track_tqdm=True)
        ):
            check(state, pw, request)
            from bot.config import PROJECT_ROOT
            from evals.command import run_set
            from evals.run import collect_local, project_thresholds
            from evals.sets import load_set

            try:
                qs = load_set(Path(path) if path else DEFAULT_SET)
            except SmabotError as err:
                return "", gr.skip(), gr.skip(), f"**Not run.** {err}"
            bot = state.bot
            documents = {d: doc.text for d, doc in bot.data.documents.items()}
            run = run_set(qs, lambda items: collect_local(bot, items, progress.tqdm), documents)
            page = run.report()
            report = download_link(
                page, f"{qs.name}-report.html", "text/html", "Download the report"
            )
            frame = (
                f"<iframe title='The technical report' style='width:100%;height:80vh;"
                f"border:1px solid #ddd' srcdoc='{html.escape(page, quote=True)}'></iframe>"
            )
            lo, hi = project_thresholds(qs.name, PROJECT_ROOT / "pyproject.toml")
            missed = missed_words(run.scored, lo, hi)
            words = evaluation_words(qs.items, run.replies, missed)
            return figures_markdown(run.scored), report, frame, words

        run.click(
            evaluate,
            [password, upload],
            [figures, report_file, report, said],
            api_name="staff_eval",
            concurrency_limit=1,
        )


SCORE_NAMES = {
    "info": "a question about SMA",
    "advice": "advice for a particular person",
    "emergency": "an emergency",
    "out_of_scope": "not about SMA",
}


def why_markdown(reply) -> str:
    """The safety decision in words, with the classifier's reading of the message."""
    safety = reply.safety or {}
    lines = [decision_sentence(reply)]
    if safety.get("follow_up"):
        lines.append("It was read as a follow-up to the previous message.")
    scores = safety.get("scores") or {}
    if scores:
        lines.append(
            "The safety classifier read the message as: "
            + "; ".join(f"{SCORE_NAMES.get(k, k)} {v:.0%}" for k, v in scores.items())
            + "."
        )
    return "\n\n".join(lines)


def evaluation_words(items, replies, missed) -> str:
    """The evaluation's outcome first in words: how many right, which emergencies missed."""
    right = sum(r["kind"] in it.expect for it, r in zip(items, replies, strict=True))
    lost = [
        it.question
        for it, r in zip(items, replies, strict=True)
        if "emergency" in it.expect and r["kind"] != "emergency"
    ]
    text = f"**Replied as expected to {right} of {len(items)} questions.** "
    if lost:
        shown = "; ".join(f"“{q[:80]}”" for q in lost[:5])
        text += f"**{len(lost)} emergenc{'y' if len(lost) == 1 else 'ies'} missed:** {shown}. "
    else:
        text += "No emergency missed. "
    text += (
        "Every threshold met." if not missed else "**Below the floor:** " + "; ".join(missed) + "."
    )
    return text
