"""A tiny dataset root for the training tests: cel-like disks moving at several speeds, with splits
(a uniquely named module, so test files can import it without clashing with other conftest.py)."""

from __future__ import annotations

import cv2
import numpy as np
import pandas as pd

from atdkit.store.dataset import DatasetRoot
from atdkit.store.frames import write_png

SIZE = (96, 64)  # width, height


def cel_frame(cx: float, cy: float, color: tuple[int, int, int]) -> np.ndarray:
    w, h = SIZE
    img = np.full((h, w, 3), (236, 228, 210), np.uint8)
    cv2.rectangle(img, (0, h - 12), (w, h), (90, 140, 90), -1)  # a ground line that does not move
    centre = (int(round(cx)), int(round(cy)))
    cv2.circle(img, centre, 13, color, -1)
    cv2.circle(img, centre, 13, (0, 0, 0), 2)
    return img


def training_root(path, n_train: int = 6, n_val: int = 2) -> DatasetRoot:
    """``n_train`` triplets in split 'train' and ``n_val`` in 'test': a disk moving linearly, so the
    middle frame is the average motion (a network can learn it quickly)."""
    root = DatasetRoot.create(path, name="train-test")
    rows = []
    rng = np.random.default_rng(7)
    for i in range(n_train + n_val):
        tid = f"t{i:03d}"
        x0, y0 = rng.uniform(25, 45), rng.uniform(22, 34)
        dx, dy = rng.uniform(-6, 6), rng.uniform(-3, 3)
        color = tuple(int(c) for c in rng.integers(40, 220, 3))
        for k, name in enumerate(("frame1.png", "frame2.png", "frame3.png")):
            write_png(root.frames_dir(tid) / name, cel_frame(x0 + k * dx, y0 + k * dy, color))
        rows.append({"triplet_id": tid, "film_id": "film", "f1": 3 * i, "f2": 3 * i + 1, "f3": 3 * i + 2,
                     "stride": 1, "width": SIZE[0], "height": SIZE[1], "source": "mined",
                     "split": "train" if i < n_train else "test"})
    root.triplet_parts.append(pd.DataFrame(rows), name="film")
    root.materialize()
    return root
