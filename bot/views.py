"""The texts a quotable unit is embedded as: its views.

A unit is quoted as one exact span, but one vector of that span can miss what the
unit is about. So each unit is embedded several ways, and its similarity to a question
is the best of them:

- the unit's text alone;
- the unit under its heading ("Diagnostics\nThe gold standard is genetic testing ...");
- for a list: the lead-in joined to each item ("Zolgensma has been shown to: increase
  survival without the need for permanent breathing support"), pairing subject and item.

Left out on purpose: the lead-in alone. A short view ("Zolgensma has been shown to:")
is little more than a name, and would outscore the real answer to any question about
that name.

Views are computed at index time; a question still costs one embedding.
"""

from __future__ import annotations

from bot.segment import Unit


def unit_views(text: str, unit: Unit) -> list[str]:
    """Distinct view texts of `unit` in document `text`, the unit's own text first."""
    body = text[unit.start : unit.end]
    views = [body]
    if unit.heading:
        views.append(f"{unit.heading}\n{body}")
    if unit.kind == "list" and unit.lead:
        lead = text[unit.lead[0] : unit.lead[1]]
        for s, e in unit.items:
            views.append(f"{lead} {text[s:e].lstrip('-–•*·▪◦‣ ').strip()}")
    return list(dict.fromkeys(views))
