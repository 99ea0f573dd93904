"""The families' page: a chat that answers with quoted, cited passages.

- Quotes appear as quotations; each marker [1] links to the passage highlighted in its
  document (`/source/...`); sources are listed with a plain label of their kind.
- Refusals and emergency replies are styled to stand out (`style.css`).
- After an answer, up to three related questions the documents answer, as buttons.
- 👍/👎 on a reply stores that question and reply (and an optional comment) in the
  feedback database; nothing else a family types is written anywhere.
- Everything typed is shown as text: markdown and HTML in a message are escaped, and
  the chat sanitises HTML as well.

API: `/ask(question, history="[]")` returns the reply object exactly as
`smabot ask --json` prints it; `history` is a JSON list of earlier messages.
`/feedback(vote, question, history="[]", comment="")` stores 👍 ("up") or 👎 ("down") for
the reply the bot gives to that question now (recomputed here, never taken from the
caller) and returns `{"id": row}`.
"""

from __future__ import annotations

import json
from typing import Any

import gradio as gr

from bot.app.state import AppState
from bot.errors import SmabotError
from bot.reply import Quote, Reply, answer_markdown, escape_markdown
from bot.safety.messages import EMERGENCY_NUMBERS

INTRO = f"""## Questions about SMA, answered from trusted documents

This assistant answers questions about spinal muscular atrophy (SMA) **only with passages
quoted word for word** from a small set of documents, and shows where each quote comes
from and what kind of source it is. **It does not give medical advice:** for anything
about your child's own treatment, doses, tests or care, please ask your child's
neurologist or care team. **In an emergency, call {EMERGENCY_NUMBERS}.**"""

PRIVACY = (
    "**Privacy:** your messages are not saved. Only if you rate a reply with the thumbs-up "
    "or thumbs-down button under it are that question and reply (and a comment, if you add "
    "one) saved, so the clinic team can improve the answers."
)
HISTORY_TURNS = 4  # earlier messages sent along for follow-ups
N_RELATED = 3


def source_link(q: Quote) -> str:
    return f"/source/{q.doc_id}?start={q.start}&end={q.end}#quote"


def chat_markdown(reply: Reply) -> str:
    """How a reply looks in the chat (the API returns `reply.text` unchanged)."""
    if reply.kind == "answer":
        return answer_markdown(reply.quotes, reply.sources, reply.notes, [], link=source_link)
    if reply.kind in ("emergency", "refusal"):
        return f"<div class='smabot-{reply.kind}'>\n\n{reply.text}\n\n</div>"
    return reply.text


