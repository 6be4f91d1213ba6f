"""The writers of the many-writers test, each run as its own process on one root (see the test)."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import fault_harness as harness


def _quiet() -> None:
    """Progress bars and notices to /dev/null; an error's traceback to the test's stderr."""
    sys.stdout = open(os.devnull, "w")


def _started(go) -> float:
    go.wait(60)
    return time.time()


def _record(span_file: str, start: float) -> None:
    """When this writer started and ended (the test checks that the writers overlapped)."""
    Path(span_file).write_text(f"{start} {time.time()}")


def mine_more(root: str, films: list[str], go, span: str) -> None:
    from atdkit.mining.pipeline import mine

    _quiet()
    start = _started(go)
    mine(films, root, workers=2, segment_frames=16, progress=False)
    _record(span, start)


def bench(root: str, run: str, go, span: str) -> None:
    from atdkit.bench.runner import run_benchmark

    _quiet()
    start = _started(go)
    run_benchmark(root, run, ["blend"], shard_size=1, progress=False)
    _record(span, start)


def submitter(root: str, annotator: str, log: str, go, span: str) -> None:
    """Submit through the queue until nothing is left; log each triplet once its judgement is written."""
    from atdkit.labels import judgements
    from atdkit.labels.queue import Queue
    from atdkit.store import DatasetRoot

    _quiet()
    ds = DatasetRoot.open(root)
    queue = Queue(ds, list(ds.triplets()["triplet_id"]))
    start = _started(go)
    with open(log, "a") as out:
        while (tid := queue.next_for(annotator)) is not None:
            judgements.write(ds, judgements.validate(harness.judgement_for(tid, annotator)))
            out.write(tid + "\n")
            out.flush()
    _record(span, start)


def rebuild_until(root: str, stop: str, counts: str, go) -> None:
    """``atdkit consensus`` and ``atdkit labels compact`` again and again until the file ``stop`` exists;
    every consensus written must be readable with one row per triplet."""
    import pyarrow.parquet as pq

    _quiet()
    go.wait(60)
    rounds = 0
    while not Path(stop).exists():
        harness.cli("consensus", root)
        harness.cli("labels", "compact", root)
        ids = pq.read_table(Path(root) / "consensus.parquet").column("triplet_id").to_pylist()
        assert len(ids) == len(set(ids)), "a consensus row twice"
        rounds += 1
        time.sleep(0.05)
    Path(counts).write_text(str(rounds))
