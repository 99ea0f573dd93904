"""The fault suite: bad input, bad documents, damaged indexes and concurrent writers.

Every case says what should happen and checks it; none may end in a traceback or lose
data. The app cases run against a real `python app.py` (tests/app_server.py).
"""

from __future__ import annotations

import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import threading
import urllib.error
import urllib.request
import zlib
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.app.feedback import FeedbackStore
from bot.bot import Bot
from bot.cli import main
from bot.config import PROJECT_ROOT, Config
from bot.errors import DocumentError, IndexCorrupt, IndexMissing, QuestionError
from bot.index.versions import current_version
from bot.ingest.corpus import add_document, load_corpus
from bot.ingest.sources import SourceMeta
from bot.reply import escape_markdown
from tests import app_server

SMA = "Spinal muscular atrophy is a genetic disease that weakens the muscles of children.\n"


# --- questions ---------------------------------------------------------------------------


@pytest.mark.parametrize("question", ["", "   \n\t ", "\x00\x01\x02"])
def test_empty_questions_get_a_clear_message(bot, question):
    with pytest.raises(QuestionError, match="empty"):
        bot.answer(question)


@pytest.mark.parametrize("size", [1_000_000, 10_000_000])
def test_huge_questions_are_answered_from_their_start(bot, size):
    question = "What is SMA type 2? " + "x" * size
    reply = bot.answer(question)
    assert reply.kind in ("answer", "no_answer") and "first 2,000" in reply.notes[0]


def test_nul_and_control_characters_are_removed(bot):
    reply = bot.answer("What\x00 is SMA\x07 type 2?\x1b")
    assert reply.kind == "answer" and "\x00" not in reply.debug["query"]


@pytest.mark.parametrize("question", ["ما هو ضمور العضلات الشوكي؟ SMA", "is sma 🧬 genetic? 🙏🙏"])
def test_right_to_left_and_emoji_do_not_break_anything(bot, question):
    assert bot.answer(question).kind in ("answer", "no_answer", "out_of_scope")


def test_history_must_be_text_and_only_its_end_is_read(bot):
    with pytest.raises(QuestionError, match="history"):
        bot.answer("how is it given?", history=[1, 2])  # type: ignore[list-item]
    with pytest.raises(QuestionError, match="history"):
        bot.answer("how is it given?", history="Is Zolgensma a cure?")  # type: ignore[arg-type]
    long = ["What is SMA?"] * 1000 + ["Is Zolgensma a cure for SMA?"]
    assert bot.answer("how is it given?", history=long).kind == "answer"


@pytest.mark.parametrize(
    "payload",
    [
        "<script>alert('x')</script>",
        "<img src=x onerror=alert(1)>",
        "[click me](javascript:alert(1))",
        "**bold** `code` # heading | table |",
    ],
)
def test_markup_in_a_message_is_shown_as_text(payload):
    shown = escape_markdown(payload)
    # every character markdown or HTML would act on is escaped, so it shows as itself
    assert re.search(r"(?<!\\)[<>\[\]*`#|]", shown) is None, shown


def test_invalid_utf8_on_ask_jsonl_stdin_is_one_clear_error(built):
    flags = ["--corpus", str(built.corpus_dir), "--index", str(built.index_dir)]
    result = CliRunner().invoke(main, ["ask", *flags, "--jsonl", "-"], input=b"\xff\xfe{bad\n")
    assert result.exit_code != 0 and "not UTF-8" in result.output
    assert "Traceback" not in result.output


# --- documents ---------------------------------------------------------------------------


def _pdf_bomb() -> bytes:
    """A one-page PDF whose content stream inflates to ~50 MB of text operators."""
    stream = zlib.compress(b"BT /F1 12 Tf 10 10 Td (a) Tj ET\n" * 1_600_000, 9)
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for i, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


BAD_DOCUMENTS = {
    "empty.txt": b"",
    "binary.txt": bytes(range(256)) * 40,
    "latin.txt": ("Atrophie musculaire spinale : déficit du gène SMN1, très fréquent. " * 3).encode(
        "latin-1"
    ),  # not UTF-8: decoded by its detected encoding
    "broken.pdf": b"%PDF-1.4 not really a pdf",
    "bomb.pdf": _pdf_bomb(),
    "weird name (1) ☃.txt": SMA.encode(),
}


