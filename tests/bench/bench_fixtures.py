"""Small dataset roots for the bench tests, written directly with the store API
(a uniquely named module, so test files can import it without clashing with other conftest.py)."""

from __future__ import annotations

import cv2
import numpy as np
import pandas as pd

from atdkit.store.dataset import DatasetRoot
from atdkit.store.frames import write_png
from atdkit.store.labels import add_annotations

DIFFS = ("easy", "medium", "hard")
MOTIONS = ("translation", "rotation")


def disk_frame(cx: int, size=(96, 64), color=(200, 40, 40)) -> np.ndarray:
    """A cel-like frame: flat background, a filled disk with a black outline at x = cx."""
    w, h = size
    img = np.full((h, w, 3), 235, np.uint8)
    cv2.circle(img, (cx, h // 2), h // 4, color, -1)
    cv2.circle(img, (cx, h // 2), h // 4, (0, 0, 0), 2)
    return img


def build_root(path, n=6, size=(96, 64), labelled=None, step=4) -> DatasetRoot:
    """A dataset root with ``n`` triplets of a disk moving right by ``step`` px per frame.
    ``labelled``: how many get machine labels (default all but the last)."""
    root = DatasetRoot.create(path, name="bench-test")
    labelled = n - 1 if labelled is None else labelled
    rows, ann = [], []
    for i in range(n):
        tid = f"t{i:03d}"
        x0 = 20 + i
        for k, name in enumerate(("frame1.png", "frame2.png", "frame3.png")):
            write_png(root.frames_dir(tid) / name, disk_frame(x0 + k * step * (1 + i % 3), size))
        rows.append({"triplet_id": tid, "film_id": "film", "f1": 3 * i, "f2": 3 * i + 1, "f3": 3 * i + 2,
                     "stride": 1, "width": size[0], "height": size[1], "source": "mined"})
        if i < labelled:
            ann.append({"triplet_id": tid, "annotator": "synthetic-truth", "roi_x": 10.0, "roi_y": 8.0,
                        "roi_w": 60.0, "roi_h": 40.0, "difficulty": DIFFS[i % 3], "motion_type": MOTIONS[i % 2],
                        "behavior": "others"})
    root.triplet_parts.append(pd.DataFrame(rows), name="film")
    root.materialize()
    if ann:
        add_annotations(root, ann)
    return root


def slow_blend(delay: float = 0.2):
    """An Interpolator (blend) that sleeps ``delay`` seconds per call."""
    import time

    from atdkit.baselines.classic import Blend

    class _Slow(Blend):
        name = "slow-blend"

        def interpolate(self, frame1, frame3, t=0.5, *, context=None):
            time.sleep(delay)
            return super().interpolate(frame1, frame3, t, context=context)

    return _Slow()


def raises_on(bad_tid: str):
    """An Interpolator (blend) that raises on one triplet id."""
    from atdkit.baselines.classic import Blend

    class _Raises(Blend):
        name = "flaky"

        def interpolate(self, frame1, frame3, t=0.5, *, context=None):
            if context is not None and context.triplet_id == bad_tid:
                raise RuntimeError(f"boom on {bad_tid}")
            return super().interpolate(frame1, frame3, t, context=context)

    return _Raises()
