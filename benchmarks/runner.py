"""Runner overhead with ``blend``: ``run_benchmark`` against a plain loop doing the same work.

The plain loop reads each triplet's frames, calls ``blend`` and computes the same
metrics (atd12k-official, whole + RoI, chamfer). The runner adds its bookkeeping:
resume planning, labels, per-call timing and peak-memory measurement, the result
part written atomically, and results.parquet materialised. Overhead =
(runner − plain loop) / plain loop, medians of repeats measured in this one run
(target ≤ 10%), in wall-clock and in process CPU time (the fair figure when
other work loads the machine). Also printed: the time of the method calls themselves.
Run: .venv/bin/python benchmarks/runner.py [--triplets N] [--repeats N]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np
import pandas as pd

from atdkit.bench import metrics, scoring
from atdkit.bench.runner import read_results, run_benchmark
from atdkit.methods import base
from atdkit.store.dataset import DatasetRoot
from atdkit.store.frames import write_png
from atdkit.store.labels import add_annotations

SIZE = (960, 540)
ROI = (200.0, 100.0, 480.0, 300.0)


def build(path: Path, n: int) -> DatasetRoot:
    root = DatasetRoot.create(path, name="runner-benchmark")
    rng = np.random.default_rng(0)
    rows = []
    for i in range(n):
        tid = f"b{i:04d}"
        base_img = rng.integers(150, 255, (SIZE[1], SIZE[0], 3), dtype=np.uint8)
        for k in (1, 2, 3):
            img = base_img.copy()
            cv2.circle(img, (300 + 20 * k + i, 270), 120, (200, 40, 40), -1)
            cv2.circle(img, (300 + 20 * k + i, 270), 120, (0, 0, 0), 3)
            write_png(root.frames_dir(tid) / f"frame{k}.png", img)
        rows.append({"triplet_id": tid, "film_id": "bench", "width": SIZE[0], "height": SIZE[1]})
    root.triplet_parts.append(pd.DataFrame(rows), name="bench")
    root.materialize()
    add_annotations(root, [{"triplet_id": r["triplet_id"], "annotator": "synthetic-truth", "roi_x": ROI[0],
                            "roi_y": ROI[1], "roi_w": ROI[2], "roi_h": ROI[3], "difficulty": "easy"} for r in rows])
    return root


def plain_loop(root: DatasetRoot) -> tuple[float, float]:
    """(wall, CPU) seconds of the same work without the runner."""
    method = base.load("blend")
    box = metrics.official_roi(*ROI, SIZE[0], SIZE[1], SIZE[0], SIZE[1])
    wall, cpu = time.perf_counter(), time.process_time()
    for tid in root.triplets()["triplet_id"]:
        f1, f2, f3 = root.read_frames(tid)
        pred = method.interpolate(f1, f3, 0.5)
        scoring.score(pred, f2, "atd12k-official", roi=box)
    return time.perf_counter() - wall, time.process_time() - cpu


def runner(root: DatasetRoot, out: Path) -> tuple[float, float, float]:
    """(wall, CPU, summed method seconds) of a fresh run."""
    shutil.rmtree(out, ignore_errors=True)
    wall, cpu = time.perf_counter(), time.process_time()
    run_benchmark(root, out, ["blend"], progress=False)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return wall, cpu, float(read_results(out)["seconds"].sum())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--triplets", type=int, default=24)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="atdkit-runner-bench-") as tmp:
        root = build(Path(tmp) / "root", args.triplets)
        runner(root, Path(tmp) / "warm")
        plain_loop(root)
        plain, ran = [], []
        for _ in range(args.repeats):  # alternate so machine load hits both alike
            plain.append(plain_loop(root))
            ran.append(runner(root, Path(tmp) / "run"))
    n = args.triplets
    p_wall, p_cpu = (statistics.median(v) for v in zip(*plain))
    r_wall, r_cpu, m = (statistics.median(v) for v in zip(*ran))
    print(f"{n} triplets 960x540, method blend, profile atd12k-official, median of {args.repeats}:")
    print(f"  {'':36s} {'wall s':>8s} {'CPU s':>8s}")
    print(f"  {'plain loop (read + blend + metrics)':36s} {p_wall:8.3f} {p_cpu:8.3f}")
    print(f"  {'atdkit runner':36s} {r_wall:8.3f} {r_cpu:8.3f}")
    print(f"  {'runner overhead %':36s} {100 * (r_wall - p_wall) / p_wall:8.1f} {100 * (r_cpu - p_cpu) / p_cpu:8.1f}"
          "   (target <= 10%; CPU time is the fair figure on a loaded machine)")
    print(f"  blend calls themselves: {m:.3f} s; per triplet: plain {1000 * p_wall / n:.1f} ms, "
          f"runner {1000 * r_wall / n:.1f} ms (wall)")


if __name__ == "__main__":
    main()
