"""👍/👎 feedback: the only place a family's message is ever written.

A row is stored only when someone presses 👍 or 👎 on a reply (and a comment only when
they write one). It keeps the question, the earlier messages the bot was given with it
(a follow-up means nothing without them), the reply as shown, its kind, the whole reply
object, and the index version that produced it, so staff can trace an answer back.
Nothing else about a conversation is logged anywhere.

The same database keeps the questions staff save in the staff view to be checked after
each rebuild (`checks`): their own test questions, never a family's.

Two homes, one schema and one list of migrations:
- a SQLite file (the default, `SMABOT_FEEDBACK_DB`): one app process, or several on
  one machine;
- PostgreSQL (`SMABOT_DATABASE_URL=postgresql://...`, the `postgres` extra: psycopg 3),
  for several replicas on several machines behind a load balancer.
Migrations run in order at start, inside a lock (`BEGIN IMMEDIATE` / an advisory lock),
so two replicas starting together apply each one once.
"""

from __future__ import annotations

import csv
import io
import json
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from bot.errors import ConfigError

Vote = Literal["up", "down"]
MAX_COMMENT = 2000

_FEEDBACK_COLUMNS = """
    created       TEXT NOT NULL,
    vote          TEXT NOT NULL CHECK (vote IN ('up', 'down')),
    comment       TEXT,
    question      TEXT NOT NULL,
    reply_kind    TEXT,
    reply_text    TEXT,
    reply_json    TEXT,
    index_version TEXT
"""
# (version, {dialect: statement}); append, never edit: a database records what it ran
MIGRATIONS: list[tuple[int, dict[str, str]]] = [
    (
        1,
        {
            "sqlite": "CREATE TABLE IF NOT EXISTS feedback ("
            f"id INTEGER PRIMARY KEY AUTOINCREMENT, {_FEEDBACK_COLUMNS})",
            "postgresql": "CREATE TABLE IF NOT EXISTS feedback ("
            f"id BIGSERIAL PRIMARY KEY, {_FEEDBACK_COLUMNS})",
        },
    ),
    (2, {d: "ALTER TABLE feedback ADD COLUMN history TEXT" for d in ("sqlite", "postgresql")}),
    (
        3,
        {
            "sqlite": "CREATE TABLE IF NOT EXISTS checks (id INTEGER PRIMARY KEY AUTOINCREMENT, "
            "created TEXT NOT NULL, question TEXT NOT NULL, history TEXT NOT NULL)",
            "postgresql": "CREATE TABLE IF NOT EXISTS checks (id BIGSERIAL PRIMARY KEY, "
            "created TEXT NOT NULL, question TEXT NOT NULL, history TEXT NOT NULL)",
        },
    ),
]
Dialect = Literal["sqlite", "postgresql"]

COLUMNS = (
    "id",
    "created",
    "vote",
    "comment",
    "question",
    "reply_kind",
    "reply_text",
    "index_version",
    "history",
)


@dataclass(frozen=True)
class FeedbackRow:
    id: int
    created: str
    vote: Vote
    comment: str | None
    question: str
    reply_kind: str | None
    reply_text: str | None
    index_version: str | None
    history: str | None = None  # a JSON list of the earlier messages, oldest first
    reply_json: str | None = None  # the whole reply object (not in the CSV)

    @property
    def earlier(self) -> list[str]:
        try:
            items = json.loads(self.history or "[]")
        except json.JSONDecodeError:
            return []
        return [h for h in items if isinstance(h, str)] if isinstance(items, list) else []

    @property
    def reply(self) -> dict[str, Any] | None:
        try:
            data = json.loads(self.reply_json or "null")
        except json.JSONDecodeError:
            return None
        return data if isinstance(data, dict) else None


