"""What each source is: `sources.json` beside the documents, and the kinds of source.

    {"zolgensma-is-it-a-cure": {"title": "...", "publisher": "...",
                                "kind": "reviewed_drug_info", "reviewed": "2023-12-29"}}

Every entry is checked against a schema (pydantic). Building an index fails closed
(`check_metadata`): a file that is not JSON, or an entry with a field that does not fit
(a title written as a number, a date that is not a date, an unknown kind), stops the
build with a message naming the file, the line and the field, and the previous index
keeps serving; otherwise a trailing comma would turn a clinic's promotional page into
"other source" without a word. Reading the corpus for display (`read_metadata`) is
lenient: such a field is named and left at its default.

Families see a plain label for the kind ("clinic's own page", "medically reviewed drug
information"), so a clinic's promotional claim can be told from a reviewed reference.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path
from typing import Annotated, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, HttpUrl, ValidationError

from bot.errors import ConfigError
from bot.ingest.fileio import atomic_write

METADATA_FILE = "sources.json"

SourceKind = Literal[
    "reviewed_drug_info",
    "reviewed_reference",
    "public_health_agency",
    "patient_organisation",
    "research",
    "clinic_page",
    "clinic_marketing",
    "news",
    "other",
]

# Plain labels shown to families next to each source.
KIND_LABELS: dict[str, str] = {
    "reviewed_drug_info": "medically reviewed drug information",
    "reviewed_reference": "medically reviewed reference",
    "public_health_agency": "public health agency",
    "patient_organisation": "patient organisation",
    "research": "research publication",
    "clinic_page": "clinic's own page",
    "clinic_marketing": "clinic's promotional article",
    "news": "news article",
    "other": "other source",
}
PROMOTIONAL_KINDS = frozenset({"clinic_page", "clinic_marketing"})


@dataclass(frozen=True)
class SourceMeta:
    title: str
    publisher: str = "unknown publisher"
    kind: SourceKind = "other"
    reviewed: str | None = None  # ISO date of the last medical review or update, if known
    url: str | None = None
    notes: str | None = None
    suggested_questions: tuple[str, ...] = ()  # questions this document answers well

    @property
    def kind_label(self) -> str:
        return KIND_LABELS[self.kind]

    @property
    def promotional(self) -> bool:
        return self.kind in PROMOTIONAL_KINDS

    def to_json(self) -> dict:
        data = {k: v for k, v in asdict(self).items() if v not in (None, ())}
        if self.suggested_questions:
            data["suggested_questions"] = list(self.suggested_questions)
        return data

    @classmethod
    def from_json(cls, doc_id: str, data: dict) -> SourceMeta:
        """From an index's own (already validated) record."""
        fields = dict(data)
        fields["suggested_questions"] = tuple(data.get("suggested_questions", ()))
        fields.setdefault("title", doc_id)
        return cls(**fields)


