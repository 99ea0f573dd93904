"""The few errors smabot raises on purpose.

Each carries a one-line message that says what happened and, where there is one, the
fix ("run `smabot index`"). The command line prints `str(error)` and exits non-zero;
the app shows the same line. Anything else escaping is a bug.
"""

from __future__ import annotations


class SmabotError(Exception):
    """Base class: `str(err)` is a complete sentence a person can act on."""

    exit_code = 1

    def __init__(self, message: str, fix: str | None = None):
        self.message = message
        self.fix = fix
        super().__init__(f"{message} {fix}" if fix else message)


class ConfigError(SmabotError):
    """A setting is invalid (unknown model, missing corpus folder, ...)."""


class DocumentError(SmabotError):
    """A corpus document cannot be read (bad encoding, broken PDF, unknown type)."""


class IndexMissing(SmabotError):
    """No index has been built yet in the index folder."""


class IndexMismatch(SmabotError):
    """The index was built with other settings, or for another corpus, than asked for now."""


class IndexCorrupt(SmabotError):
    """An index file is damaged or unreadable."""


class QuestionError(SmabotError):
    """The question itself cannot be answered as given (empty, not text)."""

    exit_code = 2


class EvalSetError(SmabotError):
    """A line of an evaluation set does not fit the format."""

    exit_code = 2
