"""The miner's two per-frame kernels next to the plain way of doing the same, measured in one run.

- SSIM of two working frames (960×540 RGB, the mining definition): the fused
  Numba kernel (``atdkit.mining.similarity.ssim``) vs scikit-image's
  ``structural_similarity``, with the largest difference between them;
- lossless PNG of a full-resolution frame (960×540 and 1920×1080): the frame
  writer (``atdkit.store.frames.encode_png``: "up" filter, zlib-ng's RLE deflate)
  vs libpng (through OpenCV) with the same filter and strategy and with its
  default adaptive filters at zlib level 1, with the sizes, and a check that
  all three decode to the frame;
- shot tracking (``frame_features`` + ``ShotTracker.push`` on the working frames, the miner's
  per-frame cut/hold detector): the detector of this checkout vs the one of git revision
  ``--shots-before`` (default: the last revision before cuts were told from large in-shot
  motion), loaded from git into a temporary module, on two clips with cuts: 300 frames of
  the real ``big_buck_bunny_0_30.webm`` (frames 250–549: cuts at 283 and 376) and a
  synthetic anime film at 960×540 (cuts at its shot changes, one a second). Both detectors
  run in lockstep over the clip, taking turns frame by frame, timed in CPU time of this
  thread; the ratio quoted is the median over ``--repeats`` passes of new/old. The cuts each
  finds are printed.

Frames come from a synthetic cel film (pairs 3 frames apart, so they differ).
Prints medians of ``--repeats``. Run: ``python benchmarks/mining_kernels.py`` (a few minutes;
``--only shots`` for the shot-tracking comparison alone).
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

from footage import TESTDATA, synthetic_film  # benchmarks/footage.py

from atdkit.mining import shots
from atdkit.mining.similarity import ssim, ssim_reference, to_working, working_size

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


SHOTS_BEFORE = "77f7967"  # main before #22 point 3 (cuts vs large in-shot motion, cadence per run)


def shots_module_at(revision: str):
    """``atdkit/mining/shots.py`` as it was at a git revision, imported as a module of its own."""
    repo = Path(__file__).resolve().parents[1]
    source = subprocess.run(["git", "-C", str(repo), "show", f"{revision}:atdkit/mining/shots.py"],
                            capture_output=True, text=True, check=True).stdout
    path = Path(tempfile.mkdtemp(prefix="atdkit-shots-")) / f"shots_{revision}.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[path.stem] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def working_frames(film: Path, first: int, count: int) -> list[np.ndarray]:
    reader = open_video(film, sequential=True)
    size = working_size(reader.width, reader.height, (960, 540))
    out = []
    for i, frame in enumerate(reader.frames(first)):
        if i == count:
            break
        out.append(to_working(frame, size, "rgb"))
    reader.close()
    return out


def track_side_by_side(old, new, frames: list[np.ndarray]) -> tuple[float, float, list[int], list[int]]:
    """One pass of both detectors over ``frames`` in lockstep, the order alternating frame by frame:
    (old, new) CPU ms per frame (this thread's CPU time: what another process takes from the shared
    machine is not counted, and drift between the two cancels), and the cuts each found."""
    trackers = [old.ShotTracker(), new.ShotTracker()]
    spent = [0.0, 0.0]
    for i, frame in enumerate(frames):
        for k in ((0, 1) if i % 2 else (1, 0)):
            module, start = (old, new)[k], time.thread_time()
            trackers[k].push(module.frame_features(frame))
            spent[k] += time.thread_time() - start
    cuts = [[f.index for f in t.frames if f.relation == "cut"] for t in trackers]
    return 1e3 * spent[0] / len(frames), 1e3 * spent[1] / len(frames), cuts[0], cuts[1]


def compare_shot_tracking(repeats: int, before: str) -> None:
    old = shots_module_at(before)
    clips = {"big_buck_bunny_0_30 frames 250–549": working_frames(TESTDATA / "big_buck_bunny_0_30.webm", 250, 300),
             "synthetic anime 960×540, 10 s": working_frames(synthetic_film(10.0, 960, 540, seed=11, style="anime"),
                                                            0, 240)}
    print(f"shot tracking, CPU ms per frame, this checkout vs {before} ({repeats} lockstep passes):")
    for name, frames in clips.items():
        track_side_by_side(old, shots, frames)  # warm: compile or load the kernels, first-call set-ups
        runs = [track_side_by_side(old, shots, frames) for _ in range(repeats)]
        ratios = [n / o for o, n, _, _ in runs]
        print(f"  {name}: before {statistics.median(r[0] for r in runs):.2f} ms, "
              f"now {statistics.median(r[1] for r in runs):.2f} ms, median ratio now/before "
              f"{statistics.median(ratios):.3f} (min {min(ratios):.3f}, max {max(ratios):.3f}); "
              f"cuts (frames of the clip) before {runs[0][2]}, now {runs[0][3]}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=15)
    ap.add_argument("--only", choices=("all", "shots"), default="all")
    ap.add_argument("--shots-before", default=SHOTS_BEFORE, help="git revision of the shot detector to compare with")
    args = ap.parse_args()
    cv2.setNumThreads(1)
    if args.only == "shots":
        print("cv2 threads: 1")
        compare_shot_tracking(args.repeats, args.shots_before)
        return
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
    compare_shot_tracking(args.repeats, args.shots_before)

if __name__ == "__main__":
    main()
