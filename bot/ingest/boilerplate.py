"""Rules that recognise web-page leftovers, so they never become quotable text.

Saved web pages carry phone numbers, "Skip to main content", "Request Info", menus,
bylines and footers. Two kinds of rule decide what is furniture, both written for
pages in general rather than for the strings in this corpus:

1. Line rules (`line_reason`), on one line's text alone: mostly digits or symbols,
   contact details (phone, e-mail, bare link), a short line that opens with a
   call-to-action verb ("Book ...", "Request ...", "Sign up ..."), a short navigation
   phrase ("Back to top", "All news", "Read more"), a byline ("Reviewed by ...",
   "Last updated on ..."); and, for single sentences, link text ("Review the full
   information here").
2. Layout rules (`layout_reasons`), on a page's sequence of lines: a run of three or
   more short lines that are not sentences is a menu or link list; a lone sentence
   between furniture (or between furniture and the page's edge) belongs to it, like the
   promise under a "Book a consultation" button.

Left out: language-specific word lists beyond English, and judging content by topic
(a clinic's claims are kept: they are content, labelled by the source's kind).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)
_PHONE = re.compile(
    r"(?:\+|\b00)\d[\d\s().\-/]{6,}\d|\(\d{2,4}\)\s*\d{3}[\s\-.]?\d{3,4}|\btel[.:]", re.I
)
_EMAIL_OR_URL = re.compile(r"^\S+@\S+\.\w+$|^(?:https?://|www\.)\S+$", re.I)
_CTA_VERBS = (
    "book",
    "request",
    "call",
    "contact",
    "schedule",
    "sign up",
    "sign in",
    "subscribe",
    "register",
    "log in",
    "login",
    "download",
    "share",
    "print",
    "apply",
    "order",
    "buy",
    "get started",
    "get in touch",
    "send",
    "submit",
    "enquire",
    "inquire",
    "ask a question",
    "chat with",
    "make an appointment",
    "join",
    "donate",
    "follow us",
    "click",
)
_CTA = re.compile(r"^(?:" + "|".join(re.escape(v) for v in _CTA_VERBS) + r")\b", re.I)
_NAV = re.compile(
    r"^(?:skip to\b.*|back to (?:top|home)\b.*|(?:all|more|latest|other|related)\s+"
    r"(?:news|articles|posts|stories|services|diagnoses|questions|topics|resources)\b.*|"
    r"read more|learn more|see (?:all|more)|view (?:all|more)|show more|home|menu|next|"
    r"previous|prev|close|search|cookies?(?: settings| policy)?|privacy(?: policy)?|"
    r"terms(?: of use| and conditions)?|sitemap|copyright\b.*|©.*|all rights reserved\.?)$",
    re.I,
)
_BYLINE = re.compile(
    r"^(?:(?:medically\s+|clinically\s+)?(?:reviewed|written|edited|fact[- ]checked|authored)"
    r"\s+by\b|(?:last\s+)?(?:updated|modified|reviewed)\s+(?:on\s+)?[A-Z0-9]|"
    r"(?:published|posted)\s+(?:on|by)\b)",
    re.I,
)
_ADDRESSES_READER = re.compile(r"\b(?:you|your|yours|we|our|us)\b", re.I)
SENTENCE_END = re.compile(r"[.!?;:…][\"'”’)\]]*$")
# An imperative that points at a link: "Review the full information here", "Click below".
_LINK_TEXT = re.compile(
    r"^(?:review|read|see|click|tap|visit|learn|find out|download|view|check out|go to)\b"
    r".{0,120}\b(?:here|below|above|this link|the link|our website|this page)\b",
    re.I | re.S,
)


def words(text: str) -> list[str]:
    return _WORD.findall(text)


def is_sentence_shaped(line: str) -> bool:
    """Ends the way a sentence (or a list lead-in) ends."""
    return bool(SENTENCE_END.search(line.rstrip()))


def line_reason(line: str) -> str | None:
    """Why this line (stripped) is page furniture, or None if it may be content."""
    text = line.strip()
    if not text:
        return None
    visible = [c for c in text if not c.isspace()]
    letters = sum(c.isalpha() for c in visible)
    n_words = len(words(text))
    if letters < 0.5 * len(visible):
        return "mostly digits or symbols"
    if _PHONE.search(text) and n_words <= 12:
        return "contact details"
    if _EMAIL_OR_URL.match(text):
        return "contact details"
    if n_words <= 8 and not is_sentence_shaped(text) and _CTA.match(text):
        return "call to action"
    if n_words <= 6 and _NAV.match(text.rstrip(" .»›>→")):
        return "navigation"
    if _BYLINE.match(text) and n_words <= 20:
        return "byline"
    return None


def sentence_reason(sentence: str) -> str | None:
    """Why one sentence inside a content line is still furniture (link text), or None."""
    return "link text" if _LINK_TEXT.match(sentence.strip()) else None


def layout_reasons(
    lines: Sequence[str], reasons: Sequence[str | None], is_list_item: Sequence[bool]
) -> list[str | None]:
    """Extend per-line `reasons` with the layout rules. Blank lines must be removed first."""
    out = list(reasons)
    n = len(lines)
    # A run of >= 3 short non-sentence lines (furniture in between doesn't break it).
    run: list[int] = []

    def close_run() -> None:
        if len(run) >= 3:
            for j in run:
                out[j] = "menu or link list"
        run.clear()

    for i in range(n):
        if out[i] is not None:
            continue
        if not is_list_item[i] and not is_sentence_shaped(lines[i]) and len(words(lines[i])) <= 14:
            run.append(i)
        else:
            close_run()
    close_run()
    # A lone line speaking to the reader, with furniture (or the page edge) on both sides.
    for i in range(n):
        line = lines[i].rstrip()
        if out[i] is not None or is_list_item[i] or not is_sentence_shaped(line):
            continue
        if line.endswith("?") or not _ADDRESSES_READER.search(line):
            continue  # question lines are titles; plain statements are content
        before = i == 0 or out[i - 1] is not None
        after = i == n - 1 or out[i + 1] is not None
        if before and after and len(words(line)) <= 25:
            out[i] = "between page furniture"
    return out
