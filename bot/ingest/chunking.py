"""Group a document's content into retrieval chunks sized in tiktoken tokens.

A chunk is a contiguous span `text[start:end]` made of whole pieces (sentences,
headings, list items; see `bot.ingest.segment`). Chunks:

- never cross a heading (a heading opens a new chunk) or page furniture;
- hold at most `max_tokens` tokens of `encoding`, and prefer to end at a paragraph
  boundary once they are three quarters full;
- repeat the last pieces of the previous chunk, up to `overlap_tokens`, so an answer
  that straddles a boundary is whole in one of them;
- are embedded with the document title and nearest heading in front
  (`embedding_text`), and must fit the embedding model's `max_seq_length` in the
  model's own tokenizer: a chunk that does not is split again (`fits`).

A single piece longer than `max_tokens` is cut at word boundaries. Left out: token
exactness at the seam of such a cut (it is measured in words, then re-checked).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from bot.config import ChunkSettings
from bot.ingest.segment import Piece, Segmented


@dataclass(frozen=True)
class Chunk:
    doc_id: str
    start: int
    end: int
    heading: str | None  # nearest heading above the chunk's first piece
    n_tokens: int  # tokens of text[start:end] in the chunk encoding


@lru_cache(maxsize=4)
def get_encoding(name: str):
    import tiktoken

    return tiktoken.get_encoding(name)


def embedding_text(title: str, heading: str | None, body: str) -> str:
    """What is embedded for a chunk: title and heading give the passage its topic."""
    context = (
        title
        if not heading or body.startswith(heading) or heading == title
        else (f"{title} — {heading}")
    )
    return f"{context}\n{body}"


def chunk_document(
    doc_id: str,
    text: str,
    seg: Segmented,
    title: str,
    settings: ChunkSettings,
    fits: Callable[[str], bool] | None = None,
) -> list[Chunk]:
    enc = get_encoding(settings.encoding)

    def count(s: int, e: int) -> int:
        return len(enc.encode(text[s:e], disallowed_special=()))

    chunks: list[Chunk] = []
    for section in _sections(seg):
        if all(p.kind == "heading" for p in section):
            continue  # a page title straight above another heading: nothing to retrieve
        pieces = [
            p for piece in section for p in _split_long(text, piece, settings.max_tokens, count)
        ]
        for window in _windows(pieces, settings, count):
            chunks.extend(_fit(doc_id, text, window, title, count, fits))
    return chunks


def _sections(seg: Segmented) -> list[list[Piece]]:
    """Runs of pieces between headings and furniture."""
    sections: list[list[Piece]] = []
    current: list[Piece] = []
    for piece in seg.pieces:
        gap = current and any(
            seg.lines[i].kind in ("furniture", "fragment")
            for i in range(current[-1].line + 1, piece.line)
        )
        if current and (piece.kind == "heading" or gap):
            sections.append(current)
            current = []
        current.append(piece)
    if current:
        sections.append(current)
    return sections


def _split_long(text: str, piece: Piece, max_tokens: int, count) -> list[Piece]:
    if count(piece.start, piece.end) <= max_tokens:
        return [piece]
    out, start = [], piece.start
    bounds = [m.end() for m in re.finditer(r"\S+", text[piece.start : piece.end])]
    last = 0
    for i, b in enumerate(bounds):
        end = piece.start + b
        if count(start, end) > max_tokens and i > last:
            cut = piece.start + bounds[i - 1]
            out.append(Piece(start, cut, piece.kind, piece.line, piece.heading))
            start = cut + len(text[cut:end]) - len(text[cut:end].lstrip())
            last = i
    out.append(Piece(start, piece.end, piece.kind, piece.line, piece.heading))
    return out


def _windows(pieces: list[Piece], settings: ChunkSettings, count) -> list[list[Piece]]:
    windows: list[list[Piece]] = []
    window: list[Piece] = []
    for piece in pieces:
        size = count(window[0].start, piece.end) if window else 0
        full = count(window[0].start, window[-1].end) if window else 0
        new_paragraph = bool(window) and piece.line != window[-1].line
        if window and (
            size > settings.max_tokens or (new_paragraph and full >= 0.75 * settings.max_tokens)
        ):
            windows.append(window)
            keep: list[Piece] = []
            for prev in reversed(window):
                if (
                    prev.kind == "heading"
                    or count(prev.start, window[-1].end) > settings.overlap_tokens
                ):
                    break
                keep.insert(0, prev)
            if keep and count(keep[0].start, piece.end) > settings.max_tokens:
                keep = []
            window = keep
        window.append(piece)
    if window:
        windows.append(window)
    return windows


def _fit(doc_id, text, window, title, count, fits) -> list[Chunk]:
    start, end = window[0].start, window[-1].end
    if fits is not None and not fits(embedding_text(title, window[0].heading, text[start:end])):
        if len(window) > 1:
            mid = len(window) // 2
            return _fit(doc_id, text, window[:mid], title, count, fits) + _fit(
                doc_id, text, window[mid:], title, count, fits
            )
        half = Piece(
            start, start + (end - start) // 2, window[0].kind, window[0].line, window[0].heading
        )
        cut = (
            text.rfind(" ", start, half.end)
            if text.rfind(" ", start, half.end) > start
            else half.end
        )
        left = Piece(start, cut, half.kind, half.line, half.heading)
        right = Piece(cut + 1, end, half.kind, half.line, half.heading)
        return _fit(doc_id, text, [left], title, count, fits) + _fit(
            doc_id, text, [right], title, count, fits
        )
    return [Chunk(doc_id, start, end, window[0].heading, count(start, end))]
