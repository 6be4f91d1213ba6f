"""One executor interface for parallel work: local processes by default, a Dask
cluster when given a scheduler address (``--scheduler tcp://host:8786``).

Work units must be idempotent and write their own outputs atomically; the
executor only runs them and yields their (small) return values as they finish.
"""

from __future__ import annotations

import atexit
import concurrent.futures as cf
import logging
import multiprocessing as mp
import os
import sys
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TypeVar

from tqdm.auto import tqdm

T = TypeVar("T")
R = TypeVar("R")


def run_all(fn: Callable[[T], R], items: Iterable[T], *, workers: int = 1, scheduler: str | None = None,
            desc: str = "", progress: bool = True,
            status: Callable[[], str] | None = None) -> Iterator[tuple[T, R | BaseException]]:
    """Apply ``fn`` to every item, yielding ``(item, result_or_exception)`` in completion order.

    ``workers <= 1`` and no scheduler runs in this process (easy to debug);
    ``workers > 1`` uses a process pool; ``scheduler`` submits to a Dask cluster.
    Exceptions are returned, not raised, so one failed unit never stops the others.
    ``status()``, when given, is shown beside the bar about once a second while units run elsewhere
    (what the units report of their own progress: the bar alone only moves when a unit ends).
    """
    items = list(items)
    bar = tqdm(total=len(items), desc=desc, disable=not progress or not items, unit="unit")

    def tick() -> None:
        if status is not None and not bar.disable:
            bar.set_postfix_str(status(), refresh=True)

    try:
        if scheduler:
            yield from _run_dask(fn, items, scheduler, bar, tick)
        elif workers <= 1:
            for item in items:
                try:
                    result: Any = fn(item)
                except Exception as exc:  # reported per unit
                    result = exc
                bar.update(1)
                yield item, result
        else:
            ctx = mp.get_context("spawn")
            threads = max(1, (os.cpu_count() or 1) // workers)
            with cf.ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=_start_worker,
                                        initargs=(threads,)) as pool:
                futures = {pool.submit(fn, item): item for item in items}
                pending = set(futures)
                while pending:
                    done, pending = cf.wait(pending, timeout=1.0, return_when=cf.FIRST_COMPLETED)
                    tick()
                    for fut in done:
                        bar.update(1)
                        exc = fut.exception()
                        yield futures[fut], (exc if exc is not None else fut.result())
    finally:
        bar.close()


def _start_worker(threads: int) -> None:
    """Set up a pool worker process:

    - its share of the cores, so N workers × library thread pools (torch/OpenMP, OpenCV) do not
      oversubscribe the machine;
    - a quick exit: once the pool is shut down, the worker ends right after the exit handlers that
      the work registered (they run first: last in, first out), without the interpreter's teardown
      of its modules. That teardown (pandas, Numba, …) took 0.3–0.5 s, and the pool's shutdown waits
      for it at the end of every run. Results are sent and files closed by then; the standard
      streams and logging handlers are flushed.
    """
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ[var] = str(threads)
    import cv2

    cv2.setNumThreads(threads)
    atexit.register(_exit_now)


def _exit_now() -> None:
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        if stream is not None:
            stream.flush()
    os._exit(0)


def _run_dask(fn, items, scheduler, bar, tick):
    from distributed import Client, wait

    with Client(scheduler) as client:
        futures = client.map(fn, items, pure=False)
        index = {f.key: item for f, item in zip(futures, items)}
        pending = set(futures)
        while pending:
            try:
                result = wait(list(pending), timeout=1.0, return_when="FIRST_COMPLETED")
            except TimeoutError:  # none finished within the second
                tick()
                continue
            tick()
            pending = set(result.not_done)
            for fut in result.done:
                bar.update(1)
                try:
                    yield index[fut.key], fut.result()
                except Exception as exc:
                    yield index[fut.key], exc
