"""Question sets: one JSON object a line, validated before anything runs.

    {"id": "ans-z01", "question": "Is Zolgensma a cure?", "expect": "answer",
     "sources": ["zolgensma-is-it-a-cure"], "must_quote": ["is not a cure"],
     "history": ["earlier message", ...], "origin": "...", "split": "tune"}

`id`, `question` and `expect` are required; `expect` is one kind or a list of acceptable
kinds. A line that does not fit raises `EvalSetError` naming the file, line and field,
and nothing runs: a half-read set would give numbers that mean nothing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import get_args

from bot.errors import EvalSetError
from bot.reply import ReplyKind

KINDS: tuple[str, ...] = get_args(ReplyKind)
DEFAULT_SET = Path(__file__).parent / "sets" / "dev.jsonl"
_FIELDS = {
    "id",
    "question",
    "expect",
    "sources",
    "must_quote",
    "history",
    "origin",
    "split",
    "notes",
}


@dataclass(frozen=True)
class Item:
    id: str
    question: str
    expect: tuple[str, ...]  # acceptable kinds
    sources: tuple[str, ...] = ()
    must_quote: tuple[str, ...] = ()
    history: tuple[str, ...] = ()
    origin: str | None = None
    split: str | None = None
    set_name: str = ""

    @property
    def primary(self) -> str:
        """The first acceptable kind: what the item is mainly about."""
        return self.expect[0]

    @property
    def answerable(self) -> bool:
        return self.expect == ("answer",)


@dataclass
class QuestionSet:
    path: Path
    items: list[Item] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.path.stem


def load_set(path: Path) -> QuestionSet:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError as err:
        raise EvalSetError(f"{path}: no such question set.") from err
    except UnicodeDecodeError as err:
        raise EvalSetError(f"{path}: not UTF-8 text (byte {err.start}).") from err
    qs = QuestionSet(path)
    seen: set[str] = set()
    for n, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        where = f"{path}, line {n}"
        try:
            raw = json.loads(line)
        except json.JSONDecodeError as err:
            raise EvalSetError(f"{where}: not valid JSON ({err.msg}, column {err.colno}).") from err
        if not isinstance(raw, dict):
            raise EvalSetError(f"{where}: expected a JSON object.")
        item = _item(raw, where, path.stem)
        if item.id in seen:
            raise EvalSetError(f"{where}, field 'id': {item.id!r} appears twice.")
        seen.add(item.id)
        qs.items.append(item)
    if not qs.items:
        raise EvalSetError(f"{path}: the set has no questions.")
    return qs


def _item(raw: dict, where: str, set_name: str) -> Item:
    unknown = set(raw) - _FIELDS
    if unknown:
        raise EvalSetError(
            f"{where}: unknown field(s) {sorted(unknown)}; allowed: {sorted(_FIELDS)}."
        )
    for name in ("id", "question", "expect"):
        if name not in raw:
            raise EvalSetError(f"{where}, field {name!r}: missing.")
    if not isinstance(raw["id"], str) or not raw["id"].strip():
        raise EvalSetError(f"{where}, field 'id': must be a non-empty string.")
    if not isinstance(raw["question"], str) or not raw["question"].strip():
        raise EvalSetError(f"{where}, field 'question': must be a non-empty string.")
    expect = raw["expect"]
    expect = [expect] if isinstance(expect, str) else expect
    if not isinstance(expect, list) or not expect or any(k not in KINDS for k in expect):
        raise EvalSetError(
            f"{where}, field 'expect': {raw['expect']!r} is not one of "
            f"{', '.join(KINDS)} (or a list of them)."
        )
    lists = {}
    for name in ("sources", "must_quote", "history"):
        value = raw.get(name, [])
        if not isinstance(value, list) or any(not isinstance(v, str) for v in value):
            raise EvalSetError(f"{where}, field {name!r}: must be a list of strings.")
        lists[name] = tuple(value)
    for name in ("origin", "split", "notes"):
        if name in raw and not isinstance(raw[name], str):
            raise EvalSetError(f"{where}, field {name!r}: must be a string.")
    return Item(
        raw["id"],
        raw["question"],
        tuple(expect),
        lists["sources"],
        lists["must_quote"],
        lists["history"],
        raw.get("origin"),
        raw.get("split"),
        set_name,
    )
