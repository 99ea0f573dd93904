"""Cut a document's text into lines, sentences and quotable units, all as offsets.

Saved web pages keep one paragraph per line, so a non-blank line is the paragraph
unit here. Each line is one of:

- furniture: page leftovers (see `bot.ingest.boilerplate`), never quoted, never indexed;
- list item: starts with "-", "•", "*", "1." ...;
- prose: ends like a sentence; split into sentences with `sentencex`;
- heading: a short line that is not a sentence, followed by content; it becomes the
  context of what follows it;
- fragment: a short non-sentence line followed by no content (captions, labels).

Quotable units are what a reply may quote, each an exact span `text[start:end]`:

- `sentence`: a prose sentence that reads as one (enough words, mostly letters, not a
  dangling "... include:"); a sentence that opens by pointing back ("It works by ...",
  "Their goals are ...") is joined to the sentence before it, so the unit that is
  embedded and shown carries what "it" is;
- `list`: a lead-in sentence ending in ":" with its list items, as one passage;
- `item`: one list item that is a full thought on its own (six words or more).

Left out: tables, nested lists, languages other than English.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

import sentencex

from bot.ingest.boilerplate import (
    is_sentence_shaped,
    layout_reasons,
    line_reason,
    sentence_reason,
    words,
)

_LIST_MARKER = re.compile(r"^\s*(?:[-–•*·▪◦‣]|\d{1,2}[.)])\s+")
_MD_HEADING = re.compile(r"^\s*#{1,6}\s+")
MAX_HEADING_WORDS = 20
MAX_LIST_UNIT_WORDS = 110
MIN_ITEM_UNIT_WORDS = 6
_POINTS_BACK = re.compile(
    r"^(?:it|its|this|these|those|they|their|them|that|such|he|she|his|her|in addition|also|"
    r"however|therefore|thus|moreover|furthermore|as a result|because of this|for this reason)\b",
    re.I,
)

LineKind = Literal["furniture", "list_item", "prose", "heading", "fragment"]
PieceKind = Literal["heading", "sentence", "item"]
UnitKind = Literal["sentence", "list", "item"]


@dataclass(frozen=True)
class Line:
    start: int  # offsets of the line without surrounding whitespace
    end: int
    kind: LineKind
    reason: str | None = None  # why it is furniture or a fragment


@dataclass(frozen=True)
class Piece:
    """A stretch of content in reading order: what chunks are built from."""

    start: int
    end: int
    kind: PieceKind
    line: int  # index into `Segmented.lines`
    heading: str | None  # nearest heading above, as text


@dataclass(frozen=True)
class Unit:
    """A span a reply may quote."""

    start: int
    end: int
    kind: UnitKind
    line: int  # first line of the unit
    heading: str | None
    lead: tuple[int, int] | None = None  # list units: the lead-in sentence's span
    items: tuple[tuple[int, int], ...] = ()  # list units: each item's span


@dataclass(frozen=True)
class Segmented:
    lines: list[Line]
    pieces: list[Piece]
    units: list[Unit]


def segment(text: str) -> Segmented:
    spans = _line_spans(text)
    raw = [text[s:e] for s, e in spans]
    is_item = [bool(_LIST_MARKER.match(r)) for r in raw]
    reasons = layout_reasons(raw, [line_reason(r) for r in raw], is_item)
    kinds = _line_kinds(raw, reasons, is_item)
    lines = [
        Line(s, e, k, r if k in ("furniture", "fragment") else None)
        for (s, e), k, r in zip(spans, kinds, reasons, strict=True)
    ]

    pieces: list[Piece] = []
    units: list[Unit] = []
    heading: str | None = None
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.kind == "heading":
            heading = _MD_HEADING.sub("", text[line.start : line.end]).strip()
            pieces.append(Piece(line.start, line.end, "heading", i, heading))
        elif line.kind == "prose":
            previous: tuple[int, int] | None = None  # last quotable sentence of this line
            for s, e in _sentences(text, line.start, line.end):
                pieces.append(Piece(s, e, "sentence", i, heading))
                if quotable_sentence(text[s:e]):
                    start = previous[0] if previous and _POINTS_BACK.match(text[s:e]) else s
                    units.append(Unit(start, e, "sentence", i, heading))
                    previous = (s, e)
                else:
                    previous = None
        elif line.kind == "list_item":
            j = i
            while j + 1 < len(lines) and lines[j + 1].kind == "list_item":
                j += 1
            items = lines[i : j + 1]
            for k, item in enumerate(items, start=i):
                pieces.append(Piece(item.start, item.end, "item", k, heading))
                if len(words(text[item.start : item.end])) >= MIN_ITEM_UNIT_WORDS:
                    units.append(Unit(item.start, item.end, "item", k, heading))
            units.extend(_list_units(text, pieces, items, i, heading))
            i = j
        i += 1
    units.sort(key=lambda u: (u.start, u.end))
    return Segmented(lines, pieces, units)


def quotable_sentence(sentence: str) -> bool:
    """Reads as a sentence a family could be shown on its own."""
    ws = words(sentence)
    if sentence_reason(sentence) is not None:
        return False
    if len(ws) < 4 or sum(w[0].islower() for w in ws) < 2:
        return False
    visible = [c for c in sentence if not c.isspace()]
    if sum(c.isalpha() for c in visible) < 0.5 * len(visible):
        return False
    return not sentence.rstrip().endswith(":")  # a lead-in is quoted with its list


def _line_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of every non-blank line, without its surrounding whitespace."""
    spans = []
    for m in re.finditer(r"[^\n]+", text):
        chunk = m.group()
        stripped = chunk.strip()
        if stripped:
            start = m.start() + (len(chunk) - len(chunk.lstrip()))
            spans.append((start, start + len(stripped)))
    return spans


