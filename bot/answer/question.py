"""Reading a family's message before anything is retrieved.

- `clean`: text fit to answer (control characters and broken surrogates removed,
  NFC-normalised, cut at the length limit with a note), or `QuestionError`.
- `is_follow_up`: a short message that leans on the previous one ("how is it given?",
  "and for type 2?").

Left out: questions in languages other than English.
"""

from __future__ import annotations

import re
import unicodedata

from bot.errors import QuestionError

_FOLLOW_UP = re.compile(
    r"^\s*(?:and|but|or|so|also|what about|how about|what if|same for|is that|does that|"
    r"can it|is it|does it|how is it|how does it|why is it|what is it)\b",
    re.I,
)
POINTER = re.compile(r"\b(?:it|its|they|them|their|this|that|these|those|he|she|him|her)\b", re.I)


def clean(question: object, limit: int) -> tuple[str, list[str]]:
    """Text fit to answer, plus notes for the family; QuestionError if there is none."""
    if not isinstance(question, str):
        raise QuestionError("The question must be text.")
    cut = len(question) > 4 * limit  # only the start is read: cost stays bounded
    text = question[: 4 * limit].encode("utf-8", "replace").decode("utf-8")  # lone surrogates
    text = "".join(ch for ch in text if ch in "\n\t" or unicodedata.category(ch)[0] != "C")
    text = unicodedata.normalize("NFC", text).strip()
    if not text:
        raise QuestionError("The question is empty.", "Type a question about SMA.")
    notes = []
    if len(text) > limit or cut:
        text = text[:limit]
        notes.append(
            f"Your message is longer than {limit:,} characters; "
            f"I answered from its first {limit:,}."
        )
    return text, notes


def is_follow_up(question: str) -> bool:
    n_words = len(question.split())
    return bool(_FOLLOW_UP.match(question)) or (n_words <= 12 and bool(POINTER.search(question)))
