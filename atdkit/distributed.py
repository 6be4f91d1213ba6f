"""One executor interface for parallel work: local processes by default, a Dask
cluster when given a scheduler address (``--scheduler tcp://host:8786``).

Work units must be idempotent and write their own outputs atomically; the
executor only runs them and yields their (small) return values as they finish.
On a cluster a unit that a lost worker was running is run again elsewhere by Dask.

A cluster's workers are other processes, often on other machines: every path a unit
reads must be absolute and on storage each worker sees at the same path.
:func:`run_all` checks that before submitting anything (``checks``), and caps each
worker's library thread pools as it does for local pool workers (:func:`cap_threads`).
See docs/cluster.md.
"""

from __future__ import annotations

import atexit
import concurrent.futures as cf
import contextlib
import logging
import multiprocessing as mp
import os
import sys
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, TypeVar

from tqdm.auto import tqdm

from atdkit.errors import AtdkitError, BadInput

T = TypeVar("T")
R = TypeVar("R")


WorkerCheck = Callable[[], "str | None"]


def run_all(fn: Callable[[T], R], items: Iterable[T], *, workers: int = 1, scheduler: str | None = None,
            desc: str = "", progress: bool = True, status: Callable[[], str] | None = None,
            checks: Iterable[WorkerCheck] = ()) -> Iterator[tuple[T, R | BaseException]]:
    """Apply ``fn`` to every item, yielding ``(item, result_or_exception)`` in completion order.

    ``workers <= 1`` and no scheduler runs in this process (easy to debug);
    ``workers > 1`` uses a process pool; ``scheduler`` submits to a Dask cluster.
    Exceptions are returned, not raised, so one failed unit never stops the others.
    ``status()``, when given, is shown beside the bar about once a second while units run elsewhere
    (what the units report of their own progress: the bar alone only moves when a unit ends).
    ``checks`` run on every Dask worker before any unit is submitted (see :func:`readable_files`):
    the first problem a worker reports raises :class:`BadInput` naming that worker. Local workers
    share this process's file system and working directory, so they are not checked.
    """
    items = list(items)
    checks = list(checks)
    bar = tqdm(total=len(items), desc=desc, disable=not progress or not items, unit="unit")

    def tick() -> None:
        if status is not None and not bar.disable:
            bar.set_postfix_str(status(), refresh=True)

    try:
        if scheduler:
            yield from _run_dask(fn, items, scheduler, bar, tick, checks)
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

    - its share of the cores (:func:`cap_threads`);
    - a quick exit: once the pool is shut down, the worker ends right after the exit handlers that
      the work registered (they run first: last in, first out), without the interpreter's teardown
      of its modules. That teardown (pandas, Numba, …) took 0.3–0.5 s, and the pool's shutdown waits
      for it at the end of every run. Results are sent and files closed by then; the standard
      streams and logging handlers are flushed.
    """
    cap_threads(threads)
    atexit.register(_exit_now)


def cap_threads(threads: int) -> int:
    """Give this process's library thread pools ``threads`` threads each, so that N worker
    processes × (torch/OpenMP, OpenCV, Numba, BLAS) pools do not oversubscribe the cores.
    Libraries not loaded yet read the environment when they load; loaded ones are set directly
    (Numba cannot go above the count it started with). Returns ``threads``."""
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "NUMBA_NUM_THREADS"):
        os.environ[var] = str(threads)
    import cv2

    cv2.setNumThreads(threads)
    if "torch" in sys.modules:
        sys.modules["torch"].set_num_threads(threads)
    if "numba" in sys.modules:
        numba = sys.modules["numba"]
        numba.set_num_threads(min(threads, numba.config.NUMBA_NUM_THREADS))
    return threads


def _cap_dask_worker(threads_on_host: int) -> int:
    """On a Dask worker: its share of its machine's cores (cores // threads of all the workers on
    that machine, at least 1) for every task thread's library pools."""
    return cap_threads(max(1, (os.cpu_count() or 1) // max(threads_on_host, 1)))


def slots(workers: int = 1, scheduler: str | None = None) -> int:
    """How many units can run at once: the cluster's worker threads with a scheduler, else ``workers``
    (at least 1). Work is cut into pieces from this count (segments, shards)."""
    if not scheduler:
        return max(workers, 1)
    with _connect(scheduler) as client:
        return max(1, sum(w["nthreads"] for w in client.scheduler_info(n_workers=-1)["workers"].values()))


def readable_files(*paths: str | os.PathLike, why: str = "") -> WorkerCheck:
    """A worker check: every one of ``paths`` (absolute, resolved on the client) is a file this
    process can read. ``why`` ends the message (what the file is for)."""
    wanted = [str(Path(p).absolute()) for p in paths]
    return _ReadableFiles(tuple(wanted), why)


class _ReadableFiles:
    def __init__(self, paths: tuple[str, ...], why: str):
        self.paths, self.why = paths, why

    def __call__(self) -> str | None:
        for path in self.paths:
            try:
                with open(path, "rb") as f:
                    f.read(1)
            except OSError as exc:
                reason = exc.strerror or type(exc).__name__
                return f"cannot read {path} ({reason}, working directory {os.getcwd()}){self.why}"
        return None


SHARED_ROOT = ": the dataset and run roots must be on storage every worker sees at the same path (docs/cluster.md)"


def _exit_now() -> None:
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        if stream is not None:
            stream.flush()
    os._exit(0)


def _connect(scheduler: str):
    from distributed import Client

    try:
        return Client(scheduler, timeout=_CONNECT_TIMEOUT_S)
    except (OSError, TimeoutError) as exc:
        raise AtdkitError(f"cannot reach the Dask scheduler at {scheduler} ({_first_line(exc)}); "
                          "is `dask scheduler` running there?") from None


_CONNECT_TIMEOUT_S = 10


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def _prepare_workers(client, scheduler: str, checks: list[WorkerCheck]) -> None:
    """Cap every worker's threads by its machine's share, then run ``checks`` on every worker."""
    workers = client.scheduler_info(n_workers=-1)["workers"]
    if not workers:
        raise AtdkitError(f"the Dask scheduler at {scheduler} has no workers; start some with "
                          f"`dask worker {scheduler}`")
    per_host: dict[str, int] = {}
    for info in workers.values():
        per_host[info["host"]] = per_host.get(info["host"], 0) + info["nthreads"]
    for host, threads in per_host.items():
        client.run(_cap_dask_worker, threads, workers=[a for a, i in workers.items() if i["host"] == host])
    for check in checks:
        for address, problem in sorted(client.run(check).items()):
            if problem:
                name = workers.get(address, {}).get("name", address)
                where = address if str(name) == address else f"{name} at {address}"
                raise BadInput(f"Dask worker {where}: {problem}")


def _run_dask(fn, items, scheduler, bar, tick, checks):
    from distributed import wait

    with _quiet_client(), _connect(scheduler) as client:  # quiet while the client closes too
        _prepare_workers(client, scheduler, checks)
        futures = client.map(fn, items, pure=False)
        index = {f.key: item for f, item in zip(futures, items)}
        pending = set(futures)
        while pending:
            try:
                result = wait(list(pending), timeout=1.0, return_when="FIRST_COMPLETED")
            except TimeoutError:  # none finished within the second
                _check_scheduler(client, scheduler)
                tick()
                continue
            except (OSError, cf.CancelledError) as exc:  # nothing here cancels: the scheduler went away
                raise _lost(scheduler, exc) from None
            tick()
            pending = set(result.not_done)
            for fut in result.done:
                try:
                    outcome = fut.result()
                except Exception as exc:
                    if isinstance(exc, cf.CancelledError):  # as above
                        raise _lost(scheduler, exc) from None
                    _check_scheduler(client, scheduler, exc)
                    outcome = exc
                bar.update(1)
                yield index[fut.key], outcome


@contextlib.contextmanager
def _quiet_client() -> Iterator[None]:
    """Keep the Dask client's own log records (tracebacks of its reconnection attempts when the
    scheduler goes away) off the terminal: what went wrong is reported in one line instead."""
    names = ["distributed", *(n for n in logging.root.manager.loggerDict if n.startswith("distributed."))]
    loggers = [logging.getLogger(n) for n in names]  # Dask's config gives some their own level
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        for logger, level in zip(loggers, levels):
            logger.setLevel(level)


def _check_scheduler(client, scheduler: str, exc: BaseException | None = None) -> None:
    """Raise the one-line 'scheduler lost' error when the client is no longer connected (its
    futures are then cancelled, not failed)."""
    if client.status not in ("running", "connecting"):
        raise _lost(scheduler, exc) from None


def _lost(scheduler: str, exc: BaseException | None) -> AtdkitError:
    why = f" ({_first_line(exc).rstrip(':.')})" if exc is not None and str(exc).strip() else ""
    return AtdkitError(f"lost the Dask scheduler at {scheduler}{why}; finished units are kept: "
                       "run the same command again to resume")