def _line_kinds(raw: list[str], reasons: list[str | None], is_item: list[bool]) -> list[LineKind]:
    kinds: list[LineKind] = []
    for r, reason, item in zip(raw, reasons, is_item, strict=True):
        if reason is not None:
            kinds.append("furniture")
        elif item:
            kinds.append("list_item")
        elif _MD_HEADING.match(r):
            kinds.append("heading")
        elif (is_sentence_shaped(r) and not r.rstrip().endswith("?")) or len(
            words(r)
        ) > MAX_HEADING_WORDS:
            kinds.append("prose")
        else:
            kinds.append("heading")  # provisional: confirmed below if content follows
    # A heading must lead (through further headings or furniture) to prose or a list.
    leads_to_content = False
    for i in range(len(kinds) - 1, -1, -1):
        if kinds[i] in ("prose", "list_item"):
            leads_to_content = True
        elif kinds[i] == "heading" and not leads_to_content:
            kinds[i] = "fragment"
            reasons[i] = "short line with no content after it"
    return kinds


def _sentences(text: str, start: int, end: int) -> list[tuple[int, int]]:
    out, cursor = [], start
    for part in sentencex.segment("en", text[start:end]):
        stripped = part.strip()
        if not stripped:
            cursor += len(part)
            continue
        s = text.index(stripped, cursor, end)
        out.append((s, s + len(stripped)))
        cursor = s + len(stripped)
    return out


def _list_units(
    text: str, pieces: list[Piece], items: list[Line], first: int, heading: str | None
) -> list[Unit]:
    """The lead-in sentence (if the line before ends in ':') through the items."""
    lead = None
    before = [p for p in pieces if p.kind == "sentence" and p.line == first - 1]
    if before and text[before[-1].start : before[-1].end].rstrip().endswith(":"):
        lead = before[-1]
    start = lead.start if lead else items[0].start
    lead_span = (lead.start, lead.end) if lead else None
    units, taken = [], 0
    line = lead.line if lead else first

    def unit(end_item: int, with_lead: bool) -> Unit:
        spans = tuple((it.start, it.end) for it in items[taken:end_item])
        return Unit(
            start,
            items[end_item - 1].end,
            "list",
            line,
            heading,
            lead_span if with_lead else None,
            spans,
        )

    for n, item in enumerate(items):
        if len(words(text[start : item.end])) > MAX_LIST_UNIT_WORDS and n > taken:
            units.append(unit(n, with_lead=taken == 0))
            start, taken, line = item.start, n, first + n
    if lead or len(items) > 1:
        units.append(unit(len(items), with_lead=taken == 0))
    return units


_MESSAGE_CUT = re.compile(r"(?<=[.?!])[\"')\]]*\s+|\n+")


def message_sentences(text: str) -> list[tuple[int, int]]:
    """Sentence spans (start, end) of a family's message: cut after . ? ! and at line
    breaks; a piece of one or two words joins its neighbour. Unpunctuated dictation stays
    one span. (Documents are cut by `segment`, with sentencex; a message is read by the
    message reader and `bot.answer.question.asking_part` with this simpler cut.)"""
    spans, start = [], 0
    for m in _MESSAGE_CUT.finditer(text):
        if m.start() > start:
            spans.append((start, m.start()))
        start = m.end()
    if start < len(text):
        spans.append((start, len(text)))
    spans = [(s, e) for s, e in spans if text[s:e].strip()]
    merged: list[tuple[int, int]] = []
    for s, e in spans:
        if merged and len(text[s:e].split()) <= 2:
            merged[-1] = (merged[-1][0], e)
        else:
            merged.append((s, e))
    if len(merged) > 1 and len(text[merged[0][0] : merged[0][1]].split()) <= 2:
        merged[:2] = [(merged[0][0], merged[1][1])]
    return merged or [(0, len(text))]
