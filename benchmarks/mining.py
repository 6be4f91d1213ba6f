"""Mining throughput next to its ceiling (decode only) and to a naive miner, measured in one run.

For each resolution (960×540 and 1920×1080) and each workload — one long film
(mined in parallel as segments) and ``--films`` shorter distinct films of the
same total length — it prints, in source frames per second (medians of
``--repeats`` runs; decode only: one run more):

- decode only: every frame of every film decoded in order, by the reader the
  miner's pass opens (``--backend``, default ``auto`` = PyAV; one process);
- atdkit mine with ``--workers`` processes and the same backend (a fresh dataset root per repeat);
- naive miner: decode + full-resolution scikit-image SSIM for each of the 3
  pairs of every candidate (f, f+g, f+2g), g ∈ {1,2,3}, no reuse — run on the
  first ``--naive-frames`` frames of one film (it is that slow);

and the ratios mining/decode (target ≥ 0.5 with 2 workers) and mining/naive
(target ≥ 20), plus how many triplets the films keep per 100 frames (each kept
triplet costs three exact SSIMs, optical flow and three PNG writes, so the
ratio to decoding depends on it). Decode and mining runs alternate, starting and
ending with decoding, and mine/decode is the median over the mining runs of each
one's rate divided by the mean decode-only rate just before and just after it:
this machine's speed drifts within minutes, and a ratio of medians taken minutes
apart carries that drift. The films are ``--seconds`` long in total per
workload (default 120 s = 2880 frames, a few minutes of a real film's work per
worker); a run's fixed costs (starting worker processes, about 1.2 s:
imports, and Numba's first call, which imports SciPy; joining the tables) are
part of the figure, as they are for a user, and weigh less the longer the
films. The films are synthesized once and kept (see ``benchmarks/footage.py``).

Then where the time goes: the one-film workload mined once more in this process
under cProfile, its time split into stages in ms per source frame, next to the
CPU a frame may cost for the target (``workers`` cores ÷ half the decode-only
rate, assuming perfect scaling and no fixed costs), as a table and as a chart
(``--plot``, default ``benchmarks/results/mining_stages.png``). cProfile slows
the Python-heavy stages (shot tracking, the sampler) a little more than the
others. Each stage is also given in units of the profile's own decode stage:
these do not drift with the machine's speed between runs as the ms do, and the
target allows ``2·workers`` of them (4 with 2 workers) if decoding inside the
miner costs what decoding alone does (under cProfile it cost about 1.3–1.4×
more, so the units understate the gap). Last, two of the many-films workload's
films mined by two single processes side by side, against each alone (OpenCV
on one thread, as in a worker; medians of ``--repeats``): how much two workers
slow each other on this machine, which the budget does not count.

Run: ``python benchmarks/mining.py`` (about 20 minutes on 2 cores, plus about
7 minutes the first time to synthesize the films; ``--quick`` for a smoke run).
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from footage import synthetic_film  # benchmarks/footage.py

from atdkit.mining.pipeline import mine
from atdkit.mining.similarity import ssim_reference
from atdkit.video import open_video


def decode_fps(films: list[Path], backend: str) -> float:
    start, n = time.perf_counter(), 0
    for film in films:
        for _ in open_video(film, backend, sequential=True):  # the reader the miner's pass uses
            n += 1
    return n / (time.perf_counter() - start)


def mine_fps(films: list[Path], work: Path, workers: int, backend: str) -> tuple[float, int, int]:
    """(source frames/s, frames, kept triplets) of one fresh mining run."""
    out = work / f"root-{time.time_ns()}"
    start = time.perf_counter()
    report = mine(films, out, workers=workers, backend=backend, progress=False)
    elapsed = time.perf_counter() - start
    assert not report.failed, report.failed
    n = sum(r["n_frames"] for r in report.results)
    kept = sum(r["n_triplets"] for r in report.results)
    shutil.rmtree(out, ignore_errors=True)
    return n / elapsed, n, kept


# Stage → the functions (module path suffix, name) whose cumulative time it is; they do not call each other.
DECODE = "decode to RGB"
STAGES = {
    DECODE: [("video/backends/pyav.py", "_iter_frames"), ("video/backends/decord.py", "_iter_frames")],
    "working frame": [("mining/similarity.py", "to_working")],
    "shot tracking": [("mining/shots.py", "frame_features"), ("mining/shots.py", "push")],
    "SSIM": [("mining/pipeline.py", "ssim")],
    "kept: motion": [("atdkit/motion.py", "motion_stats")],
    "kept: PNG": [("store/frames.py", "encode_png")],
    "kept: write": [("store/atomic.py", "write_bytes")],
    "near-duplicates": [("mining/pipeline.py", "duplicate_of"), ("mining/dedup.py", "drop_duplicates")],
}


def stage_costs(film: Path, work: Path, backend: str) -> dict[str, float]:
    """ms per source frame of each stage (and "other": the rest) of mining ``film`` in this process."""
    out = work / f"profiled-{time.time_ns()}"
    profile = cProfile.Profile()
    start = time.perf_counter()
    profile.enable()
    report = mine([film], out, backend=backend, progress=False)
    profile.disable()
    total = time.perf_counter() - start
    shutil.rmtree(out, ignore_errors=True)
    frames = report.results[0]["n_frames"]
    cumulative: dict[str, float] = dict.fromkeys(STAGES, 0.0)
    for (path, _, name), (_, _, _, cum, _) in pstats.Stats(profile).stats.items():  # type: ignore[attr-defined]
        for stage, functions in STAGES.items():
            if any(path.endswith(suffix) and name == fn for suffix, fn in functions):
                cumulative[stage] += cum
    costs = {stage: 1e3 * t / frames for stage, t in cumulative.items()}
    costs["other"] = 1e3 * total / frames - sum(costs.values())
    return costs


def plot_stages(costs: dict[str, dict[str, float]], budgets: dict[str, float], decode_ms: dict[str, float],
                path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sizes = list(costs)
    fig, ax = plt.subplots(figsize=(11, 1.6 + 0.8 * len(sizes)))
    left = [0.0] * len(sizes)
    for stage in [*STAGES, "other"]:
        widths = [costs[size][stage] for size in sizes]
        ax.barh(sizes, widths, left=left, label=stage)
        left = [a + b for a, b in zip(left, widths)]
    for y, size in enumerate(sizes):
        ax.vlines(budgets[size], y - 0.45, y + 0.45, colors="black", linewidths=2,
                  label="budget for mine/decode ≥ 0.5" if y == 0 else None)
        ax.vlines(decode_ms[size], y - 0.45, y + 0.45, colors="grey", linestyles="dotted",
                  label="decode-only" if y == 0 else None)
    ax.set_xlabel("CPU ms per source frame (one process, cProfile)")
    ax.invert_yaxis()
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False)
    ax.set_title("Where mining time goes")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)


def mine_alone(film: Path, work: Path, backend: str) -> float:
    """Source frames/s of mining ``film`` in this process with OpenCV on one thread (as a worker runs)."""
    import cv2

    cv2.setNumThreads(1)
    return mine_fps([film], work, 1, backend)[0]


def side_by_side(films: list[Path], work: Path, backend: str, repeats: int) -> list[tuple[float, float]]:
    """Median (alone, together) source frames/s of each film, each mined by its own fresh process;
    alone and together runs alternate."""
    def start(film: Path) -> subprocess.Popen:
        return subprocess.Popen([sys.executable, __file__, "--mine-alone", str(film), str(work), "--backend", backend],
                                stdout=subprocess.PIPE, text=True)

    def fps(proc: subprocess.Popen) -> float:
        out, _ = proc.communicate()
        assert proc.returncode == 0
        return float(out.strip().splitlines()[-1])

    alone, together = [], []
    for _ in range(repeats):
        alone.append([fps(start(film)) for film in films])
        together.append([fps(p) for p in [start(film) for film in films]])
    return [(statistics.median(a[k] for a in alone), statistics.median(t[k] for t in together))
            for k in range(len(films))]


def naive_fps(film: Path, n_frames: int, strides=(1, 2, 3)) -> float:
    """Decode, then full-resolution skimage SSIM for every pair of every candidate starting in the first frames."""
    start = time.perf_counter()
    frames = []
    reader = iter(open_video(film))
    for _ in range(n_frames + 2 * max(strides)):
        frames.append(next(reader))
    for f in range(n_frames):
        for g in strides:
            a, b, c = frames[f], frames[f + g], frames[f + 2 * g]
            ssim_reference(a, b), ssim_reference(b, c), ssim_reference(a, c)
    return n_frames / (time.perf_counter() - start)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--films", type=int, default=4, help="films in the many-films workload")
    ap.add_argument("--seconds", type=float, default=120.0, help="total film length per workload")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--backend", default="auto", choices=["auto", "decord", "pyav"],
                    help="auto: what `atdkit mine` uses by default (PyAV for its sequential pass)")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--naive-frames", type=int, default=2)
    ap.add_argument("--quick", action="store_true", help="8 s of film, 1 repeat, 960×540 only")
    ap.add_argument("--plot", type=Path, default=Path(__file__).resolve().parent / "results" / "mining_stages.png")
    ap.add_argument("--mine-alone", nargs=2, type=Path, metavar=("FILM", "WORK"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.mine_alone:
        print(mine_alone(*args.mine_alone, args.backend))
        return
    sizes = [(960, 540), (1920, 1080)]
    if args.quick:
        args.seconds, args.repeats, args.naive_frames, sizes = 8.0, 1, 1, [(960, 540)]
    work = Path(tempfile.mkdtemp(prefix="atdkit-bench-mining-"))
    print(f"machine: {os.cpu_count()} cores; {args.seconds:g} s of film per workload at 24 fps; "
          f"workers: {args.workers}; backend: {args.backend}; medians of {args.repeats}")
    rows, stages, budgets, decode_ms, contention = [], {}, {}, {}, {}
    try:
        for w, h in sizes:
            workloads = {
                "1 film": [synthetic_film(args.seconds, w, h, seed=99, style="anime")],
                f"{args.films} films": [synthetic_film(args.seconds / args.films, w, h, seed=100 + s,
                                                       style=("cel", "anime", "mono")[s % 3]) for s in range(args.films)],
            }
            naive = naive_fps(workloads["1 film"][0], args.naive_frames)
            for name, films in workloads.items():
                decs, mines = [decode_fps(films, args.backend)], []
                for _ in range(args.repeats):
                    fps, n, kept = mine_fps(films, work, args.workers, args.backend)
                    mines.append(fps)
                    decs.append(decode_fps(films, args.backend))
                ratio = statistics.median(m / ((a + b) / 2) for m, a, b in zip(mines, decs, decs[1:]))
                rows.append((f"{w}×{h}", name, statistics.median(decs), statistics.median(mines), ratio, naive,
                             100 * kept / n))
                if name == "1 film":
                    size, decode = f"{w}×{h}", statistics.median(decs)
            stages[size] = stage_costs(workloads["1 film"][0], work, args.backend)
            contention[size] = side_by_side(workloads[f"{args.films} films"][:2], work, args.backend, args.repeats)
            budgets[size], decode_ms[size] = 2e3 * args.workers / decode, 1e3 / decode
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"{'size':>10} {'workload':>9} {'decode fps':>11} {'mine fps':>9} {'naive fps':>10} {'mine/decode':>12} "
          f"{'mine/naive':>11} {'kept/100 fr':>12}")
    for size, name, dec, mined, ratio, naive, rate in rows:
        print(f"{size:>10} {name:>9} {dec:11.1f} {mined:9.1f} {naive:10.3f} {ratio:12.2f} {mined / naive:11.1f} "
              f"{rate:12.1f}")
    print("targets: mine/decode ≥ 0.5 (with 2 workers), mine/naive ≥ 20")
    print(f"\nwhere the time goes (1 film, one process, cProfile), ms per source frame; budget: the CPU a frame may "
          f"cost for mine/decode ≥ 0.5 with {args.workers} workers")
    print("and, beside each, the same in units of the decode stage of that profile (× decode: free of the drift "
          f"between runs); the target allows {2 * args.workers} × decode-only")
    print(f"{'stage':>14} " + " ".join(f"{size:>10} {'× decode':>8}" for size in stages))

    def row(name: str, ms: dict[str, float]) -> None:
        print(f"{name:>14} " + " ".join(f"{ms[size]:10.2f} {ms[size] / stages[size][DECODE]:8.2f}" for size in stages))

    for stage in [*STAGES, "other"]:
        row(stage, {size: stages[size][stage] for size in stages})
    row("total", {size: sum(stages[size].values()) for size in stages})
    print(f"{'budget':>14} " + " ".join(f"{budgets[size]:10.2f} {2 * args.workers:8.2f}" for size in stages))
    plot_stages(stages, budgets, decode_ms, args.plot)
    print(f"chart: {args.plot}")
    print(f"\ntwo single-process miners side by side vs alone (source frames/s, medians of {args.repeats}; "
          "OpenCV on one thread):")
    for size, pairs in contention.items():
        print(f"{size:>10} " + "; ".join(f"film {k + 1}: {alone:.1f} alone, {together:.1f} side by side "
                                        f"({100 * (together / alone - 1):+.0f} %)" for k, (alone, together) in enumerate(pairs)))


if __name__ == "__main__":
    main()
