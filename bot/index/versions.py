"""Index versions on disk: published atomically, verified on load, old ones tidied away.

    index/CURRENT             name of the live version, replaced atomically
    index/v-YYYYMMDD-.../     one complete build (see bot/index/store.py for its files)
    index/.build-v-.../       a build being written (or one that died)

A build writes its files under `.build-<version>`, adds a manifest listing every file's
sha256, renames the folder into place and only then points `CURRENT` at it, so an
interrupted build (Ctrl-C, kill -9, full disk) leaves the previous version in use.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bot.errors import IndexCorrupt, IndexMissing
from bot.ingest.fileio import atomic_write

FORMAT_VERSION = 1
POINTER = "CURRENT"
BUILD_PREFIX = ".build-"
FIX_REBUILD = "Run `smabot index --rebuild` to build it again."


def current_version(index_dir: Path) -> Path | None:
    pointer = index_dir / POINTER
    if not pointer.exists():
        return None
    name = pointer.read_text(encoding="utf-8").strip()
    return index_dir / name if name else None


def write_version(
    index_dir: Path, version: str, write_files: Callable[[Path], dict[str, Any]]
) -> Path:
    """Run `write_files(tmp)` (returns the manifest), then publish it as `version`."""
    index_dir.mkdir(parents=True, exist_ok=True)
    tmp = index_dir / f"{BUILD_PREFIX}{version}"
    final = index_dir / version
    try:
        tmp.mkdir()
        manifest = write_files(tmp)
        manifest["files"] = {
            str(p.relative_to(tmp)): _sha256(p) for p in sorted(tmp.rglob("*")) if p.is_file()
        }
        atomic_write(tmp / "manifest.json", json.dumps(manifest, indent=2))
        tmp.rename(final)
        atomic_write(index_dir / POINTER, version + "\n")
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        if final.exists() and current_version(index_dir) != final:
            shutil.rmtree(final, ignore_errors=True)
        raise
    return final


def previous_versions(index_dir: Path) -> list[Path]:
    """The published versions other than the current one, newest first."""
    live = current_version(index_dir)
    found = [
        p
        for p in (index_dir.iterdir() if index_dir.exists() else ())
        if p.is_dir() and p.name.startswith("v-") and p != live
    ]
    return sorted(found, key=lambda p: p.name, reverse=True)  # names start with the time


def remove_stale(index_dir: Path, keep: int = 1) -> None:
    """Delete unfinished builds and the versions other than the current one and the
    `keep` newest before it (one previous version stays: a restart on a damaged current
    one answers from it at once, bot/app/state.py)."""
    for path in index_dir.iterdir() if index_dir.exists() else ():
        if path.is_dir() and path.name.startswith(BUILD_PREFIX):
            shutil.rmtree(path, ignore_errors=True)
    for path in previous_versions(index_dir)[keep:]:
        shutil.rmtree(path, ignore_errors=True)


def read_manifest(index_dir: Path, folder: Path | None = None) -> tuple[Path, dict[str, Any]]:
    """The manifest of the current version (or of `folder`, one version)."""
    folder = folder or current_version(index_dir)
    if folder is None:
        raise IndexMissing(f"No index has been built in {index_dir} yet.", "Run `smabot index`.")
    try:
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    except FileNotFoundError as err:
        raise IndexCorrupt(f"The index {folder.name} has no manifest.", FIX_REBUILD) from err
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise IndexCorrupt(f"The manifest of index {folder.name} is damaged.", FIX_REBUILD) from err
    if manifest.get("format_version") != FORMAT_VERSION:
        raise IndexCorrupt(
            f"The index {folder.name} has format {manifest.get('format_version')!r}; "
            f"this smabot reads format {FORMAT_VERSION}.",
            FIX_REBUILD,
        )
    return folder, manifest


def verify_files(folder: Path, manifest: dict[str, Any]) -> None:
    """Raise IndexCorrupt unless every file the manifest lists is present and intact."""
    files = manifest.get("files")
    if not files:
        raise IndexCorrupt(f"The manifest of index {folder.name} lists no files.", FIX_REBUILD)
    for name, digest in files.items():
        path = folder / name
        if not path.is_file():
            raise IndexCorrupt(f"Index file {name} is missing from {folder.name}.", FIX_REBUILD)
        if _sha256(path) != digest:
            raise IndexCorrupt(
                f"Index file {name} in {folder.name} is damaged (its checksum does not match).",
                FIX_REBUILD,
            )


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()
