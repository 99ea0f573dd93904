"""After a rebuild, which replies changed: "What changed" in the staff view.

Before the new index goes live, the checked questions (the dev set's, and any questions
staff saved in "Test a question") are asked of the current bot; afterwards, of the new
one. A question is listed when its reply's kind changed ("answered" → "the documents
don't say") or its first quote did (another passage, or the same passage from another
document), with before → after in plain words, kind changes first.

Left out: whether a change is better or worse (staff judge that; the evaluation tab
scores against expectations), and quotes after the first.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from bot.errors import SmabotError
from bot.reply import Reply

Question = tuple[str, tuple[str, ...]]  # (question, earlier messages)
SAID = {
    "answer": "answered",
    "no_answer": "the documents don't say",
    "refusal": "refused as medical advice",
    "emergency": "emergency reply",
    "out_of_scope": "outside what the chat covers",
    None: "no reply (the question could not be taken)",
}
SHOWN = 40  # changes listed; the rest are counted
QUOTE_CHARS = 160


@dataclass(frozen=True)
class Said:
    """What one reply said, as much as "What changed" compares and shows."""

    kind: str | None
    doc_id: str | None = None
    title: str | None = None
    kind_label: str | None = None
    quote: str | None = None
    span: tuple[int, int] | None = None

    @classmethod
    def of(cls, reply: Reply | None) -> Said:
        if reply is None:
            return cls(None)
        if not reply.quotes:
            return cls(reply.kind)
        q = reply.quotes[0]
        source = next((s for s in reply.sources if s.marker == q.marker), None)
        return cls(
            reply.kind,
            q.doc_id,
            source.title if source else q.title,
            source.kind_label if source else None,
            q.text.strip(),
            (q.start, q.end),
        )

    def key(self) -> tuple:
        return (self.kind, self.doc_id, self.span)

    def words(self, whole: bool = False) -> str:
        """'answered, first quote from “Title” (kind): “…”' (`whole`: the quote untrimmed)."""
        said = SAID.get(self.kind, str(self.kind))
        if self.quote is None:
            return said.capitalize()
        short = len(self.quote) <= QUOTE_CHARS or whole
        quote = self.quote if short else self.quote[:QUOTE_CHARS] + "…"
        kind = f" ({self.kind_label})" if self.kind_label else ""
        return f"{said.capitalize()}, first quote from “{self.title}”{kind}: “{quote}”"


@dataclass(frozen=True)
class Change:
    question: str
    history: tuple[str, ...]
    before: Said
    after: Said

    @property
    def kind_changed(self) -> bool:
        return self.before.kind != self.after.kind

    def words(self) -> tuple[str, str]:
        """(before, after) in words; quotes in full when they differ only past the trim."""
        b, a = self.before, self.after
        whole = b.words() == a.words()
        return b.words(whole), a.words(whole)


def ask_all(
    answer: Callable[[str, Sequence[str]], Reply], questions: Iterable[Question]
) -> list[Said]:
    """What the bot says to each question; a question it can't take is 'no reply'."""
    out = []
    for question, history in questions:
        try:
            out.append(Said.of(answer(question, history)))
        except SmabotError:
            out.append(Said.of(None))
    return out


def compare(questions: Sequence[Question], before: list[Said], after: list[Said]) -> list[Change]:
    """The questions whose reply kind or first quote changed, kind changes first."""
    changes = [
        Change(q, tuple(h), b, a)
        for (q, h), b, a in zip(questions, before, after, strict=True)
        if b.key() != a.key()
    ]
    return sorted(changes, key=lambda c: not c.kind_changed)


def changes_html(changes: list[Change], checked: int) -> str:
    """The list staff read after a rebuild."""
    e = html.escape
    if not changes:
        return (
            f'<div class="what-changed"><h3>What changed</h3><p>No reply changed: the '
            f"{checked} checked questions get the same kind of reply and the same first "
            "quote as before.</p></div>"
        )
    n = len(changes)
    kinds = sum(c.kind_changed for c in changes)
    items = []
    for c in changes[:SHOWN]:
        earlier = (
            f'<p class="earlier">After: {e(" / ".join(f"“{h}”" for h in c.history))}</p>'
            if c.history
            else ""
        )
        before, after = c.words()
        items.append(
            f"<li><p class='asked'>“{e(c.question)}”</p>{earlier}"
            f"<p><strong>Before:</strong> {e(before)}</p>"
            f"<p><strong>Now:</strong> {e(after)}</p></li>"
        )
    more = f"<p>…and {n - SHOWN} more.</p>" if n > SHOWN else ""
    return (
        f'<div class="what-changed"><h3>What changed</h3><p><strong>{n} of {checked} checked '
        f"question{'s' * (checked != 1)} now get a different reply</strong> ({kinds} a different "
        f"kind of reply, {n - kinds} a different first quote). Read each: is it better or "
        f"worse for a family?</p><ol>{''.join(items)}</ol>{more}</div>"
    )
