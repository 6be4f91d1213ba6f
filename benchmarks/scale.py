"""Scaling on a Dask cluster: ``mine`` and ``bench`` of the same films on 1 and on 2 Dask worker
processes (one thread each, `dask worker --nthreads 1 --no-nanny`, on this machine), measured in one run.

Two clusters are started side by side on 127.0.0.1 — a scheduler with one worker and a scheduler
with two — and kept warm (the first run on each is a warm-up and is not counted: a long-lived
cluster has its imports and Numba's compiled kernels loaded). Then, ``--repeats`` times, in turn:
``mine`` of the films into a fresh root in this process (no scheduler, one process: the
reference), on the 1-worker cluster and on the 2-worker cluster; then the same for ``bench`` of
``--method`` on the first root mined (fresh run folder each time). It prints the medians and:

- speed-up = median(1 worker) / median(2 workers) (target ≥ 1.6 for both on 2 cores);
- cluster overhead per work unit, two ways: (median(1 worker) − median(in-process)) / units
  (segments for mine, shards for bench; this process's thread settings differ from a capped
  worker's, so this can come out negative on a busy machine), and directly: the wall time per unit
  of ``--noop-units`` units that do nothing, sent through ``run_all`` to the 1-worker cluster
  (submission, scheduling, the result's way back).

The films are synthesized once into ``--films-dir``. The machine may be shared: run-to-run spread
is printed beside each median.

Run: ``python benchmarks/scale.py`` (``--quick`` for a smoke run).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
DASK = str(Path(sys.executable).parent / "dask")


def start_cluster(base: Path, n_workers: int) -> tuple[str, list[subprocess.Popen]]:
    """A scheduler and ``n_workers`` one-thread worker processes; returns (address, processes)."""
    base.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(HERE.parent), os.environ.get("PYTHONPATH", "")])}
    file = base / "scheduler.json"
    procs = [subprocess.Popen([DASK, "scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
                               "--scheduler-file", str(file)], cwd=base, env=env, start_new_session=True,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)]
    while not file.is_file():
        time.sleep(0.2)
    address = json.loads(file.read_text())["address"]
    for i in range(n_workers):
        procs.append(subprocess.Popen([DASK, "worker", address, "--nthreads", "1", "--no-nanny", "--no-dashboard",
                                       "--host", "127.0.0.1", "--local-directory", str(base / f"w{i}")],
                                      cwd=base, env=env, start_new_session=True,
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
    from distributed import Client

    with Client(address, timeout=60) as client:
        client.wait_for_workers(n_workers, timeout=300)
    return address, procs


def stop(procs: list[subprocess.Popen]) -> None:
    for proc in reversed(procs):
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--films", type=int, default=2)
    ap.add_argument("--seconds", type=float, default=12.0, help="length of each film")
    ap.add_argument("--size", default="480x270")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--method", default="dis-flow")
    ap.add_argument("--shard-size", type=int, default=4)
    ap.add_argument("--noop-units", type=int, default=200)
    ap.add_argument("--films-dir", type=Path, default=Path(tempfile.gettempdir()) / "atdkit-scale-films")
    ap.add_argument("--quick", action="store_true", help="smoke run: short films, one repeat")
    args = ap.parse_args()
    if args.quick:
        args.seconds, args.repeats = 4.0, 1

    from atdkit.bench.runner import run_benchmark
    from atdkit.distributed import run_all, slots
    from atdkit.mining.pipeline import mine
    from atdkit.store.dataset import DatasetRoot
    from atdkit.synth import synthesize

    width, height = (int(v) for v in args.size.split("x"))
    args.films_dir.mkdir(parents=True, exist_ok=True)
    films = []
    for seed in range(1, args.films + 1):
        path = args.films_dir / f"scale-{seed}-{args.seconds:g}s-{args.size}.mp4"
        if not path.is_file():
            synthesize(path, seed=seed, style=("cel", "anime", "mono")[seed % 3], length_s=args.seconds, fps=24,
                       width=width, height=height)
        films.append(path)

    work = Path(tempfile.mkdtemp(prefix="atdkit-scale-"))
    procs: list[subprocess.Popen] = []
    try:
        one, p1 = start_cluster(work / "c1", 1)
        procs += p1
        two, p2 = start_cluster(work / "c2", 2)
        procs += p2
        where = {"in-process": None, "1 worker": one, "2 workers": two}
        runs = iter(range(10**6))

        def mine_on(scheduler):
            root = work / f"root{next(runs)}"
            began = time.perf_counter()
            mine(films, root, scheduler=scheduler, progress=False)
            return time.perf_counter() - began, root

        def bench_on(scheduler, root):
            began = time.perf_counter()
            summary = run_benchmark(root, work / f"run{next(runs)}", [args.method], size=None, chamfer=False,
                                    scheduler=scheduler, shard_size=args.shard_size, progress=False)
            assert not summary.shards_failed, summary.shards_failed
            return time.perf_counter() - began, summary.shards_done

        reference = mine_on(None)[1]
        n_triplets = len(DatasetRoot.open(reference).triplets())
        for scheduler in (one, two):  # warm-up: imports and compiled kernels on the workers
            mine_on(scheduler)
            bench_on(scheduler, reference)
        noop_times = []
        for _ in range(args.repeats):
            began = time.perf_counter()
            assert all(r is None for _, r in run_all(_noop, range(args.noop_units), scheduler=one, progress=False))
            noop_times.append((time.perf_counter() - began) / args.noop_units)
        mine_times: dict[str, list[float]] = {k: [] for k in where}
        bench_times: dict[str, list[float]] = {k: [] for k in where}
        bench_units: dict[str, int] = {}
        for _ in range(args.repeats):
            for name, scheduler in where.items():
                mine_times[name].append(mine_on(scheduler)[0])
            for name, scheduler in where.items():
                seconds, bench_units[name] = bench_on(scheduler, reference)
                bench_times[name].append(seconds)
        print(f"films: {args.films} × {args.seconds:g} s at {args.size} ({sum(1 for _ in films)} files), "
              f"{n_triplets} triplets kept; bench: {args.method}, shard size {args.shard_size}; "
              f"repeats: {args.repeats}; cores: {os.cpu_count()}; load average now: "
              f"{', '.join(f'{x:.1f}' for x in os.getloadavg())} (shared machine)")
        # units on 1 worker: one segment per film (a single worker thread does not split films), the shards
        units = {"mine": _segments(films, slots(1, one)), "bench": bench_units["1 worker"]}
        for label, times in (("mine", mine_times), ("bench", bench_times)):
            med = {k: statistics.median(v) for k, v in times.items()}
            spread = {k: f"{min(v):.2f}–{max(v):.2f}" for k, v in times.items()}
            print(f"\n{label}: median s (min–max)")
            for k in where:
                print(f"  {k:>10}: {med[k]:7.2f} ({spread[k]})")
            print(f"  speed-up 2 workers vs 1: {med['1 worker'] / med['2 workers']:.2f}×  (target ≥ 1.6)")
            print(f"  cluster overhead per unit (1 worker − in-process) / {units[label]} units: "
                  f"{(med['1 worker'] - med['in-process']) / units[label] * 1000:.0f} ms")
        print(f"\ncluster overhead per unit, measured directly: {statistics.median(noop_times) * 1000:.1f} ms "
              f"(median of {args.repeats} runs of {args.noop_units} no-op units on the 1-worker cluster)")
    finally:
        stop(procs)
        shutil.rmtree(work, ignore_errors=True)


def _noop(_):
    return None


def _segments(films, n_slots: int) -> int:
    """How many segments ``mine`` cuts the films into for ``n_slots`` worker threads."""
    from atdkit.mining.pipeline import _probe_frames
    from atdkit.mining.segments import auto_length, plan

    counts = [_probe_frames(str(f)) for f in films]
    length = auto_length(sum(counts), n_slots)
    return sum(len(plan(n, length)) for n in counts)


if __name__ == "__main__":
    main()
