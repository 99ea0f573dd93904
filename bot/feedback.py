"""👍/👎 feedback in a SQLite file: the only place a family's message is ever written.

A row is stored only when someone presses 👍 or 👎 on a reply (and a comment only when
they write one). It keeps the question, the reply as shown, its kind, the whole reply
object, and the index version that produced it, so staff can trace an answer back.
Nothing else about a conversation is logged anywhere.
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

Vote = Literal["up", "down"]
MAX_COMMENT = 2000

_SCHEMA = """
CREATE TABLE IF NOT EXISTS feedback (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    created       TEXT NOT NULL,
    vote          TEXT NOT NULL CHECK (vote IN ('up', 'down')),
    comment       TEXT,
    question      TEXT NOT NULL,
    reply_kind    TEXT,
    reply_text    TEXT,
    reply_json    TEXT,
    index_version TEXT
)
"""
COLUMNS = (
    "id",
    "created",
    "vote",
    "comment",
    "question",
    "reply_kind",
    "reply_text",
    "index_version",
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


class FeedbackStore:
    def __init__(self, path: Path):
        self.path = path
        self._lock = threading.Lock()
        path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as db:
            db.execute(_SCHEMA)

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            db = sqlite3.connect(self.path, timeout=10)
            try:
                db.execute("PRAGMA journal_mode=WAL")
                yield db
                db.commit()
            finally:
                db.close()

    def add(
        self, vote: Vote, question: str, reply: dict[str, Any], comment: str | None = None
    ) -> int:
        if vote not in ("up", "down"):
            raise ValueError(f"vote must be 'up' or 'down', not {vote!r}")
        with self._connect() as db:
            cur = db.execute(
                "INSERT INTO feedback (created, vote, comment, question, reply_kind, reply_text,"
                " reply_json, index_version) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    datetime.now(UTC).isoformat(timespec="seconds"),
                    vote,
                    _comment(comment),
                    question,
                    reply.get("kind"),
                    reply.get("text"),
                    json.dumps(reply, ensure_ascii=False),
                    reply.get("index_version"),
                ),
            )
            return int(cur.lastrowid)

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
                f"SELECT {', '.join(COLUMNS)} FROM feedback ORDER BY id DESC LIMIT ?", (limit,)
            ).fetchall()
        return [FeedbackRow(*row) for row in rows]

    def to_csv(self) -> str:
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(COLUMNS)
        for row in self.recent(limit=1_000_000):
            writer.writerow([getattr(row, c) for c in COLUMNS])
        return out.getvalue()


def _comment(comment: str | None) -> str | None:
    comment = (comment or "").strip()
    return comment[:MAX_COMMENT] or None
