"""What each source is: `sources.json` beside the documents, and the kinds of source.

    {"zolgensma-is-it-a-cure": {"title": "...", "publisher": "...",
                                "kind": "reviewed_drug_info", "reviewed": "2023-12-29"}}

Families see a plain label for the kind ("clinic's own page", "medically reviewed drug
information"), so a clinic's promotional claim can be told from a reviewed reference.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Literal, get_args

from bot.errors import ConfigError
from bot.fileio import atomic_write

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
        if not isinstance(data, dict):
            raise ConfigError(f"{METADATA_FILE}: the entry for {doc_id!r} must be an object.")
        unknown = set(data) - {f for f in cls.__dataclass_fields__}
        if unknown:
            raise ConfigError(f"{METADATA_FILE}: {doc_id!r} has unknown fields {sorted(unknown)}.")
        kind = data.get("kind", "other")
        if kind not in get_args(SourceKind):
            raise ConfigError(
                f"{METADATA_FILE}: {doc_id!r} has kind {kind!r}.",
                f"Use one of: {', '.join(get_args(SourceKind))}.",
            )
        fields = dict(data)
        fields["suggested_questions"] = tuple(data.get("suggested_questions", ()))
        fields.setdefault("title", doc_id)
        return cls(**fields)


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


def read_metadata(folder: Path) -> dict[str, SourceMeta]:
    return {
        doc_id: SourceMeta.from_json(doc_id, entry)
        for doc_id, entry in read_metadata_raw(folder).items()
    }


def write_metadata(folder: Path, metadata: dict[str, SourceMeta]) -> None:
    data = {k: metadata[k].to_json() for k in sorted(metadata)}
    atomic_write(folder / METADATA_FILE, json.dumps(data, indent=2, ensure_ascii=False) + "\n")
