"""The example questions the families' page starts with.

The curated questions in `sources.json` (`suggested_questions`) are asked of the live
bot once per index, and those whose reply quotes a medically reviewed or otherwise
non-promotional source first are offered first: a parent's first tap should not land on
a clinic's own claims. Questions answered first from a clinic's page are offered only
when the corpus has too few others; questions the bot does not answer are never offered.
Left out: any judgement of the quotes themselves (retrieval decides them).
"""

from __future__ import annotations

import threading

from bot.bot import Bot
from bot.errors import SmabotError

SHOWN = 4
# which kinds of source a first quote should come from, most wanted first
KIND_ORDER = (
    "reviewed_drug_info",
    "reviewed_reference",
    "public_health_agency",
    "patient_organisation",
    "research",
    "news",
    "other",
    "clinic_page",
    "clinic_marketing",
)

_cache: dict[str | None, list[str]] = {}  # by index version
_lock = threading.Lock()


def starter_questions(bot: Bot, n: int = SHOWN) -> list[str]:
    """Up to `n` curated questions, those answered from the most trusted kinds first.
    Computed once per index version (a rebuild makes a new one)."""
    with _lock:
        if bot.version not in _cache:
            _cache.clear()  # only the live index's are needed
            _cache[bot.version] = _rank(bot)
        return _cache[bot.version][:n]


def _rank(bot: Bot) -> list[str]:
    ranked = []
    for i, question in enumerate(bot.data.suggestions):
        try:
            reply = bot.answer(question)
        except SmabotError:
            continue
        if reply.kind != "answer" or not reply.quotes:
            continue
        kinds = {s.marker: s for s in reply.sources}
        first = kinds.get(reply.quotes[0].marker)
        rank = KIND_ORDER.index(first.kind) if first and first.kind in KIND_ORDER else 6
        promotional = sum(kinds[q.marker].promotional for q in reply.quotes if q.marker in kinds)
        ranked.append((rank, promotional, i, question))
    return [q for *_, q in sorted(ranked)]
