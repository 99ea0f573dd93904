"""What the running app holds: the live bot, the feedback store, and index rebuilds.

Families always talk to `state.bot`. A rebuild (from the staff view) builds the new
index beside the old one, in a process of its own at lower priority (bot/app/rebuild.py),
and loads it; only then is `state.bot` replaced, in one
assignment, so every request is answered wholly by the old index or wholly by the new.
"""

from __future__ import annotations

import hmac
import math
import os
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field

from bot.app.feedback import FeedbackStore
from bot.app.rebuild import build_in_child
from bot.bot import Bot
from bot.build import BuildSummary
from bot.config import Config

PASSWORD_VARIABLE = "SMABOT_STAFF_PASSWORD"
FREE_ATTEMPTS = 10  # wrong passwords a client may type before it must wait
MAX_WAIT = 300.0  # seconds: the longest wait between two tries
_MAX_CLIENTS_TRACKED = 10_000


class Attempts:
    """Wrong staff passwords per client, in a bounded LRU (memory stays flat): after
    `free` of them, each next try waits twice as long (1 s, 2 s, 4 s … `max_wait`)."""

    def __init__(self, free: int = FREE_ATTEMPTS, max_wait: float = MAX_WAIT):
        self.free, self.max_wait = free, max_wait
        self.failed: OrderedDict[str, tuple[int, float]] = OrderedDict()
        self.lock = threading.Lock()

    def wait(self, client: str) -> float:
        """Seconds this client must still wait before its next try (0: go ahead)."""
        with self.lock:
            n, last = self.failed.get(client, (0, 0.0))
        if n < self.free:
            return 0.0
        return max(0.0, last + min(self.max_wait, 2.0 ** (n - self.free)) - time.monotonic())

    def record(self, client: str, ok: bool) -> None:
        with self.lock:
            if ok:
                self.failed.pop(client, None)
                return
            n, _ = self.failed.pop(client, (0, 0.0))
            self.failed[client] = (n + 1, time.monotonic())
            while len(self.failed) > _MAX_CLIENTS_TRACKED:
                self.failed.popitem(last=False)


@dataclass
class AppState:
    config: Config
    bot: Bot
    feedback: FeedbackStore
    staff_password: str | None = None  # None: the staff view is off
    attempts: Attempts = field(default_factory=Attempts)
    notice: str | None = None  # what staff should know now (a rebuild in the background)
    _rebuild_lock: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def load(cls, config: Config, echo=print) -> AppState:
        """Load the index. If it is stale or damaged, answer at once from the last good
        version on disk and rebuild in the background (saying so, here and in the staff
        view); with none to answer from, build it first (saying why)."""
        from bot.errors import IndexCorrupt, IndexMismatch, IndexMissing

        password = os.environ.get(PASSWORD_VARIABLE) or None
        try:
            bot = Bot.load(config)
        except (IndexMismatch, IndexCorrupt) as err:
            bot = Bot.load_last_good(config)
            if bot is not None:
                state = cls(config, bot, FeedbackStore.open(config), password)
                state.notice = (
                    f"{err.message} Answering from index {bot.version} meanwhile; the index "
                    "is being rebuilt in the background."
                )
                echo(state.notice)
                threading.Thread(target=state._rebuild_at_start, daemon=True).start()
                return state
            bot = Bot.load_or_build(
                config, rebuild_on=(IndexMissing, IndexMismatch, IndexCorrupt), echo=echo
            )
        except IndexMissing:
            bot = Bot.load_or_build(config, rebuild_on=(IndexMissing,), echo=echo)
        return cls(config, bot, FeedbackStore.open(config), password)

    def _rebuild_at_start(self) -> None:
        try:
            summary = self.rebuild()
        except Exception as err:
            self.notice = f"The background rebuild failed: {err} Answering from {self.bot.version}."
        else:
            self.notice = None
            print(f"smabot: background rebuild done, now answering from {summary.version}.")

    @property
    def staff_enabled(self) -> bool:
        return self.staff_password is not None

    def staff_allowed(self, password: str | None) -> bool:
        if self.staff_password is None or not password:
            return False
        return hmac.compare_digest(password.encode(), self.staff_password.encode())

    def staff_refusal(self, password: str | None, client: str = "?") -> str | None:
        """None if `password` is the staff password, else why not, in one sentence; a
        client with too many wrong tries is told to wait, whatever it sends."""
        if (wait := self.attempts.wait(client)) > 0:
            return f"Too many wrong passwords: try again in {math.ceil(wait)} s."
        ok = self.staff_allowed(password)
        if ok or password:  # an empty box is not a guess
            self.attempts.record(client, ok)
        return None if ok else "Wrong or missing staff password."

    def rebuild(self, progress: bool = True) -> BuildSummary:
        """Build the index for the current corpus, then switch families to it.

        Raises RuntimeError if a rebuild is already running.
        """
        if not self._rebuild_lock.acquire(blocking=False):
            raise RuntimeError("A rebuild is already running.")
        try:
            summary = build_in_child(self.config)  # bot/app/rebuild.py: niced, one thread
            self.bot = Bot.load(self.config, embedder=self.bot.embedder)  # one model, shared
            return summary
        finally:
            self._rebuild_lock.release()
