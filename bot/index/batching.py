"""Questions that arrive together share one forward pass of the model.

A reply is one small encode (~8 ms for 1-3 short texts on this machine) plus a few ms
of arithmetic. Twenty families asking at once would otherwise queue twenty encodes one
behind the other; a batch of twenty short texts costs about as much as three single
ones, because a forward pass is mostly fixed overhead at this size.

`MicroBatcher.encode(texts)` blocks until `texts` are encoded. Whoever holds the model
serves everyone waiting: the requests that arrived while the previous batch was being
encoded (plus any that come within `window_s`) go through together, and each caller
gets its own rows back. An idle server pays no window by default: one question is
encoded at once, so the single-question latency stays at the encode floor.

A forward pass runs on the main thread when the main thread asks (the command line, the
evaluation, the benchmarks) and otherwise on one thread of the process (`MODEL_THREAD`),
whichever caller drives the batch: each thread that calls into torch keeps its own
OpenMP team and buffers, so with the passes spread over the app's worker threads the
server grew from 561 to 2,280 MB over 2,400 questions from 32 threads (+37 MB from one
thread; measured in-process with the dev questions, before this). The hand-over costs
a reply about 8 ms (in-process p50 25.2 against 17.2 ms), so the main thread keeps its
own passes.

Left out: priorities (all questions are equal; bot/app/room.py orders who gets in).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor

import numpy as np


MODEL_THREAD = ThreadPoolExecutor(1, thread_name_prefix="smabot-model")


class MicroBatcher:
    def __init__(
        self,
        encode: Callable[[list[str]], np.ndarray],
        window_s: float = 0.0,
        max_texts: int = 128,
    ):
        self._encode = encode  # list of n texts -> (n, dim) float32
        self.window_s = window_s
        self.max_texts = max_texts
        self._pending: list[tuple[list[str], Future]] = []
        self._queue_lock = threading.Lock()
        self._model_lock = threading.Lock()
        self.batches = 0  # forward passes so far (for benchmarks)
        self.requests = 0

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """(len(texts), dim) float32, encoded together with whatever else is waiting."""
        done: Future = Future()
        with self._queue_lock:
            self._pending.append((list(texts), done))
        while not done.done():
            with self._model_lock:
                if done.done():  # a batch that ran while we waited included us
                    break
                if self.window_s:
                    time.sleep(self.window_s)
                if threading.current_thread() is threading.main_thread():
                    self._run(self._take())
                else:
                    MODEL_THREAD.submit(self._run, self._take()).result()
        return done.result()

    def _take(self) -> list[tuple[list[str], Future]]:
        """Waiting requests, oldest first, up to `max_texts` texts (at least one)."""
        with self._queue_lock:
            taken, n = [], 0
            while self._pending and (not taken or n + len(self._pending[0][0]) <= self.max_texts):
                taken.append(self._pending.pop(0))
                n += len(taken[-1][0])
            return taken

    def _run(self, batch: list[tuple[list[str], Future]]) -> None:
        if not batch:
            return
        texts = list(dict.fromkeys(t for ts, _ in batch for t in ts))  # each text once
        try:
            vectors = self._encode(texts)  # (len(texts), dim)
        except BaseException as err:  # every waiting caller hears of it
            for _, future in batch:
                future.set_exception(err)
            return
        row = {t: i for i, t in enumerate(texts)}
        self.batches += 1
        self.requests += len(batch)
        for ts, future in batch:
            future.set_result(vectors[[row[t] for t in ts]])
