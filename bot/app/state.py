"""What the running app holds: the live bot, the feedback store, and index rebuilds.

Families always talk to `state.bot`. A rebuild (from the staff view) builds the new
index beside the old one and loads it; only then is `state.bot` replaced, in one
assignment, so every request is answered wholly by the old index or wholly by the new.
"""

from __future__ import annotations

import hmac
import os
import threading
from dataclasses import dataclass, field

from bot.app.feedback import FeedbackStore
from bot.bot import Bot
from bot.build import BuildSummary, build_index
from bot.config import Config

PASSWORD_VARIABLE = "SMABOT_STAFF_PASSWORD"


@dataclass
class AppState:
    config: Config
    bot: Bot
    feedback: FeedbackStore
    staff_password: str | None = None  # None: the staff view is off
    _rebuild_lock: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def load(cls, config: Config, echo=print) -> AppState:
        """Load the index; build it first (saying why) if it is missing, stale or damaged."""
        from bot.errors import IndexCorrupt, IndexMismatch, IndexMissing

        bot = Bot.load_or_build(
            config, rebuild_on=(IndexMissing, IndexMismatch, IndexCorrupt), echo=echo
        )
        password = os.environ.get(PASSWORD_VARIABLE) or None
        return cls(config, bot, FeedbackStore.open(config), password)

    @property
    def staff_enabled(self) -> bool:
        return self.staff_password is not None

    def staff_allowed(self, password: str | None) -> bool:
        if self.staff_password is None or not password:
            return False
        return hmac.compare_digest(password.encode(), self.staff_password.encode())

    def rebuild(self, progress: bool = True) -> BuildSummary:
        """Build the index for the current corpus, then switch families to it.

        Raises RuntimeError if a rebuild is already running.
        """
        if not self._rebuild_lock.acquire(blocking=False):
            raise RuntimeError("A rebuild is already running.")
        try:
            embedder = self.bot.embedder  # one model in memory, shared
            summary = build_index(
                self.config, embedder=embedder, progress=progress, echo=lambda m: None
            )
            self.bot = Bot.load(self.config, embedder=embedder)
            return summary
        finally:
            self._rebuild_lock.release()
