"""What the bot says: a `Reply` with its kind, quotes, sources, and two renderings.

`Reply.text` is markdown (the app shows it; `smabot ask --json` prints it);
`Reply.plain()` is for the terminal. Quote text is never altered: markdown escaping
happens only in the rendering, and `Quote.text` is always `document[start:end]`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

ReplyKind = Literal["answer", "no_answer", "refusal", "emergency", "out_of_scope"]

DISCLAIMER = (
    "This is information quoted from the sources above, not medical advice. "
    "Your child's neurologist or care team can say what it means for your child."
)


@dataclass(frozen=True)
class Source:
    marker: int  # the [n] shown after quotes from this source
    doc_id: str
    title: str
    publisher: str
    kind: str
    kind_label: str
    promotional: bool
    reviewed: str | None = None
    url: str | None = None


@dataclass(frozen=True)
class Quote:
    text: str  # exactly document_text[start:end]
    doc_id: str
    title: str
    start: int
    end: int
    score: float
    marker: int
    page: int | None = None  # PDF page holding `start`


@dataclass
class Reply:
    kind: ReplyKind
    text: str  # markdown, as shown
    quotes: list[Quote] = field(default_factory=list)
    sources: list[Source] = field(default_factory=list)
    notes: list[str] = field(
        default_factory=list
    )  # e.g. "answered from the first 2,000 characters"
    latency_ms: float = 0.0
    safety: dict[str, Any] | None = None  # the decision and its reason (bot.safety)
    suggestions: list[str] = field(default_factory=list)  # questions the documents can answer
    debug: dict[str, Any] = field(default_factory=dict)  # retrieval details for staff
    index_version: str | None = None

    def to_json(self, *, include_debug: bool = False) -> dict[str, Any]:
        data = {
            "kind": self.kind,
            "text": self.text,
            "quotes": [asdict(q) for q in self.quotes],
            "sources": [asdict(s) for s in self.sources],
            "notes": self.notes,
            "suggestions": self.suggestions,
            "safety": self.safety,
            "index_version": self.index_version,
            "latency_ms": round(self.latency_ms, 2),
        }
        if include_debug:
            data["debug"] = self.debug
        return data

    def plain(self) -> str:
        """A terminal rendering: quotes in curly quotes, sources listed, no markdown."""
        lines = [f"({n})" for n in self.notes]
        if self.kind != "answer":
            lines.append(_strip_markdown(self.text))
            return "\n".join(lines)
        for q in self.quotes:
            lines.append(f"“{q.text.strip()}” [{q.marker}]\n")
        lines.append("Sources:")
        lines += [f"  [{s.marker}] {source_line(s)}" for s in self.sources]
        lines.append("")
        lines.append(DISCLAIMER)
        if self.suggestions:
            lines.append("\nYou could also ask: " + " · ".join(self.suggestions))
        return "\n".join(lines)


def source_line(s: Source) -> str:
    reviewed = f", reviewed {s.reviewed}" if s.reviewed else ""
    return f"{s.title} — {s.publisher} ({s.kind_label}{reviewed})"


def answer_markdown(
    quotes: list[Quote],
    sources: list[Source],
    notes: list[str],
    suggestions: list[str],
    link: Callable[[Quote], str] | None = None,
) -> str:
    """The answer as markdown; with `link`, each quote's marker links to that passage."""
    parts = [f"*{escape_markdown(n)}*" for n in notes]
    parts.append("Here is what the documents say:")
    for q in quotes:
        body = "\n".join(
            f"> {escape_markdown(line)}" if line.strip() else ">"
            for line in q.text.strip().split("\n")
        )
        page = f", page {q.page}" if q.page else ""
        marker = f"[{q.marker}{page}]"
        if link:
            marker = f'[\\{marker[:-1]}\\]]({link(q)} "show this passage in its document")'
        parts.append(f"{body} **{marker}**")
    parts.append(
        "**Sources**\n\n"
        + "\n".join(
            f"{s.marker}. *{escape_markdown(s.title)}* — {escape_markdown(s.publisher)}. "
            f"**{s.kind_label.capitalize()}**"
            + (f", reviewed {s.reviewed}" if s.reviewed else "")
            + (
                "  \n   ⚠️ A clinic's own page: it promotes the treatment it sells."
                if s.promotional
                else ""
            )
            for s in sources
        )
    )
    parts.append(f"*{DISCLAIMER}*")
    if suggestions:
        parts.append(
            "You could also ask: " + " · ".join(f"“{escape_markdown(x)}”" for x in suggestions)
        )
    return "\n\n".join(parts)


_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>#|~])")


def escape_markdown(text: str) -> str:
    """Show `text` literally in markdown: nothing in it becomes markup or HTML."""
    return _MD_SPECIAL.sub(r"\\\1", text)


def _strip_markdown(text: str) -> str:
    """Markdown (as this module writes it) back to plain text: emphasis off, escapes undone."""
    text = re.sub(r"(?<!\\)\[([^\]]+)\]\((?:tel|https?):[^)\s]*\)", r"\1", text)  # links
    text = re.sub(r"(?<!\\)[*_]{1,2}", "", text)
    return re.sub(r"\\([\\`*_{}\[\]<>#|~])", r"\1", text)
