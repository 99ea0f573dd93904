"""Reading documents: encodings, HTML, PDF, and broken files with clear messages."""

from __future__ import annotations

import codecs
import json
from pathlib import Path

import pytest

from bot.errors import DocumentError
from bot.ingest.corpus import load_corpus
from bot.ingest.formats import decode_text, extract
from bot.ingest.sources import read_metadata
from tests.pdfmaker import make_pdf

TEXT = "Zolgensma is given once.\r\nCafé — naïve “quotes”.\n"


@pytest.mark.parametrize(
    "data",
    [
        TEXT.encode("utf-8"),
        codecs.BOM_UTF8 + TEXT.encode("utf-8"),
        codecs.BOM_UTF16_LE + TEXT.encode("utf-16-le"),
        codecs.BOM_UTF16_BE + TEXT.encode("utf-16-be"),
    ],
)
def test_text_is_decoded_without_changing_a_character(data):
    assert decode_text("x.txt", data) == TEXT  # \r\n kept: offsets refer to the file as is


def test_legacy_encoding_is_detected():
    text = (
        "Spinal muscular atrophy affects motor neurons in the spinal cord. Café, naïve, déjà vu. "
        * 3
    )
    assert decode_text("x.txt", text.encode("cp1252")) == text


def test_binary_file_is_rejected_with_the_fix():
    with pytest.raises(DocumentError, match=r"binary.*UTF-8"):
        decode_text("x.txt", b"\x00\x01\x02PK\x03\x04")


def test_html_keeps_text_and_drops_scripts_and_navigation(tmp_path):
    html = """<html><head><title>t</title><script>alert(1)</script></head><body>
      <nav><a href="/">Home</a> <a href="/x">Treatments</a></nav>
      <header>Call us now</header>
      <main><h1>What is SMA?</h1>
        <p>Spinal muscular atrophy is a <b>genetic</b> disease of motor neurons.</p>
        <ul><li>weak muscles</li><li>trouble breathing</li></ul>
        <div role="navigation">Next article</div>
        <style>p {color: red}</style>
      </main><footer>© 2024 Clinic</footer></body></html>"""
    text = extract(tmp_path / "page.html", html.encode()).text
    assert "Spinal muscular atrophy is a genetic disease of motor neurons." in text
    assert "- weak muscles" in text and "- trouble breathing" in text
    for gone in ("alert", "Home", "Call us", "Next article", "color", "©"):
        assert gone not in text


def test_pdf_pages_are_kept_for_citations(tmp_path):
    data = make_pdf(
        [["Page one says SMA is genetic."], ["Page two says Zolgensma is an infusion."]]
    )
    extracted = extract(tmp_path / "leaflet.pdf", data)
    assert "SMA is genetic" in extracted.text and "Zolgensma is an infusion" in extracted.text
    assert len(extracted.page_starts) == 2
    second = extracted.text.index("Page two")
    assert (
        extracted.page_starts[0]
        <= extracted.text.index("Page one")
        < extracted.page_starts[1]
        <= second
    )


@pytest.mark.parametrize(
    "data, message",
    [
        (b"%PDF-1.4\n garbage garbage", "damaged or unreadable"),
        (b"not a pdf at all", "damaged or unreadable"),
        (make_pdf([[]]), "no text layer"),
    ],
)
def test_broken_pdf_says_what_is_wrong(tmp_path, data, message):
    with pytest.raises(DocumentError, match=message):
        extract(tmp_path / "broken.pdf", data)


def test_unsupported_type_names_the_supported_ones(tmp_path):
    with pytest.raises(DocumentError, match=r"\.docx.*\.txt, \.md, \.html"):
        extract(tmp_path / "notes.docx", b"PK")


def test_corpus_skips_a_broken_document_and_reports_it(write):
    folder = write("c/good.txt", "SMA is a genetic disease of the motor neurons.\n").parent
    write("c/bad.pdf", b"%PDF-1.4 broken")
    write("c/empty.md", "   \n")
    corpus = load_corpus(folder)
    assert [d.id for d in corpus.documents] == ["good"]
    assert any("bad.pdf" in p and "damaged" in p for p in corpus.problems)
    assert any("empty.md" in p and "no text" in p for p in corpus.problems)


def test_document_without_metadata_gets_sensible_defaults(write):
    folder = write(
        "c/leaflet.md", "# Living with SMA\n\nFamilies share their experience here.\n"
    ).parent
    doc = load_corpus(folder).documents[0]
    assert doc.meta.title == "Living with SMA"
    assert doc.meta.publisher == "unknown publisher" and doc.meta.kind == "other"


def test_bad_metadata_file_points_at_the_line_and_defaults_are_used(write):
    folder = write("c/sources.json", '{\n  "a": {"title": "x",}\n}').parent
    meta, problems = read_metadata(folder)
    assert meta == {} and "line 2" in problems[0] and "default metadata" in problems[0]
    write("c/sources.json", '{"a": {"title": "x", "kind": "blog"}}')
    meta, problems = read_metadata(folder)
    assert meta["a"].kind == "other" and meta["a"].title == "x"
    assert "entry 'a', field 'kind' = 'blog'" in problems[0] and "reviewed_drug_info" in problems[0]


@pytest.mark.parametrize(
    "entry, field",
    [
        ({"title": 42}, "title"),
        ({"reviewed": 20231229}, "reviewed"),
        ({"reviewed": "last spring"}, "reviewed"),
        ({"suggested_questions": "What is SMA?"}, "suggested_questions"),
        ({"kind": ["clinic_page"]}, "kind"),
        ({"colour": "blue"}, "colour"),
    ],
)
def test_a_wrong_field_is_named_and_the_document_keeps_its_defaults(write, entry, field):
    folder = write(
        "c/a.txt", "Spinal muscular atrophy is a genetic disease of motor neurons.\n"
    ).parent
    write("c/sources.json", json.dumps({"a": {"publisher": "Clinic", **entry}}))
    corpus = load_corpus(folder)
    assert [d.id for d in corpus.documents] == ["a"]
    assert corpus.documents[0].meta.publisher == "Clinic"
    assert any(f"field '{field}'" in p and "sources.json" in p for p in corpus.problems)


def test_entries_with_path_characters_or_without_a_file_are_reported(write):
    folder = write(
        "c/a.txt", "Spinal muscular atrophy is a genetic disease of motor neurons.\n"
    ).parent
    write("c/sources.json", json.dumps({"../etc/passwd": {"title": "x"}, "ghost": {}, "a": 7}))
    corpus = load_corpus(folder)
    text = " ".join(corpus.problems)
    assert "plain file name" in text and "'ghost': no document file" in text
    assert "'a': must be an object" in text and corpus.documents[0].meta.title


def test_project_metadata_describes_every_corpus_document():
    folder = Path(__file__).parent.parent / "corpus"
    corpus = load_corpus(folder)
    meta, problems = read_metadata(folder)
    assert {d.id for d in corpus.documents} == set(meta) and problems == []
    assert meta["zolgensma-is-it-a-cure"].kind_label == "medically reviewed drug information"
    assert meta["emcell-sma-stem-cell-treatment"].promotional
    assert not corpus.problems
