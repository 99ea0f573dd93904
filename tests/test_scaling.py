"""What lets the bot grow: the plain-torch encoder against sentence-transformers, the
micro-batcher, length-sorted cached encoding, and the approximate vector index against
the exact one (`IndexFlatIP`)."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from bot.index import encoder
from bot.index.batching import MicroBatcher
from bot.index.embedding import Embedder, encode_with_cache, resolve_model, text_key
from bot.index.store import make_faiss_index


@pytest.fixture(scope="module")
def corpus_texts(bot) -> list[str]:
    chunks = [bot.data.text(c.doc_id, c.start, c.end) for c in bot.data.chunks]
    odd = ["", " ", "a " * 600, "spinrazza 😀 عربي", "<b>SMA</b>\x00type 2", "x" * 3000]
    return chunks + bot.data.suggestions + odd


def test_the_torch_encoder_gives_sentence_transformers_vectors(embedder, corpus_texts):
    assert isinstance(embedder.backend, encoder.BertSentenceEncoder)  # the default model
    oracle = Embedder(engine="sentence-transformers")
    want = oracle.encode(corpus_texts)  # (n, 384) from SentenceTransformer.encode
    got = embedder.encode(corpus_texts)
    assert got.shape == want.shape == (len(corpus_texts), 384)
    assert np.abs(got - want).max() < 1e-5
    assert np.allclose(np.linalg.norm(got, axis=1), 1.0, atol=1e-5)
    for word in ("risdiplam", "Zolgensma", "SMN1"):
        assert embedder.pieces(word) == oracle.pieces(word)
    long = "word " * 400  # counted whole, not truncated at the model's 256
    assert embedder.n_tokens(long) == oracle.n_tokens(long) == 402
    assert embedder.max_seq_length == oracle.max_seq_length == 256


def test_other_recipes_go_through_sentence_transformers(tmp_path):
    import shutil
    from pathlib import Path

    folder = tmp_path / "model"
    shutil.copytree(Path(resolve_model("all-MiniLM-L6-v2")), folder)
    assert encoder.supports(folder)
    pooling = folder / "1_Pooling" / "config.json"
    pooling.write_text(
        pooling.read_text().replace(
            '"pooling_mode_cls_token": false', '"pooling_mode_cls_token": true'
        )
    )
    assert not encoder.supports(folder)
    assert not encoder.supports(tmp_path / "missing")


def test_questions_asked_together_share_forward_passes(embedder):
    calls: list[int] = []

    def encode(texts: list[str]) -> np.ndarray:
        calls.append(len(texts))
        return embedder.encode(texts)

    batcher = MicroBatcher(encode)
    questions = [[f"question {i} about SMA", f"and a follow-up {i}"] for i in range(20)]
    results: dict[int, np.ndarray] = {}
    start = threading.Barrier(len(questions))

    def ask(i: int) -> None:
        start.wait()
        results[i] = batcher.encode(questions[i])

    threads = [threading.Thread(target=ask, args=(i,)) for i in range(len(questions))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for i, texts in enumerate(questions):  # each caller got its own rows back
        assert np.abs(results[i] - embedder.encode(texts)).max() < 1e-5
    assert batcher.requests == 20 and batcher.batches == len(calls) < 20
    assert max(calls) > 2


def test_a_failed_batch_reaches_every_waiting_caller():
    def encode(texts):
        raise RuntimeError("model failed")

    with pytest.raises(RuntimeError, match="model failed"):
        MicroBatcher(encode).encode(["anything"])


def test_cached_encoding_embeds_only_new_text_longest_first(embedder):
    texts = ["short", "a much longer text about spinal muscular atrophy", "mid length", "short"]
    seen: list[list[str]] = []
    original = embedder.backend.encode

    def spy(batch, batch_size):
        seen.append(list(batch))
        return original(batch, batch_size=batch_size)

    cache = {text_key("mid length"): embedder.encode(["mid length"])[0]}
    embedder.backend.encode = spy
    try:
        vectors, embedded = encode_with_cache(embedder, texts, cache, progress=False)
    finally:
        del embedder.backend.encode
    assert embedded == 2 and seen == [[texts[1], "short"]]  # one pass, longest first
    assert np.abs(vectors - embedder.encode(texts)).max() < 1e-5  # in the caller's order


def test_the_large_corpus_index_finds_what_the_exact_one_finds():
    # passages come in topics: 30k vectors around 2,000 topic centres (uniform random
    # vectors have no near neighbours worth finding; benchmarks/scale.py checks the
    # recall on real passage vectors too)
    rng = np.random.default_rng(0)
    centres = rng.standard_normal((2000, 384), dtype=np.float32)
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    x = centres[rng.integers(0, 2000, 30_000)]
    x = x + 0.06 * rng.standard_normal(x.shape, dtype=np.float32)
    x /= np.linalg.norm(x, axis=1, keepdims=True)  # (30000, 384) float32, unit rows
    queries = x[rng.choice(len(x), 200)] + 0.02 * rng.standard_normal((200, 384), np.float32)
    queries /= np.linalg.norm(queries, axis=1, keepdims=True)
    approximate, exact = make_faiss_index(x, "hnsw"), make_faiss_index(x, "flat")
    assert type(make_faiss_index(x[:1000])).__name__ == "IndexFlatIP"  # small: exact
    _, got = approximate.search(queries, 10)
    scores, want = exact.search(queries, 10)
    recall = np.mean([len(set(a) & set(b)) / 10 for a, b in zip(got, want, strict=True)])
    assert recall >= 0.98
    top, top_ids = approximate.search(queries, 1)  # inner products, as the exact index gives
    same = top_ids[:, 0] == want[:, 0]
    assert same.mean() >= 0.98
    assert np.abs(top[same, 0] - scores[same, 0]).max() < 1e-4


def test_question_tokens_are_the_tokens_bm25s_indexed(bot):
    import bm25s

    from bot.index.lexical import numbered_terms
    from evals.sets import DEFAULT_SET, load_set

    lx = bot.data.lexical
    texts = [it.question for it in load_set(DEFAULT_SET).items]
    texts += [bot.data.text(c.doc_id, c.start, c.end) for c in bot.data.chunks]
    texts += ["", "  ", "Émile's café – SMA type II", "x1 a2 ab"]
    for text in texts:  # the tokenizer the index was built with is the oracle
        want = bm25s.tokenize(
            [numbered_terms(text)],
            stopwords=sorted(lx.stopwords),
            stemmer=lx._stemmer,
            show_progress=False,
            return_ids=False,
        )[0]
        assert lx.tokens(text) == list(want), text


def test_prefix_matches_are_those_a_scan_of_the_vocabulary_finds(bot):
    lx = bot.data.lexical
    words = ["diagnost", "hereditari", "inheritance", "spinrazza", "muscula", "physiotherapi"]
    for term in [*words, *(t[:6] for t in list(lx.idf)[:200])]:
        if term in lx.idf or lx.is_compound(term) or len(term) < 5:
            continue
        scan = tuple(
            v for v in lx.idf if len(v) >= 5 and (v.startswith(term) or term.startswith(v))
        )
        assert lx.expand(term) == scan, term


def test_forward_passes_run_on_the_main_thread_or_the_one_model_thread():
    """However many threads ask, the passes run on two at most (bot/index/batching.py)."""
    from concurrent.futures import ThreadPoolExecutor

    ran_on: set[str] = set()

    def encode(texts: list[str]) -> np.ndarray:
        ran_on.add(threading.current_thread().name)
        return np.zeros((len(texts), 2), dtype=np.float32)

    batcher = MicroBatcher(encode)
    batcher.encode(["asked from the main thread"])  # pytest runs tests on it
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda i: batcher.encode([f"question {i}"]), range(40)))
    others = ran_on - {threading.main_thread().name}
    assert threading.main_thread().name in ran_on
    assert len(others) == 1 and others.pop().startswith("smabot-model"), ran_on
