"""The miner's two per-frame kernels next to the plain way of doing the same, measured in one run.

- SSIM of two working frames (960×540 RGB, the mining definition): the fused
  Numba kernel (``atdkit.mining.similarity.ssim``) vs scikit-image's
  ``structural_similarity``, with the largest difference between them;
- lossless PNG of a full-resolution frame (960×540 and 1920×1080): the frame
  writer (``atdkit.store.frames.encode_png``: "up" filter, zlib-ng's RLE deflate)
  vs libpng (through OpenCV) with the same filter and strategy and with its
  default adaptive filters at zlib level 1, with the sizes, and a check that
  all three decode to the frame.

Frames come from a synthetic cel film (pairs 3 frames apart, so they differ).
Prints medians of ``--repeats``. Run: ``python benchmarks/mining_kernels.py`` (about a minute).
"""

from __future__ import annotations

import argparse
import statistics
import time

import cv2
import numpy as np

from atdkit.mining.similarity import ssim, ssim_reference
from footage import synthetic_film  # benchmarks/footage.py

from atdkit.store.frames import encode_png
from atdkit.video import open_video


def median_ms(fn, repeats: int) -> float:
    fn()  # warm (compiles the kernel on a first run)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return 1e3 * statistics.median(times)


LIBPNG = {"libpng up+RLE": [cv2.IMWRITE_PNG_FILTER, cv2.IMWRITE_PNG_FILTER_UP,
                             cv2.IMWRITE_PNG_STRATEGY, cv2.IMWRITE_PNG_STRATEGY_RLE],
          "libpng adaptive": []}


def libpng(rgb: np.ndarray, options: list[int]) -> bytes:
    ok, buf = cv2.imencode(".png", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_PNG_COMPRESSION, 1, *options])
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
    frames = {}
    for w, h in ((960, 540), (1920, 1080)):
        reader = open_video(synthetic_film(2.0, w, h, seed=5, style="cel"))
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
        t_ours = median_ms(lambda: encode_png(frame), args.repeats)  # noqa: B023 - used at once
        assert decodes_to(ours_png, frame)
        line = f"PNG {w}×{h}: encode_png {t_ours:.2f} ms ({len(ours_png) / 1e3:.0f} kB)"
        for name, options in LIBPNG.items():
            data = libpng(frame, options)
            t = median_ms(lambda: libpng(frame, options), args.repeats)  # noqa: B023 - used at once
            assert decodes_to(data, frame)
            line += f"; {name} {t:.2f} ms ({len(data) / 1e3:.0f} kB, {t / t_ours:.1f}×)"
        print(line + "; all lossless")

if __name__ == "__main__":
    main()
