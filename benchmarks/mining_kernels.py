"""The miner's two per-frame kernels next to the plain way of doing the same, measured in one run.

- SSIM of two working frames (960×540 RGB, the mining definition): the fused
  Numba kernel (``atdkit.mining.similarity.ssim``) vs scikit-image's
  ``structural_similarity``, with the largest difference between them;
- lossless PNG of a full-resolution frame (960×540 and 1920×1080): ours
  (``atdkit.store.frames.encode_png``: "up" filter + zlib) vs OpenCV's
  libpng encoder at zlib level 1, with its adaptive filters and with the "up"
  filter and RLE strategy (what atdkit used before), with the sizes, and a check
  that all decode to the frame.

Frames come from a synthetic cel film (pairs 3 frames apart, so they differ).
Prints medians of ``--repeats``. Run: ``python benchmarks/mining_kernels.py`` (about a minute).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

from atdkit.mining.similarity import ssim, ssim_reference
from atdkit.store.frames import encode_png
from atdkit.synth import synthesize
from atdkit.video import open_video


def median_ms(fn, repeats: int) -> float:
    fn()  # warm (compiles the kernel on a first run)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return 1e3 * statistics.median(times)


OPENCV_PNG = {
    "adaptive": [cv2.IMWRITE_PNG_COMPRESSION, 1],
    "up+RLE": [cv2.IMWRITE_PNG_COMPRESSION, 1, cv2.IMWRITE_PNG_FILTER, cv2.IMWRITE_PNG_FILTER_UP,
               cv2.IMWRITE_PNG_STRATEGY, cv2.IMWRITE_PNG_STRATEGY_RLE],
}


def opencv_png(rgb: np.ndarray, variant: str) -> bytes:
    ok, buf = cv2.imencode(".png", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), OPENCV_PNG[variant])
    assert ok
    return buf.tobytes()


def decodes_to(data: bytes, rgb: np.ndarray) -> bool:
    back = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    return bool(np.array_equal(cv2.cvtColor(back, cv2.COLOR_BGR2RGB), rgb))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=15)
    args = ap.parse_args()
    cv2.setNumThreads(1)
    with tempfile.TemporaryDirectory(prefix="atdkit-bench-kernels-") as tmp:
        frames = {}
        for w, h in ((960, 540), (1920, 1080)):
            film = synthesize(Path(tmp) / f"film-{w}.mp4", length_s=2.0, width=w, height=h, seed=5, style="cel")
            reader = open_video(film)
            frames[(w, h)] = (reader[20], reader[23])
            reader.close()
    a, b = frames[(960, 540)]
    ours_ms = median_ms(lambda: ssim(a, b), args.repeats)
    ref_ms = median_ms(lambda: ssim_reference(a, b), max(3, args.repeats // 3))
    diff = abs(ssim(a, b) - ssim_reference(a, b))
    print(f"cv2 threads: 1; medians of {args.repeats}")
    print(f"SSIM 960×540 RGB pair: ours {ours_ms:.2f} ms, scikit-image {ref_ms:.1f} ms "
          f"({ref_ms / ours_ms:.0f}×), |difference| {diff:.1e}")
    for (w, h), (frame, _) in frames.items():
        ours_png = encode_png(frame)
        t_ours = median_ms(lambda: encode_png(frame), args.repeats)
        assert decodes_to(ours_png, frame)
        line = f"PNG {w}×{h}: ours {t_ours:.2f} ms ({len(ours_png) / 1e3:.0f} kB)"
        for variant in OPENCV_PNG:
            cv_png = opencv_png(frame, variant)
            t_cv = median_ms(lambda: opencv_png(frame, variant), args.repeats)  # noqa: B023 - used at once
            assert decodes_to(cv_png, frame)
            line += f"; OpenCV zlib-1 {variant} {t_cv:.2f} ms ({len(cv_png) / 1e3:.0f} kB, {t_cv / t_ours:.1f}×)"
        print(line + "; all lossless")

if __name__ == "__main__":
    main()