def build_chat(state: AppState) -> None:
    """The chat components and events; call inside a `gr.Blocks` context."""
    gr.Markdown(INTRO, elem_id="intro")
    examples = [{"text": q} for q in state.bot.data.suggestions[:4]]
    chatbot = gr.Chatbot(
        label="Chat",
        elem_id="chat",
        height=520,
        examples=examples,
        feedback_options=("Like", "Dislike"),
        sanitize_html=True,
        render_markdown=True,
        buttons=["copy"],
    )
    gr.Markdown(PRIVACY, elem_id="privacy")
    with gr.Row(equal_height=True):
        box = gr.Textbox(
            placeholder="Type a question about SMA…",
            show_label=False,
            scale=5,
            max_lines=6,
            elem_id="question",
            autofocus=True,
        )
        send = gr.Button("Send", variant="primary", scale=1, elem_id="send")
    related_label = gr.Markdown("**You could also ask:**", visible=False, elem_id="related-label")
    with gr.Row(elem_id="related"):
        related = [
            gr.Button(visible=False, size="sm", elem_classes="related") for _ in range(N_RELATED)
        ]
    with gr.Group(visible=False, elem_id="comment-box") as comment_box:
        comment = gr.Textbox(
            label="Add a comment to your feedback (optional)", max_lines=4, elem_id="comment"
        )
        comment_send = gr.Button("Send comment", size="sm", elem_id="comment-send")
    feedback_note = gr.Markdown(elem_id="feedback-note")
    asked = gr.State([])  # the family's messages so far, oldest first
    replies = gr.State([])  # reply objects, one per assistant message
    feedback_row = gr.State(None)  # the feedback row a comment belongs to

    def respond(message: str, chat: list, asked: list, replies: list):
        message = (message or "").strip()
        if not message:
            gr.Warning("Type a question first.")
            return (gr.skip(),) * len(outputs)
        try:
            reply = state.bot.answer(message, asked[-HISTORY_TURNS:])
        except SmabotError as err:
            gr.Warning(str(err))
            return (gr.skip(),) * len(outputs)
        chat = [
            *chat,
            {"role": "user", "content": escape_markdown(message)},
            {"role": "assistant", "content": chat_markdown(reply)},
        ]
        buttons = [gr.update(value=q, visible=True) for q in reply.suggestions[:N_RELATED]]
        buttons += [gr.update(visible=False)] * (N_RELATED - len(buttons))
        label = gr.update(visible=bool(reply.suggestions))
        return ("", chat, [*asked, message], [*replies, reply.to_json()], label, *buttons)

    outputs = [box, chatbot, asked, replies, related_label, *related]
    events = dict(outputs=outputs, concurrency_limit=4, api_visibility="private")
    box.submit(respond, [box, chatbot, asked, replies], **events)
    send.click(respond, [box, chatbot, asked, replies], **events)
    for button in related:
        button.click(respond, [button, chatbot, asked, replies], **events)

    def pick_example(data: gr.SelectData, chat: list, asked: list, replies: list):
        return respond(data.value["text"], chat, asked, replies)

    chatbot.example_select(pick_example, [chatbot, asked, replies], **events)

    def on_like(data: gr.LikeData, asked: list, replies: list):
        index = data.index[0] if isinstance(data.index, list | tuple) else data.index
        turn = index // 2  # messages alternate: user, assistant
        if data.liked is None or not 0 <= turn < len(replies):
            return gr.update(visible=False), None, ""
        row = state.feedback.add("up" if data.liked else "down", asked[turn], replies[turn])
        return (
            gr.update(visible=True),
            row,
            "Thank you: this question and reply were saved for the clinic team.",
        )

    chatbot.like(
        on_like,
        [asked, replies],
        [comment_box, feedback_row, feedback_note],
        api_visibility="private",
    )

    def on_comment(text: str, row: int | None):
        if row is None or not (text or "").strip():
            return gr.skip(), "Write a comment first, or just leave it."
        state.feedback.set_comment(row, text)
        return gr.update(value="", interactive=True), "Thank you: your comment was saved."

    comment_send.click(
        on_comment, [comment, feedback_row], [comment, feedback_note], api_visibility="private"
    )

    def reply_json(question: str, history: str) -> dict[str, Any]:
        try:
            return state.bot.answer(question, _history(history)).to_json()
        except SmabotError as err:
            raise gr.Error(str(err)) from err

    def ask(question: str, history: str = "[]") -> dict[str, Any]:
        """Answer `question` (history: a JSON list of earlier messages, oldest first).
        Returns the reply object exactly as `smabot ask --json` prints it."""
        return reply_json(question, history)

    def feedback(vote: str, question: str, history: str = "[]", comment: str = "") -> dict:
        """Store 👍 ("up") or 👎 ("down") for the bot's reply to `question`."""
        if vote not in ("up", "down"):
            raise gr.Error('vote must be "up" or "down".')
        reply = reply_json(question, history)
        return {"id": state.feedback.add(vote, question, reply, comment or None)}

    gr.api(ask, api_name="ask", concurrency_limit=4)
    gr.api(feedback, api_name="feedback", concurrency_limit=4)


def _history(raw: str) -> list[str]:
    try:
        earlier = json.loads(raw or "[]")
    except json.JSONDecodeError as err:
        raise gr.Error(f"history must be a JSON list of strings ({err.msg}).") from err
    if not isinstance(earlier, list) or not all(isinstance(h, str) for h in earlier):
        raise gr.Error("history must be a JSON list of strings.")
    return earlier