# A cell starting with one of these is a formula to Excel, LibreOffice and Google Sheets
# (`=HYPERLINK(...)`, `@SUM(...)`, `+cmd|...`); a tab or carriage return hides one.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value):
    """`value` as a spreadsheet shows it as text: a leading ' before a formula start."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


class FeedbackStore:
    """`FeedbackStore(path)` for SQLite; `FeedbackStore.open(config)` picks by settings."""

    def __init__(self, path: Path | None = None, *, url: str | None = None):
        self.path, self.url = path, url
        self.dialect: Dialect = "postgresql" if url else "sqlite"
        self._lock = threading.Lock()  # SQLite: one writer per process at a time
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
        self._migrate()

    @classmethod
    def open(cls, config) -> FeedbackStore:
        if config.database_url:
            return cls(url=config.database_url)
        return cls(config.feedback_db)

    def describe(self) -> str:
        """Where rows go, without a password."""
        if self.url:
            from psycopg.conninfo import conninfo_to_dict

            info = conninfo_to_dict(self.url)
            return f"PostgreSQL {info.get('host', 'local')}/{info.get('dbname', '')}"
        return f"SQLite {self.path}"

    @contextmanager
    def _connect(self) -> Iterator[Any]:
        """A connection in one transaction: committed on success, rolled back on error."""
        if self.url:
            psycopg = _psycopg()
            try:
                db = psycopg.connect(self.url, connect_timeout=10)
            except psycopg.OperationalError as err:
                raise ConfigError(
                    f"Cannot reach the feedback database {self.describe()} "
                    f"({str(err).strip().splitlines()[0]}).",
                    "Check SMABOT_DATABASE_URL and that PostgreSQL is running.",
                ) from err
            with db:  # commits on success, rolls back on error
                yield _Postgres(db)
            return
        with self._lock:
            db = sqlite3.connect(self.path, timeout=10)
            try:
                db.execute("PRAGMA journal_mode=WAL")
                yield db
                db.commit()
            finally:
                db.close()

    def _migrate(self) -> None:
        with self._connect() as db:
            if self.dialect == "postgresql":
                db.execute("SELECT pg_advisory_xact_lock(7311)")  # replicas take turns
            else:
                db.execute("BEGIN IMMEDIATE")
            db.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
            done = {v for (v,) in db.execute("SELECT version FROM schema_version").fetchall()}
            for version, statements in MIGRATIONS:
                if version not in done:
                    db.execute(statements[self.dialect])
                    db.execute("INSERT INTO schema_version (version) VALUES (?)", (version,))

    def schema_version(self) -> int:
        with self._connect() as db:
            return int(db.execute("SELECT max(version) FROM schema_version").fetchone()[0])

    def add(
        self,
        vote: Vote,
        question: str,
        reply: dict[str, Any],
        comment: str | None = None,
        history: list[str] | tuple[str, ...] = (),
    ) -> int:
        """`history`: the earlier messages the reply was computed with, oldest first."""
        if vote not in ("up", "down"):
            raise ValueError(f"vote must be 'up' or 'down', not {vote!r}")
        with self._connect() as db:
            cur = db.execute(
                "INSERT INTO feedback (created, vote, comment, question, reply_kind, reply_text,"
                " reply_json, index_version, history) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
                " RETURNING id",
                (
                    datetime.now(UTC).isoformat(timespec="seconds"),
                    vote,
                    _comment(comment),
                    question,
                    reply.get("kind"),
                    reply.get("text"),
                    json.dumps(reply, ensure_ascii=False),
                    reply.get("index_version"),
                    json.dumps(list(history), ensure_ascii=False),
                ),
            )
            return int(cur.fetchone()[0])

    def set_comment(self, row_id: int, comment: str) -> bool:
        with self._connect() as db:
            cur = db.execute(
                "UPDATE feedback SET comment = ? WHERE id = ?", (_comment(comment), row_id)
            )
            return cur.rowcount == 1

    def recent(self, limit: int = 200) -> list[FeedbackRow]:
        """Newest first."""
        with self._connect() as db:
            rows = db.execute(
                f"SELECT {', '.join(COLUMNS)}, reply_json FROM feedback ORDER BY id DESC LIMIT ?",
                (limit,),
            ).fetchall()
        return [FeedbackRow(*row) for row in rows]

    def to_csv(self) -> str:
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(COLUMNS)
        for row in self.recent(limit=1_000_000):
            writer.writerow([spreadsheet_safe(getattr(row, c)) for c in COLUMNS])
        return out.getvalue()

    def add_check(self, question: str, history: list[str] | tuple[str, ...] = ()) -> int:
        """Keep a staff question to be asked again after every rebuild; the number kept."""
        with self._connect() as db:
            db.execute(
                "INSERT INTO checks (created, question, history) VALUES (?, ?, ?)",
                (
                    datetime.now(UTC).isoformat(timespec="seconds"),
                    question,
                    json.dumps(list(history), ensure_ascii=False),
                ),
            )
            return int(db.execute("SELECT count(*) FROM checks").fetchone()[0])

    def checks(self) -> list[tuple[str, tuple[str, ...]]]:
        """The saved staff questions as (question, earlier messages), oldest first."""
        with self._connect() as db:
            rows = db.execute("SELECT question, history FROM checks ORDER BY id").fetchall()
        return [(q, tuple(json.loads(h))) for q, h in rows]

    def count(self) -> int:
        with self._connect() as db:
            return int(db.execute("SELECT count(*) FROM feedback").fetchone()[0])


class _Postgres:
    """A psycopg connection that takes the `?` placeholders the SQLite code writes."""

    def __init__(self, db):
        self.db = db

    def execute(self, sql: str, params: tuple = ()):
        return self.db.execute(sql.replace("?", "%s"), params)


def _psycopg():
    try:
        import psycopg
    except ImportError as err:
        raise ConfigError(
            "SMABOT_DATABASE_URL names PostgreSQL, but psycopg is not installed.",
            'Run `pip install -e ".[postgres]"`, or unset SMABOT_DATABASE_URL to use SQLite.',
        ) from err
    return psycopg


def _comment(comment: str | None) -> str | None:
    comment = (comment or "").strip()
    return comment[:MAX_COMMENT] or None