def test_bad_documents_are_left_out_with_a_reason_and_the_rest_indexed(write, monkeypatch):
    monkeypatch.setenv("SMABOT_MAX_DOCUMENT_MB", "1")
    folder = write("c/good.txt", SMA).parent
    for name, data in BAD_DOCUMENTS.items():
        write(f"c/{name}", data)
    corpus = load_corpus(folder)
    ids = {d.id for d in corpus.documents}
    assert {"good", "weird name (1) ☃", "latin"} <= ids
    problems = " ".join(corpus.problems)
    for name in ("empty.txt", "binary.txt", "broken.pdf", "bomb.pdf"):
        assert name in problems, (name, corpus.problems)
    bomb = next(p for p in corpus.problems if "bomb.pdf" in p)
    assert "over the 1 MB limit" in bomb or "damaged or unreadable" in bomb  # never read whole


def test_an_encrypted_pdf_is_named(write):
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(200, 200)
    writer.encrypt("secret")
    path = write("c/locked.pdf", b"")
    with path.open("wb") as f:
        writer.write(f)
    corpus = load_corpus(path.parent)
    assert any("locked.pdf" in p and "encrypted" in p for p in corpus.problems)


def test_a_document_over_the_size_limit_is_skipped_before_it_is_read(write, monkeypatch):
    monkeypatch.setenv("SMABOT_MAX_DOCUMENT_MB", "0.01")
    folder = write("c/huge.txt", SMA * 500).parent
    write("c/small.txt", SMA)
    corpus = load_corpus(folder)
    assert [d.id for d in corpus.documents] == ["small"]
    assert any("huge.txt" in p and "SMABOT_MAX_DOCUMENT_MB" in p for p in corpus.problems)


@pytest.mark.parametrize("name", ["../../evil.txt", "/etc/passwd.txt", "..\\..\\x.txt"])
def test_an_upload_name_cannot_leave_the_corpus_folder(tmp_path, name):
    folder = tmp_path / "corpus"
    folder.mkdir()
    doc = add_document(folder, name, SMA.encode(), SourceMeta(title="t"))
    assert (folder / doc.filename).exists() and ".." not in doc.filename
    assert not (tmp_path / "evil.txt").exists()


def test_an_upload_with_an_odd_type_is_refused(tmp_path):
    with pytest.raises(DocumentError, match="unsupported file type"):
        add_document(tmp_path, "x.exe", b"MZ", SourceMeta(title="t"))


# --- indexes -----------------------------------------------------------------------------

INDEX_FILES = [
    "manifest.json",
    "documents.json",
    "chunks.json",
    "units.json",
    "chunk_vectors.npy",
    "unit_views.json",
    "view_vectors.npy",
    "chunks.faiss",
    "lexical/lexical.json",
    "safety.npz",
    "suggestions.json",
    "suggestion_vectors.npy",
]


