"""The corpus: document files in one folder, described by `sources.json` beside them.

A document's id is its file stem; its metadata comes from `sources.json` (see
`bot.ingest.sources`). A document without an entry still works: its title is its first line
(or its id), its publisher "unknown publisher", its kind "other". A document that cannot be read is
reported in `Corpus.problems` and left out, so one broken file does not stop the rest.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from bot.errors import ConfigError, DocumentError
from bot.ingest.fileio import atomic_write
from bot.ingest.formats import SUPPORTED_SUFFIXES, Extracted, extract
from bot.ingest.sources import (
    SourceMeta,
    read_metadata,
    read_metadata_raw,
    write_metadata_raw,
)


@dataclass(frozen=True)
class Document:
    id: str
    filename: str
    text: str  # the quotable text: every quote is text[start:end]
    meta: SourceMeta
    sha256: str  # of the file's bytes
    page_starts: tuple[int, ...] = ()  # PDF: offset where each page begins

    def page_at(self, offset: int) -> int | None:
        """1-based page number holding `offset`, for PDFs; None otherwise."""
        if not self.page_starts:
            return None
        return sum(1 for start in self.page_starts if start <= offset)


@dataclass
class Corpus:
    folder: Path
    documents: list[Document] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # one line per skipped file

    def get(self, doc_id: str) -> Document:
        for doc in self.documents:
            if doc.id == doc_id:
                return doc
        raise KeyError(doc_id)


def fingerprint(folder: Path) -> dict[str, str]:
    """{file name: hash of its bytes and its `sources.json` entry}, without parsing files.

    This is what an index records and is compared against to tell whether the corpus
    changed; it covers every candidate file, including ones that fail to parse.
    """
    prints = {}
    try:
        raw = read_metadata_raw(folder)
    except ConfigError:  # load_corpus reports it; its bytes still tell a change
        raw, prints["sources.json"] = {}, _file_sha256(folder / "sources.json")
    for p in _candidate_files(folder):
        prints[p.name] = entry_hash(_file_sha256(p), raw.get(p.stem))
    return prints


def entry_hash(file_sha256: str, meta_entry: object) -> str:
    meta = json.dumps(meta_entry, sort_keys=True, ensure_ascii=False).encode()
    return hashlib.sha256(file_sha256.encode() + b"\0" + meta).hexdigest()


def _file_sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _candidate_files(folder: Path) -> list[Path]:
    return sorted(
        p
        for p in folder.iterdir()
        if p.suffix.lower() in SUPPORTED_SUFFIXES
        and p.is_file()
        and not p.name.startswith((".", "_"))
    )


DEFAULT_MAX_DOCUMENT_MB = 20.0  # of text; SMABOT_MAX_DOCUMENT_MB


def max_document_bytes() -> int:
    """The largest document indexed, from SMABOT_MAX_DOCUMENT_MB (default 20 MB)."""
    try:
        mb = float(os.environ.get("SMABOT_MAX_DOCUMENT_MB") or DEFAULT_MAX_DOCUMENT_MB)
    except ValueError:
        mb = DEFAULT_MAX_DOCUMENT_MB
    return int(mb * 2**20)


def load_corpus(folder: Path, on_file: Callable[[str], None] | None = None) -> Corpus:
    """Every readable document in `folder`; `on_file(name)` is told which file is being
    read (for progress). A file over the size limit, unreadable, or broken is left out
    with a problem that names it; so are bad sources.json entries' fields."""
    if not folder.is_dir():
        raise ConfigError(
            f"No corpus folder at {folder}.", "Create it, or point SMABOT_CORPUS / --corpus at one."
        )
    metadata, problems = read_metadata(folder)
    corpus = Corpus(folder, problems=list(problems))
    files = _candidate_files(folder)
    stems = {p.stem for p in files}
    corpus.problems += [
        f"sources.json, entry {doc_id!r}: no document file with that id; the entry is unused."
        for doc_id in sorted(set(metadata) - stems)
    ]
    limit = max_document_bytes()
    seen: dict[str, str] = {}
    for path in files:
        if on_file:
            on_file(path.name)
        try:
            size = path.stat().st_size
        except OSError as err:
            corpus.problems.append(f"{path.name}: cannot read ({err.strerror}); left out.")
            continue
        if size > limit:
            corpus.problems.append(
                f"{path.name}: {size / 2**20:.1f} MB is over the {limit / 2**20:.0f} MB limit "
                "for one document (SMABOT_MAX_DOCUMENT_MB); left out. Split it into parts."
            )
            continue
        if path.stem in seen:
            corpus.problems.append(
                f"{path.name}: skipped, {seen[path.stem]} already has the id {path.stem!r}."
            )
            continue
        seen[path.stem] = path.name
        try:
            data = path.read_bytes()
            extracted = extract(path, data, max_chars=limit)
        except DocumentError as err:
            corpus.problems.append(f"{err} It was left out of the index.")
            continue
        except OSError as err:
            corpus.problems.append(f"{path.name}: cannot read ({err.strerror}); left out.")
            continue
        meta = metadata.get(path.stem) or SourceMeta(title=_guess_title(path.stem, extracted.text))
        corpus.documents.append(_document(path, data, extracted, meta))
    return corpus


