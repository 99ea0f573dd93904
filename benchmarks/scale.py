"""How smabot grows with the corpus. Prints figures; asserts nothing.

    python benchmarks/scale.py --medquad DIR --docs 1000      # a real corpus
    python benchmarks/scale.py --synthetic 100000 1000000      # the vector search alone

`--docs N` builds a corpus from the 4 default documents plus N MedQuAD topic pages
(public, CC BY 4.0: github abachaa/MedQuAD; unpack it and pass the folder, the data
stays out of the repo), one `.txt` per XML file with its questions as headings, chosen
in a fixed shuffled order from the collections that keep their answers (1-9). Then:

- build: `smabot index` as a new process on an empty index folder (wall, peak RSS);
- floor: `model.encode` of exactly the texts the build embedded, in-process (sorted by
  length, as sentence-transformers does); ratio = build / floor;
- warm reply p50/p95 over the dev questions and up to 300 MedQuAD questions, next to the
  encode floor (one query through bot/index/encoder.py, and through sentence-transformers'
  `model.encode`, the floor as the issue defined it);
- hit@1: dev.jsonl's, and the MedQuAD questions' (first quote from the page they came
  from); distractors must not bury the right page;
- cold start (`smabot ask` as a new process) and app ready (`python app.py` to the
  first page served); resident memory after the warm replies; index size on disk.

`--synthetic` measures what grows with the corpus on the query path, without
embedding: FAISS search over random unit vectors (the index type `bot/index/store.py` picks
for that size, with recall@10 against exact `IndexFlatIP`) and BM25 scoring plus top-k
over that many generated chunks.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from benchmarks.load import start_app  # noqa: E402


def medquad_pages(folder: Path) -> list[tuple[str, str, list[tuple[str, str]]]]:
    """[(page id, focus, [(question, answer)])] of every page with answers, fixed order."""
    pages = []
    for path in sorted(folder.glob("[1-9]_*/*.xml")):
        try:
            root = ET.parse(path).getroot()
        except ET.ParseError:
            continue
        pairs = [
            ((qa.findtext("Question") or "").strip(), (qa.findtext("Answer") or "").strip())
            for qa in root.iter("QAPair")
        ]
        pairs = [(q, a) for q, a in pairs if q and a]
        if pairs:
            page_id = f"mq-{path.parent.name.split('_')[0]}-{path.stem}"
            pages.append((page_id, (root.findtext("Focus") or path.stem).strip(), pairs))
    random.Random(0).shuffle(pages)
    return pages


def make_corpus(pages, out: Path) -> list[tuple[str, str]]:
    """The default documents plus `pages` as .txt files in `out`; (question, page id) of
    each page's questions."""
    shutil.copytree(ROOT / "corpus", out)
    sources = json.loads((out / "sources.json").read_text())
    questions = []
    for page_id, focus, pairs in pages:
        body = "\n\n".join(f"{q}\n\n{a}" for q, a in pairs)
        (out / f"{page_id}.txt").write_text(f"{focus}\n\n{body}\n", encoding="utf-8")
        sources[page_id] = {"title": focus, "publisher": "MedQuAD (NIH pages)", "kind": "other"}
        questions += [(q, page_id) for q, _ in pairs]
    (out / "sources.json").write_text(json.dumps(sources), encoding="utf-8")
    return questions