@pytest.mark.parametrize("name", INDEX_FILES)
def test_a_corrupt_file_in_any_part_of_the_index_is_named(scratch_built, embedder, name):
    path = current_version(scratch_built.index_dir) / name
    data = bytearray(path.read_bytes())
    data[len(data) // 2 : len(data) // 2 + 8] = b"\x00garbage"
    path.write_bytes(bytes(data))
    with pytest.raises(IndexCorrupt) as err:
        Bot.load(scratch_built, embedder=embedder)
    assert "smabot index" in str(err.value)


def test_a_missing_current_pointer_says_how_to_build(scratch_built, embedder):
    (scratch_built.index_dir / "CURRENT").unlink()
    with pytest.raises(IndexMissing, match="smabot index"):
        Bot.load(scratch_built, embedder=embedder)


# --- feedback ----------------------------------------------------------------------------


def test_twenty_writers_at_once_lose_no_feedback(tmp_path):
    store = FeedbackStore(tmp_path / "fb.sqlite3")
    reply = {"kind": "answer", "text": "t"}

    def writer(n: int) -> None:
        own = FeedbackStore(tmp_path / "fb.sqlite3")
        for i in range(50):
            own.add("up", f"question {n}-{i}", reply)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with sqlite3.connect(store.path) as db:
        assert db.execute("SELECT COUNT(*) FROM feedback").fetchone()[0] == 1000


def test_kill_9_while_writing_feedback_leaves_a_sound_database(tmp_path):
    db = tmp_path / "fb.sqlite3"
    code = (
        f"import sys; sys.path.insert(0, {str(PROJECT_ROOT)!r})\n"
        "from bot.app.feedback import FeedbackStore\n"
        f"from pathlib import Path; s = FeedbackStore(Path({str(db)!r}))\n"
        "print('ready', flush=True)\n"
        "while True: s.add('down', 'q' * 5000, {'kind': 'answer', 'text': 'x' * 5000})\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE)
    assert proc.stdout.readline().strip() == b"ready"
    threading.Event().wait(1.0)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("SELECT COUNT(*) FROM feedback").fetchone()[0] > 0
    FeedbackStore(db).add("up", "after the crash", {"kind": "answer"})


# --- the running app ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def server(built, tmp_path_factory):
    srv = app_server.start(built, tmp_path_factory.mktemp("faults"))
    yield srv
    srv.stop()


def _post(url: str, body: bytes, content_type: str = "application/json") -> tuple[int, dict]:
    req = urllib.request.Request(url, data=body, headers={"Content-Type": content_type})
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read() or b"{}")


@pytest.mark.app
def test_the_api_answers_and_checks_its_arguments(server):
    url = f"{server.url}api/ask"
    status, reply = _post(url, json.dumps({"question": "What is SMA type 2?"}).encode())
    assert status == 200 and reply["kind"] == "answer"
    for body, fragment in [
        ({"question": "q", "history": "not a list"}, "history"),
        ({"question": "q", "history": [1, 2]}, "history"),
        ({"question": "q", "history": ["x"] * 1000}, "at most 50"),
        ({"question": 7}, "question"),
        ({"question": "q", "extra": 1}, "extra"),
    ]:
        status, reply = _post(url, json.dumps(body).encode())
        assert status == 422 and fragment in reply["error"], (body, reply)
    status, reply = _post(url, json.dumps({"question": "   "}).encode())
    assert status == 400 and "empty" in reply["error"]


@pytest.mark.app
@pytest.mark.parametrize("size", [100_000, 1_000_000, 10_000_000])
def test_a_huge_request_is_refused_before_it_is_read(server, size):
    body = json.dumps({"question": "x" * size}).encode()
    for path in ("api/ask", "gradio_api/call/ask"):
        try:
            status, reply = _post(f"{server.url}{path}", body)
        except urllib.error.URLError as err:  # refused while the client was still sending
            assert "reset" in str(err.reason).lower() or "broken pipe" in str(err.reason).lower()
            continue
        assert status == 413 and "64 KB" in reply["error"]
    status, reply = _post(f"{server.url}api/ask", json.dumps({"question": "What is SMA?"}).encode())
    assert status == 200 and reply["kind"] in ("answer", "no_answer")  # still serving


@pytest.mark.app
@pytest.mark.parametrize(
    "path",
    [
        "source/../../etc/passwd",
        "source/%2e%2e%2f%2e%2e%2fetc%2fpasswd",
        "source/..%2F..%2Fbot%2Fconfig.py?start=0&end=5",
        "source/zolgensma-is-it-a-cure?start=-5&end=99999999",
    ],
)
def test_source_pages_cannot_be_walked_out_of(server, path):
    try:
        with urllib.request.urlopen(f"{server.url}{path}", timeout=10) as r:
            body, status = r.read().decode(), r.status
    except urllib.error.HTTPError as err:
        body, status = err.read().decode(), err.code
    assert status in (404, 422) and "root:" not in body and "PROJECT_ROOT" not in body


@pytest.mark.app
def test_a_documents_markup_is_escaped_on_its_source_page(built, tmp_path):
    from bot.build import build_index

    root = tmp_path / "x"
    (root / "corpus").mkdir(parents=True)
    (root / "corpus" / "evil.txt").write_text(
        SMA + "Read <script>alert(1)</script> and [this](javascript:alert(2)) now.\n"
    )
    config = Config(corpus_dir=root / "corpus", index_dir=root / "index")
    build_index(config, progress=False, echo=lambda m: None)
    srv = app_server.start(config, tmp_path / "srv")
    try:
        page = urllib.request.urlopen(f"{srv.url}source/evil?start=0&end=10").read().decode()
    finally:
        srv.stop()
    assert "<script>alert" not in page and "&lt;script&gt;" in page


@pytest.mark.app
def test_a_wrong_staff_password_is_one_log_line_without_the_password(server):
    from gradio_client import Client

    secret = "hunter2-never-log-this"
    with pytest.raises(Exception, match="password"):
        Client(server.url, verbose=False).predict(secret, api_name="/staff_open")
    log = (server.config.corpus_dir.parent / "app.log").read_text()
    assert "staff: access refused (wrong password)" in log
    assert secret not in log and "Traceback" not in log


@pytest.mark.app
def test_nothing_a_family_asks_is_written_or_printed_without_feedback(server):
    marker = "okapi-5521-never-stored"
    _post(f"{server.url}api/ask", json.dumps({"question": f"What is SMA? {marker}"}).encode())
    root = server.config.corpus_dir.parent  # corpus, index, feedback db, app.log
    places = [root, PROJECT_ROOT / ".gradio", Path("/tmp/gradio")]
    found = [
        p
        for place in places
        if place.exists()
        for p in place.rglob("*")
        if p.is_file() and marker.encode() in p.read_bytes()
    ]
    assert found == []
