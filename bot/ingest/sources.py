"""What each source is: `sources.json` beside the documents, and the kinds of source.

    {"zolgensma-is-it-a-cure": {"title": "...", "publisher": "...",
                                "kind": "reviewed_drug_info", "reviewed": "2023-12-29"}}

Every entry is checked against a schema (pydantic) when the index is built and when
documents are added: a field that does not fit (a title written as a number, a date
that is not a date, an unknown kind) is named with its file and entry and left at its
default; nothing in the file can stop the bot.

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


def parse_entry(doc_id: str, data: object) -> tuple[SourceMeta | None, list[str]]:
    """(metadata, problems) for one entry. A field that does not fit is named and left at
    its default; an entry that is not an object, or whose id is not a plain file name,
    is left out (None). Never raises for bad content."""
    where = f"{METADATA_FILE}, entry {doc_id!r}"
    if not _ID.fullmatch(doc_id) or doc_id in (".", ".."):
        return None, [
            f"{where}: an id must be a plain file name (letters, digits, - _ .); ignored."
        ]
    if not isinstance(data, dict):
        return None, [f"{where}: must be an object of fields; ignored, defaults used."]
    problems, fields = [], dict(data)
    for _ in range(len(fields) + 1):
        try:
            entry = _Entry.model_validate(fields)
            break
        except ValidationError as err:
            for e in err.errors():
                name = str(e["loc"][0]) if e["loc"] else "?"
                shown = repr(fields.get(name))[:60]
                hint = f"one of {', '.join(get_args(SourceKind))}" if name == "kind" else e["msg"]
                problems.append(f"{where}, field {name!r} = {shown}: {hint}; default used.")
                fields.pop(name, None)
    else:  # pragma: no cover - every pass removes at least one field
        return None, problems
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
