"""Several app replicas over one read-only index and one PostgreSQL feedback database.

Starts a real PostgreSQL (tests/postgres.py; skipped, saying why, when the Debian
package `postgresql` is absent), two `python app.py` processes on the same index
folder, and writes feedback through both at once over HTTP: every row must arrive.
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

import pytest

from bot.app.feedback import MIGRATIONS, FeedbackStore
from bot.config import Config
from tests import app_server, postgres

pytestmark = pytest.mark.skipif(
    postgres.binaries() is None,
    reason="PostgreSQL is not installed (Debian: apt-get install postgresql; .ci/run does)",
)
psycopg = pytest.importorskip("psycopg", reason='psycopg missing: pip install -e ".[postgres]"')


@pytest.fixture(scope="module")
def database_url():
    with postgres.server() as url:
        yield url


def test_the_same_migrations_run_once_in_postgres_and_sqlite(database_url, tmp_path):
    stores = [FeedbackStore(url=database_url), FeedbackStore(url=database_url)]  # 2 starts
    lite = FeedbackStore(tmp_path / "f.sqlite3")
    assert {s.schema_version() for s in [*stores, lite]} == {MIGRATIONS[-1][0]}
    with psycopg.connect(database_url) as db:
        versions = [v for (v,) in db.execute("SELECT version FROM schema_version").fetchall()]
    assert sorted(versions) == [v for v, _ in MIGRATIONS]  # each applied once
    row = stores[0].add("down", "a question", {"kind": "answer"}, "a comment")
    assert stores[1].set_comment(row, "changed")
    assert stores[1].recent(1)[0].comment == "changed"
    assert "changed" in stores[0].to_csv()


def test_config_reads_the_database_url_from_the_environment():
    config = Config.from_env({"SMABOT_DATABASE_URL": "postgresql://u@h/db"})
    assert config.database_url == "postgresql://u@h/db"
    assert Config.from_env({}).database_url is None


def _feedback(client, i: int) -> None:
    sent = client.post(
        "gradio_api/call/feedback",
        json={"data": ["up", f"replica question {i}", "[]", f"comment {i}"]},
    )
    event_id = sent.raise_for_status().json()["event_id"]
    stream = client.get(f"gradio_api/call/feedback/{event_id}").raise_for_status().text
    assert "event: complete" in stream, stream
    data = [line for line in stream.splitlines() if line.startswith("data:")]
    json.loads(data[-1][len("data:") :])


def test_two_replicas_write_feedback_at_once_and_every_row_arrives(database_url, built, tmp_path):
    import httpx

    with psycopg.connect(database_url) as db:
        before = db.execute("SELECT count(*) FROM feedback").fetchone()[0]
    # 40 votes a replica from one address: over the rate per client, which Gradio's API
    # shares with /api/ask (bot/app/api.py); this test is about the database
    env = {"SMABOT_DATABASE_URL": database_url, "SMABOT_RATE_PER_MINUTE": "0"}
    replicas = [
        app_server.start(built, tmp_path / f"r{i}", share=True, env_extra=env) for i in (0, 1)
    ]
    try:
        clients = [httpx.Client(base_url=r.url, timeout=60) for r in replicas]
        per_replica = 40
        jobs = [(clients[i % 2], i) for i in range(2 * per_replica)]
        with ThreadPoolExecutor(16) as pool:
            list(pool.map(lambda job: _feedback(*job), jobs))
    finally:
        for r in replicas:
            r.stop()
    with psycopg.connect(database_url) as db:
        rows = db.execute(
            "SELECT question FROM feedback WHERE question LIKE 'replica question %'"
        ).fetchall()
        after = db.execute("SELECT count(*) FROM feedback").fetchone()[0]
    assert after - before == 2 * per_replica
    assert sorted(q for (q,) in rows) == sorted(f"replica question {i}" for i in range(80))
    for r in replicas:  # neither replica wrote a SQLite file
        assert not r.config.feedback_db.exists()


def test_an_unreachable_database_is_named_with_its_fix():
    from bot.errors import ConfigError
    from tests.app_server import free_port

    with pytest.raises(ConfigError, match="Cannot reach the feedback database") as err:
        FeedbackStore(url=f"postgresql://nobody@127.0.0.1:{free_port()}/db")
    assert "SMABOT_DATABASE_URL" in err.value.fix