class _Entry(BaseModel):
    """One entry of sources.json, as people write it (pydantic checks each field)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    title: str | None = Field(default=None, min_length=1, max_length=300)
    publisher: str = Field(default="unknown publisher", min_length=1, max_length=300)
    kind: SourceKind = "other"
    reviewed: date | None = None
    url: HttpUrl | None = None
    notes: str | None = Field(default=None, max_length=2000)
    suggested_questions: list[Annotated[str, Field(min_length=3, max_length=300)]] = []


_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._\-]{0,199}")


def _check_entry(doc_id: str, data: object) -> tuple[_Entry | None, list[tuple[str | None, str]]]:
    """(the entry with its bad fields left at their defaults, [(field, what is wrong)]);
    None when the entry cannot be used at all."""
    if not _ID.fullmatch(doc_id) or doc_id in (".", ".."):
        return None, [(None, "an id must be a plain file name (letters, digits, - _ .)")]
    if not isinstance(data, dict):
        return None, [(None, "must be an object of fields")]
    problems: list[tuple[str | None, str]] = []
    fields = dict(data)
    for _ in range(len(fields) + 1):
        try:
            return _Entry.model_validate(fields), problems
        except ValidationError as err:
            for e in err.errors():
                name = str(e["loc"][0]) if e["loc"] else "?"
                shown = repr(fields.get(name))[:60]
                hint = f"one of {', '.join(get_args(SourceKind))}" if name == "kind" else e["msg"]
                problems.append((name, f"field {name!r} = {shown}: {hint}"))
                fields.pop(name, None)
    return None, problems  # pragma: no cover - every pass removes at least one field


def parse_entry(doc_id: str, data: object) -> tuple[SourceMeta | None, list[str]]:
    """(metadata, problems) for one entry. A field that does not fit is named and left at
    its default; an entry that is not an object, or whose id is not a plain file name,
    is left out (None). Never raises for bad content."""
    where = f"{METADATA_FILE}, entry {doc_id!r}"
    entry, found = _check_entry(doc_id, data)
    if entry is None:
        what = found[0][1] if found else "unusable"
        tail = "ignored, defaults used" if what.startswith("must be") else "ignored"
        return None, [f"{where}: {what}; {tail}."]
    problems = [f"{where}, {what}; default used." for _, what in found]
    meta = SourceMeta(
        title=entry.title or doc_id,
        publisher=entry.publisher,
        kind=entry.kind,
        reviewed=entry.reviewed.isoformat() if entry.reviewed else None,
        url=str(entry.url) if entry.url else None,
        notes=entry.notes,
        suggested_questions=tuple(entry.suggested_questions),
    )
    return meta, problems


def _line_of(text: str, doc_id: str, field: str | None) -> int:
    """The line of `doc_id`'s key in sources.json (of its `field` key, when given)."""
    at = re.search(re.escape(json.dumps(doc_id, ensure_ascii=False)) + r"\s*:", text)
    pos = at.start() if at else 0
    if field is not None:
        key = re.compile(re.escape(json.dumps(field, ensure_ascii=False)) + r"\s*:")
        found = key.search(text, pos)
        pos = found.start() if found else pos
    return text.count("\n", 0, pos) + 1


def check_metadata(folder: Path) -> None:
    """Raise ConfigError unless `sources.json` parses and every entry fits its schema;
    the message names the file, each line and field, and what to write instead."""
    path = folder / METADATA_FILE
    raw = read_metadata_raw(folder)  # ConfigError with the line and column
    if not raw:
        return
    text = path.read_text(encoding="utf-8")
    found = []
    for doc_id, entry in raw.items():
        for field, what in _check_entry(str(doc_id), entry)[1]:
            line = _line_of(text, str(doc_id), field)
            found.append(f"{path}, line {line}, entry {doc_id!r}, {what}")
    if found:
        raise ConfigError(
            "The index was not rebuilt: "
            + "; ".join(found[:10])
            + "."
            + (f" ({len(found) - 10} more.)" if len(found) > 10 else ""),
            "Fix sources.json (each document's kind of source depends on it), then rebuild; "
            "the previous index keeps serving meanwhile.",
        )


def read_metadata_raw(folder: Path) -> dict:
    path = folder / METADATA_FILE
    if not path.exists():
        return {}
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        where = (
            f" at line {err.lineno}, column {err.colno} ({err.msg})"
            if isinstance(err, json.JSONDecodeError)
            else ""
        )
        raise ConfigError(
            f"{path}: invalid JSON{where}.",
            "Fix the file, or delete it to use default metadata.",
        ) from err
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: expected an object mapping document ids to metadata.")
    return raw


def read_metadata(folder: Path) -> tuple[dict[str, SourceMeta], list[str]]:
    """(metadata by document id, problems), each problem naming the file, entry and field.
    A file that is not valid JSON is one problem, and every document gets defaults."""
    try:
        raw = read_metadata_raw(folder)
    except ConfigError as err:
        return {}, [f"{err} Until then every document uses default metadata."]
    out, problems = {}, []
    for doc_id, entry in raw.items():
        meta, found = parse_entry(str(doc_id), entry)
        problems += found
        if meta is not None:
            out[str(doc_id)] = meta
    return out, problems


def write_metadata(folder: Path, metadata: dict[str, SourceMeta]) -> None:
    data = {k: metadata[k].to_json() for k in sorted(metadata)}
    atomic_write(folder / METADATA_FILE, json.dumps(data, indent=2, ensure_ascii=False) + "\n")


def write_metadata_raw(folder: Path, raw: dict) -> None:
    """Write `raw` (as read by `read_metadata_raw`, in its order) back, atomically."""
    atomic_write(folder / METADATA_FILE, json.dumps(raw, indent=2, ensure_ascii=False) + "\n")