def run_child(cmd: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(wall seconds, peak RSS MB) of one child process."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    if status:
        raise SystemExit(f"{cmd} failed: {proc.stderr.read().decode()[-2000:]}")
    return wall, usage.ru_maxrss / 1024


def embedded_texts(index: Path) -> list[str]:
    """Every distinct text the build embedded (chunks with their title and heading, unit
    views, suggested questions), read the way the indexer reads its own cache."""
    from bot.index.store import read_embedded_texts
    from bot.index.versions import current_version

    return list(dict.fromkeys(text for text, _ in read_embedded_texts(current_version(index))))


def hnsw_recall(x: np.ndarray, queries: np.ndarray, k: int = 10) -> float:
    """recall@k of the HNSW index bot/index/store.py builds for large corpora, against exact."""
    from bot.index.store import make_faiss_index

    _, want = make_faiss_index(x, "flat").search(queries, k)
    _, got = make_faiss_index(x, "hnsw").search(queries, k)
    return float(np.mean([len(set(a) & set(b)) / k for a, b in zip(got, want, strict=True)]))


def real(args) -> None:
    from bot.bot import Bot
    from bot.config import Config
    from bot.index.embedding import Embedder
    from evals.run import collect_local, score
    from evals.sets import DEFAULT_SET, load_set

    pages = medquad_pages(args.medquad)[: args.docs] if args.docs else []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = args.keep or Path(tmp)
        corpus, index = tmp / "corpus", tmp / "index"
        reuse = args.reuse and (index / "CURRENT").exists()
        if reuse:  # the kept corpus; `smabot index` only brings the index up to date
            own = [(q, page_id) for page_id, _, pairs in pages for q, _ in pairs]
        else:
            shutil.rmtree(corpus, ignore_errors=True)
            shutil.rmtree(index, ignore_errors=True)
            own = make_corpus(pages, corpus)
        env = {**os.environ, "SMABOT_CORPUS": str(corpus), "SMABOT_INDEX": str(index)}
        smabot = str(Path(sys.executable).with_name("smabot"))
        build, build_rss = run_child([smabot, "index"], env)
        disk = sum(f.stat().st_size for f in index.rglob("*") if f.is_file()) / 2**20

        config = Config(corpus_dir=corpus, index_dir=index)
        embedder = Embedder(config.model)
        texts = embedded_texts(index)
        embedder.encode(texts[:64])  # warm
        embedder.model.encode(texts[:64])  # load sentence-transformers before timing it
        t0 = time.perf_counter()
        if not reuse:
            embedder.model.encode(texts, batch_size=32, normalize_embeddings=True)
        floor = time.perf_counter() - t0
        st_single = []
        for q in [it.question for it in load_set(DEFAULT_SET).items[:100]]:
            t0 = time.perf_counter()
            embedder.model.encode([q], normalize_embeddings=True)
            st_single.append((time.perf_counter() - t0) * 1000)

        bot = Bot.load(config, embedder=embedder)
        bot.speller.warm_up()  # wait for the tables Bot.load builds in the background
        dev = load_set(DEFAULT_SET)
        sample = random.Random(1).sample(own, min(300, len(own))) if own else []
        for q in [it.question for it in dev.items[:20]]:
            bot.answer(q)  # warm
        scored = score(
            dev.items,
            collect_local(bot, dev.items),
            {k: d.text for k, d in bot.data.documents.items()},
        )["all"]
        lat, hits = [], []
        for q, page in sample:
            t0 = time.perf_counter()
            reply = bot.answer(q)
            lat.append((time.perf_counter() - t0) * 1000)
            hits.append(bool(reply.quotes) and reply.quotes[0].doc_id == page)
        enc = []
        for q in [it.question for it in dev.items[:100]]:
            t0 = time.perf_counter()
            embedder.encode_one(q)
            enc.append((time.perf_counter() - t0) * 1000)
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        recall = hnsw_recall(
            bot.data.view_vectors, embedder.encode([it.question for it in dev.items])
        )

        cold, _ = run_child([smabot, "ask", "Is Zolgensma a cure for SMA?"], env)
        proc, _, ready = start_app(tmp, corpus, index)
        proc.terminate()
        proc.wait(timeout=30)

    floor_ms = statistics.median(enc)
    p50, p95 = scored["latency_p50_ms"], scored["latency_p95_ms"]
    print(f"smabot scale — 4 default + {len(pages)} MedQuAD documents, {os.cpu_count()} CPUs")
    print(f"  chunks {len(bot.data.chunks)}, texts embedded {len(texts)}, disk {disk:.1f} MB")
    if reuse:
        print(f"  index update (reused embeddings) {build:.1f} s; build and floor not measured")
    else:
        print(
            f"  build {build:.1f} s (peak RSS {build_rss:.0f} MB), floor {floor:.1f} s, "
            f"ratio {build / floor:.2f}x (target <= 1.15 at 100 and 1,000 documents)"
        )
    print(
        f"  warm reply (dev) p50 {p50:.1f} ms  p95 {p95:.1f} ms   encode floor {floor_ms:.1f} ms"
        f"  ({p50 / floor_ms:.2f}x / {p95 / floor_ms:.2f}x; targets 1.3x / 2x)"
    )
    st_ms = statistics.median(st_single)
    print(
        f"  sentence-transformers model.encode of one query {st_ms:.1f} ms: the reply is "
        f"{p50 / st_ms:.2f}x / {p95 / st_ms:.2f}x of that floor"
    )
    if lat:
        mq = np.array(lat)
        print(
            f"  warm reply (MedQuAD questions) p50 {np.percentile(mq, 50):.1f} ms  "
            f"p95 {np.percentile(mq, 95):.1f} ms"
        )
        print(f"  hit@1 MedQuAD own questions {np.mean(hits):.3f} ({len(hits)})")
    print(
        f"  hit@1 dev.jsonl {scored['hit@1']:.3f}, answered {scored['answered']:.3f}, "
        f"no_answer right {scored['accuracy_no_answer']:.3f}"
    )
    print(
        f"  HNSW over the {len(bot.data.view_vectors):,} passage-view vectors: recall@10 "
        f"{recall:.3f} against IndexFlatIP for the dev questions (target >= 0.98)"
    )
    print(
        f"  cold start {cold:.2f} s (target <= 6), app ready {ready:.2f} s (target <= 10), "
        f"RSS after replies {rss:.0f} MB"
    )


def synthetic(sizes: list[int], dim: int = 384, queries: int = 200) -> None:
    import faiss

    from bot.index.lexical import Lexical
    from bot.index.store import make_faiss_index

    rng = np.random.default_rng(0)
    vocab = [f"w{i}" for i in range(30_000)]
    zipf = 1 / np.arange(1, len(vocab) + 1)
    zipf /= zipf.sum()
    print(f"smabot scale — synthetic query path, dim {dim}, {os.cpu_count()} CPUs")
    for n in sizes:
        # passages come in topics: vectors around n/15 random topic centres (uniform random
        # vectors have no neighbours worth finding); queries near stored vectors
        centres = rng.standard_normal((max(1, n // 15), dim), dtype=np.float32)
        centres /= np.linalg.norm(centres, axis=1, keepdims=True)
        x = centres[rng.integers(0, len(centres), n)]
        x += 0.06 * rng.standard_normal(x.shape, dtype=np.float32)
        x /= np.linalg.norm(x, axis=1, keepdims=True)  # (n, dim) float32, unit rows
        del centres
        q = x[rng.choice(n, queries)] + 0.02 * rng.standard_normal((queries, dim), np.float32)
        q /= np.linalg.norm(q, axis=1, keepdims=True)
        t0 = time.perf_counter()
        index = make_faiss_index(x)
        built = time.perf_counter() - t0
        exact = faiss.IndexFlatIP(dim)
        exact.add(x)
        _, want = exact.search(q, 10)
        times = []
        for row in q:
            t0 = time.perf_counter()
            _, got = index.search(row[None, :], 10)
            times.append((time.perf_counter() - t0) * 1000)
        _, got = index.search(q, 10)
        recall = np.mean([len(set(a) & set(b)) / 10 for a, b in zip(got, want, strict=True)])
        mem = faiss.serialize_index(index).nbytes / 2**20
        del exact
        words = rng.choice(len(vocab), size=(n, 40), p=zipf)
        lexical = Lexical.build([" ".join(vocab[i] for i in row) for row in words], [])
        bm = []
        for row in words[:queries]:
            t0 = time.perf_counter()
            s = lexical.chunk_scores([vocab[i] for i in row[:6]])
            np.argpartition(-s, 40)[:40]
            bm.append((time.perf_counter() - t0) * 1000)
        print(
            f"  {n:>9,} vectors  {type(index).__name__:<14} build {built:6.1f} s  "
            f"search p50 {np.percentile(times, 50):6.2f} ms  "
            f"p95 {np.percentile(times, 95):6.2f} ms"
            f"  recall@10 {recall:.3f}  index {mem:7.1f} MB  |  BM25 over "
            f"{len(words):,} chunks p50 {np.percentile(bm, 50):.2f} ms"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--medquad", type=Path, help="unpacked MedQuAD folder")
    parser.add_argument("--docs", type=int, default=0, help="MedQuAD pages to add")
    parser.add_argument("--keep", type=Path, help="build in this folder and keep it")
    parser.add_argument(
        "--reuse", action="store_true", help="with --keep: reuse its corpus and index"
    )
    parser.add_argument("--synthetic", type=int, nargs="*", help="vector counts, e.g. 100000")
    args = parser.parse_args()
    if args.synthetic:
        synthetic(args.synthetic)
        return
    if args.docs and not args.medquad:
        parser.error("--docs needs --medquad DIR (tar xzf medquad.tar.gz -C DIR)")
    real(args)


if __name__ == "__main__":
    main()
