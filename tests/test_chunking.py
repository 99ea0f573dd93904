"""Chunks: token budgets, the model's own limit, exact spans, overlap, context."""

from __future__ import annotations

import itertools

import pytest

from bot.config import ChunkSettings
from bot.ingest.chunking import chunk_document, embedding_text, get_encoding
from bot.ingest.corpus import load_corpus
from bot.ingest.segment import segment
from tests.conftest import CORPUS

SETTINGS = ChunkSettings()


def _chunks(doc, embedder, settings=SETTINGS):
    return chunk_document(
        doc.id, doc.text, segment(doc.text), doc.meta.title, settings, embedder.fits
    )


@pytest.mark.parametrize("doc", load_corpus(CORPUS).documents, ids=lambda d: d.id)
def test_every_corpus_chunk_fits_the_budget_and_the_model(doc, embedder):
    enc = get_encoding(SETTINGS.encoding)
    chunks = _chunks(doc, embedder)
    assert chunks
    for c in chunks:
        body = doc.text[c.start : c.end]
        assert body == body.strip() and body
        assert len(enc.encode(body)) == c.n_tokens <= SETTINGS.max_tokens
        # what is embedded, context included, must not be cut by the model
        assert (
            embedder.n_tokens(embedding_text(doc.meta.title, c.heading, body))
            <= embedder.max_seq_length
        )


def test_consecutive_chunks_of_a_section_overlap(embedder):
    doc = next(d for d in load_corpus(CORPUS).documents if d.id == "neurolife-sma-rehabilitation")
    chunks = _chunks(doc, embedder, ChunkSettings(max_tokens=60, overlap_tokens=30))
    same_heading = [(a, b) for a, b in itertools.pairwise(chunks) if a.heading == b.heading]
    assert same_heading
    assert any(b.start < a.end for a, b in same_heading), "no overlap between neighbours"


def test_a_huge_paragraph_is_cut_to_fit_the_model(embedder, write):
    words = " ".join(f"motorneuron{i} survival protein" for i in range(400))  # one endless sentence
    text = f"Long document\nThis paragraph never ends {words}.\n"
    seg = segment(text)
    chunks = chunk_document(
        "long", text, seg, "Long document", ChunkSettings(max_tokens=1000), embedder.fits
    )
    assert len(chunks) > 2
    for c in chunks:
        assert embedder.fits(embedding_text("Long document", c.heading, text[c.start : c.end]))
    covered = "".join(text[c.start : c.end] for c in chunks)
    assert "motorneuron399" in covered and "motorneuron0 " in covered


def test_context_names_title_and_heading_once():
    assert (
        embedding_text("Doc", "Causes", "Causes\nSMN1 is missing.")
        == "Doc\nCauses\nSMN1 is missing."
    )
    assert embedding_text("Doc", "Causes", "SMN1 is missing.") == "Doc — Causes\nSMN1 is missing."
    assert embedding_text("Doc", None, "SMN1 is missing.") == "Doc\nSMN1 is missing."
