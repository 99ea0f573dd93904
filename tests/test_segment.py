"""Page furniture never becomes quotable; units are exact, self-contained spans."""

from __future__ import annotations

import re

import pytest

from bot.ingest.boilerplate import line_reason
from bot.ingest.segment import quotable_sentence, segment
from tests.conftest import CORPUS, corpus_text

# Leftovers from made-up pages, not from this corpus: the rules must generalise.
FURNITURE = [
    "Call us: +1 (555) 123-4567",
    "Tel. 020 7946 0958",
    "info@clinic.example",
    "www.clinic.example/contact",
    "Schedule your visit today",
    "Sign up for our newsletter",
    "Contact us",
    "Download the brochure",
    "Back to top",
    "Read more »",
    "See all",
    "Privacy policy",
    "© 2025 Example Clinic",
    "Written by Dr. Jane Roe",
    "Updated on March 3, 2024",
    "Fact-checked by the editorial team",
    "12.03.2024 | 14:00",
]
CONTENT = [
    "Call your doctor if your child has trouble breathing.",
    "Home ventilation is common in severe SMA.",
    "Contact with other families can help parents feel less alone.",
    "Muscle weakness is the main symptom.",
    "What is spinal muscular atrophy?",
]


@pytest.mark.parametrize("line", FURNITURE)
def test_web_leftovers_are_furniture(line):
    assert line_reason(line) is not None


@pytest.mark.parametrize("line", CONTENT)
def test_content_lines_are_kept(line):
    assert line_reason(line) is None


def test_menus_and_lone_promises_between_furniture_are_dropped():
    page = "\n".join(
        [
            "Services",
            "Diagnosis",
            "Therapy plans",
            "Our team",  # a menu: short non-sentences
            "What SMA is",
            "SMA is a genetic disease that weakens the muscles used for moving and breathing.",
            "Book an appointment",
            "We will answer your request within 24 hours.",  # sits under a button
            "Request a call back",
        ]
    )
    seg = segment(page)
    units = [page[u.start : u.end] for u in seg.units]
    assert units == [
        "SMA is a genetic disease that weakens the muscles used for moving and breathing."
    ]
    reasons = {page[ln.start : ln.end]: ln.reason for ln in seg.lines}
    assert reasons["Services"] == "menu or link list"
    assert reasons["We will answer your request within 24 hours."] == "between page furniture"


def test_link_sentences_are_not_quotable():
    assert not quotable_sentence(
        "Review the full prescribing information here, and ask your doctor."
    )
    assert not quotable_sentence("Click below to read our brochure about treatment options.")
    assert quotable_sentence("The review found that early treatment helps.")


def test_lists_are_quoted_with_their_lead_in_and_pointers_with_their_antecedent():
    text = (
        "Living with SMA\n"
        "Adults with SMA have other needs. Their main goals are independence and activity.\n"
        "Common problems include:\n- weak muscles;\n- tiredness;\n- breathing trouble.\n"
    )
    seg = segment(text)
    units = {text[u.start : u.end]: u for u in seg.units}
    assert (
        "Adults with SMA have other needs. Their main goals are independence and activity." in units
    )
    assert "Their main goals are independence and activity." not in units
    listing = "Common problems include:\n- weak muscles;\n- tiredness;\n- breathing trouble."
    assert units[listing].kind == "list"
    assert all(u.heading == "Living with SMA" for u in seg.units)


@pytest.mark.parametrize("path", sorted(CORPUS.glob("*.txt")), ids=lambda p: p.stem)
def test_corpus_units_are_exact_spans_and_never_furniture(path):
    text = corpus_text(path.stem)
    seg = segment(text)
    assert seg.units
    for piece in seg.pieces:
        assert text[piece.start : piece.end].strip() == text[piece.start : piece.end]
    for unit in seg.units:
        quote = text[unit.start : unit.end]
        assert quote and quote == quote.strip()
        assert not re.search(r"\+?\d[\d ]{8,}", quote), quote  # phone numbers
        for leftover in (
            "Request Info",
            "Skip to main content",
            "Book a free consultation",
            "Related support groups",
            "All news",
            "Medically reviewed by",
            "A doctor will review your documents",
            "Review the full Zolgensma",
        ):
            assert leftover not in quote
