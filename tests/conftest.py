"""Shared fixtures: the real model (loaded once per session) and a real built index.

Nothing here is mocked: tests run the bundled all-MiniLM-L6-v2, real FAISS, real bm25s,
on a copy of the project's corpus in a temporary folder.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from bot.bot import Bot
from bot.build import build_index
from bot.config import PROJECT_ROOT, Config
from bot.index.embedding import Embedder

CORPUS = PROJECT_ROOT / "corpus"


@pytest.fixture(scope="session")
def embedder() -> Embedder:
    e = Embedder()
    _ = e.backend  # load now, once
    return e


@pytest.fixture(scope="session")
def built(tmp_path_factory, embedder) -> Config:
    """A config whose corpus is a copy of corpus/ and whose index is built."""
    root = tmp_path_factory.mktemp("built")
    shutil.copytree(CORPUS, root / "corpus")
    config = Config(
        corpus_dir=root / "corpus", index_dir=root / "index", feedback_db=root / "feedback.sqlite3"
    )
    build_index(config, embedder=embedder, progress=False, echo=lambda m: None)
    return config


@pytest.fixture(scope="session")
def bot(built, embedder) -> Bot:
    return Bot.load(built, embedder=embedder)


@pytest.fixture
def scratch(tmp_path, embedder) -> Config:
    """A private copy of the corpus with its own index folder (not built)."""
    shutil.copytree(CORPUS, tmp_path / "corpus")
    return Config(
        corpus_dir=tmp_path / "corpus",
        index_dir=tmp_path / "index",
        feedback_db=tmp_path / "feedback.sqlite3",
    )


@pytest.fixture
def scratch_built(scratch, built) -> Config:
    """`scratch` with a copy of the session's built index (an index folder is relocatable)."""
    shutil.copytree(built.index_dir, scratch.index_dir)
    return scratch


def corpus_text(doc_id: str) -> str:
    """A corpus document's text read straight from its file (the .txt seeds)."""
    return (CORPUS / f"{doc_id}.txt").read_bytes().decode("utf-8")


@pytest.fixture
def write(tmp_path):
    def _write(name: str, content: str | bytes) -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
        return path

    return _write
