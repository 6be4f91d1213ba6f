"""Time to score one 960×540 triplet with the atd12k-official profile (whole frame + RoI:
PSNR, SSIM, IE) against the plain scikit-image computation of the same numbers.

Prints medians of repeats measured in this one run, the speed ratio, and the largest
difference between the two sets of values (they must agree to 1e-9).
Run: .venv/bin/python benchmarks/metrics.py [--repeats N]
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
from skimage.metrics import peak_signal_noise_ratio, structural_similarity

from atdkit.bench import scoring

ROI = (240, 120, 480, 300)


def skimage_scores(pred: np.ndarray, truth_u8: np.ndarray) -> dict[str, float]:
    """The official numbers computed directly with scikit-image (float64 inputs)."""
    p = np.clip(pred.astype(np.float64), 0, 1)
    t = (truth_u8.astype(np.float32) / np.float32(255)).astype(np.float64)
    out = {}
    for prefix, (a, b) in (("", (p, t)), ("roi_", (p[120:420, 240:720], t[120:420, 240:720]))):
        out[prefix + "psnr"] = peak_signal_noise_ratio(b, a, data_range=1.0)
        out[prefix + "ssim"] = structural_similarity(a, b, channel_axis=2, win_size=7, gaussian_weights=False,
                                                     use_sample_covariance=True, data_range=2.0)
        out[prefix + "ie"] = float(np.mean(np.sqrt(np.sum((255 * a - 255 * b) ** 2, axis=2))))
    return out


def ours(pred: np.ndarray, truth_u8: np.ndarray) -> dict[str, float]:
    s = scoring.score(pred, truth_u8, "atd12k-official", roi=ROI, with_chamfer=False)
    return {k: v for k, v in s.items() if v is not None}


def median_times(fns, repeats: int) -> list[float]:
    """Median wall time of each function; calls alternate so that machine load hits all alike."""
    for fn in fns:
        fn()  # warm-up
    times: list[list[float]] = [[] for _ in fns]
    for _ in range(repeats):
        for fn, ts in zip(fns, times):
            start = time.perf_counter()
            fn()
            ts.append(time.perf_counter() - start)
    return [statistics.median(ts) for ts in times]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=21)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    truth = rng.integers(0, 256, (540, 960, 3), dtype=np.uint8)
    pred = np.clip(truth / 255.0 + rng.normal(0, 0.03, truth.shape), 0, 1).astype(np.float32)
    a, b = ours(pred, truth), skimage_scores(pred, truth)
    max_diff = max(abs(a[k] - b[k]) for k in b)
    t_ours, t_ski = median_times([lambda: ours(pred, truth), lambda: skimage_scores(pred, truth)], args.repeats)
    print(f"score one 960x540 triplet, profile atd12k-official (whole + RoI PSNR/SSIM/IE), "
          f"median of {args.repeats}:")
    print(f"  atdkit.bench.metrics : {t_ours * 1000:8.1f} ms")
    print(f"  plain scikit-image   : {t_ski * 1000:8.1f} ms")
    print(f"  speed-up             : {t_ski / t_ours:8.2f}x   (target >= 3x)")
    print(f"  max |difference|     : {max_diff:.2e}   (must be <= 1e-9)")
    if max_diff > 1e-9:
        raise SystemExit("values differ")


if __name__ == "__main__":
    main()