MAX_DOCUMENT_BYTES = 10 * 1024 * 1024


def add_document(folder: Path, filename: str, data: bytes, meta: SourceMeta) -> Document:
    """Put a new document (and its metadata) into the corpus folder, after checking it.

    Raises DocumentError with the reason when the file is too big, of an unsupported
    type, unreadable (bad encoding, broken or scanned PDF), or would reuse an id. The
    index is not touched: run `smabot index` (or Rebuild in the staff view) afterwards.
    """
    name = Path(filename).name
    suffix = Path(name).suffix.lower()
    stem = re.sub(r"[^a-z0-9]+", "-", Path(name).stem.lower()).strip("-")
    if suffix not in SUPPORTED_SUFFIXES:
        raise DocumentError(
            f"{name}: unsupported file type {suffix or '(none)'!r}.",
            f"Use one of {', '.join(SUPPORTED_SUFFIXES)}.",
        )
    if len(data) > min(MAX_DOCUMENT_BYTES, max_document_bytes()):
        limit = min(MAX_DOCUMENT_BYTES, max_document_bytes()) // 2**20
        raise DocumentError(
            f"{name}: {len(data) / 2**20:.1f} MB is over the {limit} MB limit for an upload.",
            "Split or shorten it.",
        )
    if not stem:
        raise DocumentError(f"{name}: the file name needs letters or digits.")
    existing = {p.stem for p in _candidate_files(folder)} | set(read_metadata_raw(folder))
    if stem in existing:
        raise DocumentError(
            f"A document with the id {stem!r} is already in the corpus.",
            "Rename the file, or remove the old one first.",
        )
    path = folder / f"{stem}{suffix}"
    extracted = extract(path, data)  # DocumentError if unreadable
    raw = read_metadata_raw(folder)  # ConfigError if it does not parse: nothing written
    atomic_write(path, data)
    raw[stem] = meta.to_json()  # every other entry and field kept exactly as written
    write_metadata_raw(folder, raw)
    return _document(path, data, extracted, meta)


def _document(path: Path, data: bytes, extracted: Extracted, meta: SourceMeta) -> Document:
    """The document read from `path`, whose bytes are `data`."""
    return Document(
        path.stem,
        path.name,
        extracted.text,
        meta,
        hashlib.sha256(data).hexdigest(),
        extracted.page_starts,
    )


def _guess_title(stem: str, text: str) -> str:
    for line in text.splitlines():
        line = line.strip().lstrip("#").strip()
        if 3 <= len(line) <= 120 and sum(c.isalpha() for c in line) > len(line) / 2:
            return line
    return stem.replace("-", " ").replace("_", " ").capitalize()
